"use strict";
// Registering with a service account instead of an initial access token: the provider fetches the
// account's token by the client-credentials grant (once per run) and registers with it. The stack
// config holds the account (`keycloak-registration:serviceAccountClientId`, and the secret
// `keycloak-registration:serviceAccountClientSecret`); the account needs the realm-management role
// create-client (or manage-clients). Later updates and deletes use each client's own registration access token.
const { KeycloakClient } = require("pulumi-keycloak-registration");

const portal = new KeycloakClient("partner-portal", {
  clientId: "partner-portal",
  publicClient: false,
  standardFlowEnabled: true,
  redirectUris: ["https://partners.example.com/oidc/callback"],
  attributes: { "pkce.code.challenge.method": "S256" },
});

exports.clientId = portal.clientId;
exports.clientSecret = portal.clientSecret; // secret
