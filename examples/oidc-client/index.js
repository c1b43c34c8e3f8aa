"use strict";
// An OpenID Connect client registered through RFC 7591 dynamic client registration.
// Keycloak:          pulumi config set keycloak-registration:serverUrl https://sso.example.com
//                    pulumi config set keycloak-registration:realm demo
// Any RFC 7591 server: pulumi config set registrationEndpoint https://as.example.com/reg
// Either way:        pulumi config set --secret keycloak-registration:initialAccessToken <token>
const pulumi = require("@pulumi/pulumi");
const { OidcClient } = require("pulumi-keycloak-registration");

const config = new pulumi.Config();
const registrationEndpoint = config.get("registrationEndpoint");
const appUrl = config.get("appUrl") ?? "https://app.example.com";

// The metadata is RFC 7591's, spelt as the RFC spells it.
const web = new OidcClient("web", {
  ...(registrationEndpoint ? { registrationEndpoint } : {}),
  client_name: config.get("clientName") ?? "Example web app",
  redirect_uris: [`${appUrl}/callback`],
  post_logout_redirect_uris: [`${appUrl}/`],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_basic",
  scope: "email profile",
});

exports.clientId = web.client_id;
exports.registrationClientUri = web.registration_client_uri;
// Secret outputs: `pulumi stack output --show-secrets` reveals them.
exports.clientSecret = web.client_secret;
