"use strict";
// A backend that calls APIs as itself: a confidential client (Keycloak issues a client secret)
// with a service account for the client-credentials grant and no browser flows.
const pulumi = require("@pulumi/pulumi");
const { KeycloakClient } = require("pulumi-keycloak-registration");

const worker = new KeycloakClient("report-worker", {
  clientId: "report-worker",
  description: "Nightly report generator",
  publicClient: false,
  serviceAccountsEnabled: true,
  standardFlowEnabled: false,
  directAccessGrantsEnabled: false,
});

exports.clientId = worker.clientId;
exports.clientSecret = worker.clientSecret; // secret: hand it to the worker through your secret store
exports.tokenEndpoint = pulumi.interpolate`${worker.serverUrl}/realms/${worker.realm}/protocol/openid-connect/token`;
