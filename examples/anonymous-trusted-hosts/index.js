"use strict";
// Registration without any token: the stack sets `keycloak-registration:anonymous true`, and the
// realm's anonymous policies decide. A realm admin lists the hosts allowed to register (Realm settings >
// Client registration > Anonymous access policies > Trusted Hosts); requests from elsewhere, and
// clients whose URLs point elsewhere, are refused with 403 "Policy 'Trusted Hosts' rejected request".
const { KeycloakClient } = require("pulumi-keycloak-registration");

const app = new KeycloakClient("dev-app", {
  clientId: "dev-app",
  publicClient: true,
  standardFlowEnabled: true,
  // On a trusted host, because the Trusted Hosts policy checks the client's URLs too.
  redirectUris: ["http://localhost:3000/*"],
  webOrigins: ["http://localhost:3000"],
  // What the default anonymous policies "Consent Required" and "Full Scope Disabled" enforce: declaring
  // it keeps the program and Keycloak in agreement.
  consentRequired: true,
  fullScopeAllowed: false,
});

exports.clientId = app.clientId;
exports.registrationAccessToken = app.registrationAccessToken; // secret
