"use strict";
// A SAML service provider registered from its EntityDescriptor (SAML 2.0 metadata).
//   pulumi config set keycloak-registration:serverUrl https://sso.example.com
//   pulumi config set keycloak-registration:realm demo
//   pulumi config set --secret keycloak-registration:initialAccessToken <token>
const fs = require("fs");
const path = require("path");
const { SamlClient } = require("pulumi-keycloak-registration");

// Keycloak has no update from a descriptor: edit the metadata and `pulumi up` replaces the client.
const sp = new SamlClient("sp", {
  entityDescriptor: fs.readFileSync(path.join(__dirname, "sp-metadata.xml"), "utf8"),
});

exports.clientId = sp.clientId;
exports.assertionConsumerService = sp.registered.apply((r) => r.attributes["saml_assertion_consumer_url_post"]);
exports.registrationAccessToken = sp.registrationAccessToken; // secret
