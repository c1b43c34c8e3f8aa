"use strict";
// The public client of the blog post this project started from: Keycloak generates the clientId,
// the registration access token is kept (secret) in the stack's state instead of a database.
const { KeycloakClient } = require("pulumi-keycloak-registration");

const client = new KeycloakClient("test-client", {
  name: "test-client",
  redirectUris: ["http://localhost:8080/*"],
  consentRequired: false,
  standardFlowEnabled: true,
  implicitFlowEnabled: false,
  serviceAccountsEnabled: false,
  publicClient: true,
  frontchannelLogout: false,
  fullScopeAllowed: false,
});

exports.clientId = client.clientId;
exports.internalId = client.internalId;
exports.registrationAccessToken = client.registrationAccessToken; // secret
