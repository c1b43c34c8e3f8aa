import { KeycloakClient } from "pulumi-keycloak-registration";

const web = new KeycloakClient("web", {
  clientId: "test-client",
  name: "test-client",
  publicClient: true,
  standardFlowEnabled: true,
  implicitFlowEnabled: false,
  redirectUris: ["https://app.example.com/*"],
  fullScopeAllowed: false,
});

export const clientId = web.clientId;
export const registrationAccessToken = web.registrationAccessToken; // secret
