/**
 * Malformed `KeycloakClient` definitions, each of which `check` must reject at `pulumi preview`
 * before any request is sent. `field` is what the error must name (the reported property path
 * contains it). The tokens here are fakes; the test also checks they never appear in the output.
 */
export interface MalformedCase {
  /** What is wrong, in a few words. */
  what: string;
  /** The field the error must name. */
  field: string;
  args: Record<string, unknown>;
}

export const FAKE_TOKEN = "fake-token-for-the-malformed-corpus-0123456789";
const FAKE_TOKEN_2 = "fake-token-for-the-malformed-corpus-9876543210";

const ok = { clientId: "corpus-client" };

export const MALFORMED_CASES: MalformedCase[] = [
  // Wrong types.
  { what: "clientId is a number", field: "clientId", args: { clientId: 42 } },
  { what: "name is a number", field: "name", args: { ...ok, name: 7 } },
  { what: "description is a boolean", field: "description", args: { ...ok, description: true } },
  { what: "enabled is a string", field: "enabled", args: { ...ok, enabled: "yes" } },
  { what: "publicClient is the string true", field: "publicClient", args: { ...ok, publicClient: "true" } },
  { what: "bearerOnly is a number", field: "bearerOnly", args: { ...ok, bearerOnly: 1 } },
  { what: "standardFlowEnabled is a string", field: "standardFlowEnabled", args: { ...ok, standardFlowEnabled: "false" } },
  { what: "implicitFlowEnabled is an object", field: "implicitFlowEnabled", args: { ...ok, implicitFlowEnabled: { on: true } } },
  { what: "directAccessGrantsEnabled is a list", field: "directAccessGrantsEnabled", args: { ...ok, directAccessGrantsEnabled: [true] } },
  { what: "serviceAccountsEnabled is a string", field: "serviceAccountsEnabled", args: { ...ok, serviceAccountsEnabled: "on" } },
  { what: "consentRequired is a number", field: "consentRequired", args: { ...ok, consentRequired: 0 } },
  { what: "fullScopeAllowed is a string", field: "fullScopeAllowed", args: { ...ok, fullScopeAllowed: "no" } },
  { what: "frontchannelLogout is a number", field: "frontchannelLogout", args: { ...ok, frontchannelLogout: 2 } },
  { what: "redirectUris is a string, not a list", field: "redirectUris", args: { ...ok, redirectUris: "https://app.example.com/*" } },
  { what: "redirectUris holds numbers", field: "redirectUris", args: { ...ok, redirectUris: [1, 2] } },
  { what: "webOrigins is an object", field: "webOrigins", args: { ...ok, webOrigins: { a: "https://a.example.com" } } },
  { what: "attributes is a list", field: "attributes", args: { ...ok, attributes: ["pkce"] } },
  { what: "an attribute value is a number", field: "attributes", args: { ...ok, attributes: { "access.token.lifespan": 300 } } },
  { what: "defaultClientScopes is a string", field: "defaultClientScopes", args: { ...ok, defaultClientScopes: "profile" } },
  { what: "optionalClientScopes holds a boolean", field: "optionalClientScopes", args: { ...ok, optionalClientScopes: [true] } },
  { what: "protocolMappers is an object", field: "protocolMappers", args: { ...ok, protocolMappers: { name: "m" } } },
  { what: "a protocol mapper without its type", field: "protocolMapper", args: { ...ok, protocolMappers: [{ name: "m" }] } },
  { what: "a protocol mapper config value is a number", field: "config", args: { ...ok, protocolMappers: [{ name: "m", protocolMapper: "oidc-audience-mapper", config: { n: 1 } }] } },
  { what: "extra is a string", field: "extra", args: { ...ok, extra: "surrogateAuthRequired" } },
  { what: "protocol is unknown", field: "protocol", args: { ...ok, protocol: "oauth2" } },

  // Bad URLs.
  { what: "rootUrl is not a URL", field: "rootUrl", args: { ...ok, rootUrl: "not a url" } },
  { what: "baseUrl has a space", field: "baseUrl", args: { ...ok, baseUrl: "app page" } },
  { what: "adminUrl has no scheme", field: "adminUrl", args: { ...ok, adminUrl: "admin.example.com" } },
  { what: "a redirect URI with a space", field: "redirectUris", args: { ...ok, redirectUris: ["https://app.example.com/ path"] } },
  { what: "an empty web origin", field: "webOrigins", args: { ...ok, webOrigins: [""] } },

  // Unknown or misspelt fields.
  { what: "redirectUri for redirectUris", field: "redirectUri", args: { ...ok, redirectUri: ["https://app.example.com/*"] } },
  { what: "clientID for clientId", field: "clientID", args: { clientID: "corpus-client" } },
  { what: "publicclient for publicClient", field: "publicclient", args: { ...ok, publicclient: true } },
  { what: "descripton for description", field: "descripton", args: { ...ok, descripton: "x" } },
  { what: "webOrigin for webOrigins", field: "webOrigin", args: { ...ok, webOrigin: ["+"] } },
  { what: "serviceAccountEnabled for serviceAccountsEnabled", field: "serviceAccountEnabled", args: { ...ok, serviceAccountEnabled: true } },
  { what: "a field Keycloak does not have", field: "frobnicate", args: { ...ok, frobnicate: 1 } },
  { what: "a misspelt protocol mapper field", field: "confg", args: { ...ok, protocolMappers: [{ name: "m", protocolMapper: "oidc-audience-mapper", confg: {} }] } },
  { what: "a misspelt auth mode", field: "initialAccesToken", args: { ...ok, auth: { initialAccesToken: FAKE_TOKEN } } },
  { what: "a misspelt adopt field", field: "registrationToken", args: { ...ok, adopt: { registrationToken: FAKE_TOKEN } } },

  // Empty or oversized values.
  { what: "empty clientId", field: "clientId", args: { clientId: "" } },
  { what: "clientId of 300 characters", field: "clientId", args: { clientId: "c".repeat(300) } },
  { what: "clientId with a space", field: "clientId", args: { clientId: "has space" } },
  { what: "clientId with a question mark", field: "clientId", args: { clientId: "a?b" } },
  { what: "name of 300 characters", field: "name", args: { ...ok, name: "n".repeat(300) } },
  { what: "description of 256 characters", field: "description", args: { ...ok, description: "d".repeat(256) } },
  { what: "empty realm", field: "realm", args: { ...ok, realm: "" } },
  { what: "realm with a space", field: "realm", args: { ...ok, realm: "my realm" } },
  { what: "realm of 300 characters", field: "realm", args: { ...ok, realm: "r".repeat(300) } },
  { what: "an empty attribute name", field: "attributes", args: { ...ok, attributes: { "": "v" } } },
  { what: "an attribute value of 5000 characters", field: "attributes", args: { ...ok, attributes: { k: "v".repeat(5000) } } },
  { what: "1001 redirect URIs", field: "redirectUris", args: { ...ok, redirectUris: Array.from({ length: 1001 }, (_, i) => `https://app${i}.example.com/*`) } },
  { what: "a redirect URI of 3000 characters", field: "redirectUris", args: { ...ok, redirectUris: [`https://app.example.com/${"p".repeat(3000)}`] } },
  { what: "an empty default client scope", field: "defaultClientScopes", args: { ...ok, defaultClientScopes: [""] } },
  { what: "a protocol mapper with an empty name", field: "name", args: { ...ok, protocolMappers: [{ name: "", protocolMapper: "oidc-audience-mapper" }] } },

  // Contradictory flags.
  { what: "a public client with a service account", field: "serviceAccountsEnabled", args: { ...ok, publicClient: true, serviceAccountsEnabled: true } },
  { what: "public and bearer-only", field: "bearerOnly", args: { ...ok, publicClient: true, bearerOnly: true } },
  { what: "a SAML client with OIDC flags", field: "protocol", args: { ...ok, protocol: "saml", publicClient: true } },
  { what: "a SAML client with direct access grants", field: "protocol", args: { ...ok, protocol: "saml", directAccessGrantsEnabled: true } },
  {
    what: "two protocol mappers with one name",
    field: "name",
    args: { ...ok, protocolMappers: [{ name: "dup", protocolMapper: "oidc-audience-mapper" }, { name: "dup", protocolMapper: "oidc-hardcoded-claim-mapper" }] },
  },
  { what: "extra sets a field the provider owns", field: "extra.id", args: { ...ok, extra: { id: "1234" } } },
  { what: "extra sets a field that has its own argument", field: "extra.redirectUris", args: { ...ok, extra: { redirectUris: [] } } },

  // Bad serverUrl.
  { what: "serverUrl with an ftp scheme", field: "serverUrl", args: { ...ok, serverUrl: "ftp://sso.example.com" } },
  { what: "serverUrl without a scheme", field: "serverUrl", args: { ...ok, serverUrl: "sso.example.com" } },
  { what: "serverUrl pointing at a realm", field: "serverUrl", args: { ...ok, serverUrl: "https://sso.example.com/realms/demo" } },
  { what: "serverUrl with a query", field: "serverUrl", args: { ...ok, serverUrl: "https://sso.example.com/?x=1" } },
  { what: "serverUrl is a number", field: "serverUrl", args: { ...ok, serverUrl: 8080 } },

  // Auth modes.
  { what: "two auth modes", field: "auth", args: { ...ok, auth: { initialAccessToken: FAKE_TOKEN, bearerToken: FAKE_TOKEN_2 } } },
  { what: "anonymous and a bearer token", field: "auth", args: { ...ok, auth: { anonymous: true, bearerToken: FAKE_TOKEN_2 } } },
  { what: "a service account without its secret", field: "clientSecret", args: { ...ok, auth: { serviceAccount: { clientId: "sa" } } } },
  { what: "an empty initial access token", field: "initialAccessToken", args: { ...ok, auth: { initialAccessToken: "" } } },
  { what: "auth is a string", field: "auth", args: { ...ok, auth: FAKE_TOKEN } },
  { what: "anonymous is a string", field: "anonymous", args: { ...ok, auth: { anonymous: "true" } } },

  // Adopt.
  { what: "adopt without clientId", field: "clientId", args: { adopt: { registrationAccessToken: FAKE_TOKEN } } },
  { what: "adopt with an empty token", field: "registrationAccessToken", args: { ...ok, adopt: { registrationAccessToken: "" } } },
];
