"use strict";
// A confidential web client in a realm whose client policy (client-profiles.json, client-policies.json)
// allows only private_key_jwt, requires PKCE with S256 and exact https redirect URIs, and refuses
// weak signature algorithms. Every field the profile judges is declared to satisfy it, so the
// registration passes and no later `up` has anything to change.
const pulumi = require("@pulumi/pulumi");
const { KeycloakClient } = require("pulumi-keycloak-registration");

const config = new pulumi.Config();
const appUrl = config.get("appUrl") ?? "https://app.example.com";

const app = new KeycloakClient("fapi-app", {
  clientId: config.get("clientId") ?? "fapi-app",
  name: "FAPI-style web app",
  publicClient: false,
  standardFlowEnabled: true,
  implicitFlowEnabled: false,
  directAccessGrantsEnabled: false,
  // secure-redirect-uris-enforcer: exact https URIs, no wildcards, no http.
  redirectUris: [`${appUrl}/callback`],
  // secure-client-authenticator: client-jwt (private_key_jwt) only; Keycloak fetches the public keys here.
  clientAuthenticatorType: "client-jwt",
  jwksUrl: `${appUrl}/.well-known/jwks.json`,
  // secure-signature-algorithm: PS256 (RS256 would be refused).
  tokenEndpointAuthSigningAlg: "PS256",
  // pkce-enforcer without auto-configure: the client must say S256 itself.
  pkceCodeChallengeMethod: "S256",
  // Not required by this profile, but what a FAPI 2.0 client does: pushed authorization requests.
  requirePushedAuthorizationRequests: true,
});

exports.clientId = app.clientId;
exports.registrationAccessToken = app.registrationAccessToken; // secret
// Declared values the realm's policies did not let Keycloak keep: none here, so {} (an undefined
// output would only draw Pulumi's "Undefined value will not show as a stack output" warning).
exports.serverOverrides = app.serverOverrides.apply((o) => o ?? {});
