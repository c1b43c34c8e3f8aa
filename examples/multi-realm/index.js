"use strict";
// One program, two realms (or two servers): every resource can carry its own serverUrl, realm and
// auth, which win over the stack-wide keycloak-registration:* settings. Credentials come from
// secret config and stay secret in the state.
const pulumi = require("@pulumi/pulumi");
const { KeycloakClient } = require("pulumi-keycloak-registration");

const config = new pulumi.Config();
const serverUrl = config.require("serverUrl");

// Realm "staff": registered with an initial access token.
const staff = new KeycloakClient("orders-staff", {
  serverUrl,
  realm: config.require("staffRealm"),
  auth: { initialAccessToken: config.requireSecret("staffInitialAccessToken") },
  clientId: "orders",
  publicClient: true,
  redirectUris: ["https://orders.example.com/staff/*"],
});

// Realm "customers": registered with a service account of that realm.
const customers = new KeycloakClient("orders-customers", {
  serverUrl,
  realm: config.require("customersRealm"),
  auth: {
    serviceAccount: {
      clientId: config.require("customersServiceAccountClientId"),
      clientSecret: config.requireSecret("customersServiceAccountClientSecret"),
    },
  },
  clientId: "orders",
  publicClient: true,
  redirectUris: ["https://orders.example.com/shop/*"],
});

exports.staff = { realm: staff.realm, clientId: staff.clientId, registrationAccessToken: staff.registrationAccessToken };
exports.customers = { realm: customers.realm, clientId: customers.clientId, registrationAccessToken: customers.registrationAccessToken };
