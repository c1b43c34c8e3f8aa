/**
 * Malformed `KeycloakClient`, `OidcClient` and `SamlClient` definitions, each of which `check` must
 * reject before any request is sent. `property` is the exact property path the failure names (the
 * set of reported paths must be exactly this one). `args` are the resource's arguments as a program
 * writes them; serverUrl and realm come from the stack configuration unless a case sets them.
 * The tokens here are fakes; the tests also check they never appear in a message.
 */
export type ResourceKind = "KeycloakClient" | "OidcClient" | "SamlClient";

export interface MalformedCase {
  kind: ResourceKind;
  /** What is wrong, in a few words. */
  what: string;
  /** The exact property path the failure names (several when one mistake breaks several fields, e.g. a misspelt required key). */
  property: string | string[];
  args: Record<string, unknown>;
  /**
   * The value holds a credential: the failure goes to Pulumi without a property, so Pulumi prints the
   * reason alone instead of "property <p> value {<the value>}"; the reason names `property`.
   */
  withheld?: true;
}

export const FAKE_TOKEN = "fake-token-for-the-malformed-corpus-0123456789";
const FAKE_TOKEN_2 = "fake-token-for-the-malformed-corpus-9876543210";
/**
 * The password of the URLs with user:password@. Not FAKE_TOKEN: that one is a secret of the engine
 * cases' stack config, and Pulumi masks a secret config value wherever it prints it.
 */
export const URL_PASSWORD = "url-password-of-the-malformed-corpus-5550123";

const ok = { clientId: "corpus-client" };
const withheld = (c: MalformedCase): MalformedCase => ({ ...c, withheld: true });
const kc = (what: string, property: string | string[], args: Record<string, unknown>): MalformedCase => ({ kind: "KeycloakClient", what, property, args });

const KEYCLOAK_CLIENT: MalformedCase[] = [
  // Wrong types.
  kc("clientId is a number", "clientId", { clientId: 42 }),
  kc("name is a number", "name", { ...ok, name: 7 }),
  kc("description is a boolean", "description", { ...ok, description: true }),
  kc("enabled is a string", "enabled", { ...ok, enabled: "yes" }),
  kc("publicClient is the string true", "publicClient", { ...ok, publicClient: "true" }),
  kc("bearerOnly is a number", "bearerOnly", { ...ok, bearerOnly: 1 }),
  kc("standardFlowEnabled is a string", "standardFlowEnabled", { ...ok, standardFlowEnabled: "false" }),
  kc("implicitFlowEnabled is an object", "implicitFlowEnabled", { ...ok, implicitFlowEnabled: { on: true } }),
  kc("directAccessGrantsEnabled is a list", "directAccessGrantsEnabled", { ...ok, directAccessGrantsEnabled: [true] }),
  kc("serviceAccountsEnabled is a string", "serviceAccountsEnabled", { ...ok, serviceAccountsEnabled: "on" }),
  kc("consentRequired is a number", "consentRequired", { ...ok, consentRequired: 0 }),
  kc("fullScopeAllowed is a string", "fullScopeAllowed", { ...ok, fullScopeAllowed: "no" }),
  kc("frontchannelLogout is a number", "frontchannelLogout", { ...ok, frontchannelLogout: 2 }),
  kc("redirectUris is a string, not a list", "redirectUris", { ...ok, redirectUris: "https://app.example.com/*" }),
  kc("redirectUris holds a number", "redirectUris[1]", { ...ok, redirectUris: ["https://app.example.com/*", 2] }),
  kc("webOrigins is an object", "webOrigins", { ...ok, webOrigins: { a: "https://a.example.com" } }),
  kc("attributes is a list", "attributes", { ...ok, attributes: ["pkce"] }),
  kc("an attribute value is a number", "attributes.access.token.lifespan", { ...ok, attributes: { "access.token.lifespan": 300 } }),
  kc("defaultClientScopes is a string", "defaultClientScopes", { ...ok, defaultClientScopes: "profile" }),
  kc("optionalClientScopes holds a boolean", "optionalClientScopes[0]", { ...ok, optionalClientScopes: [true] }),
  kc("protocolMappers is an object", "protocolMappers", { ...ok, protocolMappers: { name: "m" } }),
  kc("a protocol mapper without its type", "protocolMappers[0].protocolMapper", { ...ok, protocolMappers: [{ name: "m" }] }),
  kc("a protocol mapper config value is a number", "protocolMappers[0].config.n", { ...ok, protocolMappers: [{ name: "m", protocolMapper: "oidc-audience-mapper", config: { n: 1 } }] }),
  kc("extra is a string", "extra", { ...ok, extra: "surrogateAuthRequired" }),
  kc("protocol is unknown", "protocol", { ...ok, protocol: "oauth2" }),
  kc("clientAuthenticatorType is unknown", "clientAuthenticatorType", { ...ok, clientAuthenticatorType: "password" }),

  // Bad URLs.
  kc("rootUrl is not a URL", "rootUrl", { ...ok, rootUrl: "not a url" }),
  kc("baseUrl has a space", "baseUrl", { ...ok, baseUrl: "app page" }),
  kc("adminUrl has no scheme", "adminUrl", { ...ok, adminUrl: "admin.example.com" }),
  kc("a redirect URI with a space", "redirectUris[0]", { ...ok, redirectUris: ["https://app.example.com/ path"] }),
  kc("an empty web origin", "webOrigins[0]", { ...ok, webOrigins: [""] }),

  // Unknown or misspelt fields.
  kc("redirectUri for redirectUris", "redirectUri", { ...ok, redirectUri: ["https://app.example.com/*"] }),
  kc("clientID for clientId", "clientID", { clientID: "corpus-client" }),
  kc("publicclient for publicClient", "publicclient", { ...ok, publicclient: true }),
  kc("descripton for description", "descripton", { ...ok, descripton: "x" }),
  kc("webOrigin for webOrigins", "webOrigin", { ...ok, webOrigin: ["+"] }),
  kc("serviceAccountEnabled for serviceAccountsEnabled", "serviceAccountEnabled", { ...ok, serviceAccountEnabled: true }),
  kc("a field Keycloak does not have", "frobnicate", { ...ok, frobnicate: 1 }),
  kc("a misspelt protocol mapper field", "protocolMappers[0].confg", { ...ok, protocolMappers: [{ name: "m", protocolMapper: "oidc-audience-mapper", confg: {} }] }),
  kc("a misspelt auth mode", "auth.initialAccesToken", { ...ok, auth: { initialAccesToken: FAKE_TOKEN } }),
  kc("a misspelt adopt field", ["adopt.registrationToken", "adopt.registrationAccessToken"], { ...ok, adopt: { registrationToken: FAKE_TOKEN } }),

  // Empty or oversized values.
  kc("empty clientId", "clientId", { clientId: "" }),
  kc("clientId of 300 characters", "clientId", { clientId: "c".repeat(300) }),
  kc("clientId with a space", "clientId", { clientId: "has space" }),
  kc("clientId with a question mark", "clientId", { clientId: "a?b" }),
  kc("name of 300 characters", "name", { ...ok, name: "n".repeat(300) }),
  kc("description of 256 characters", "description", { ...ok, description: "d".repeat(256) }),
  kc("empty realm", "realm", { ...ok, realm: "" }),
  kc("realm with a space", "realm", { ...ok, realm: "my realm" }),
  kc("realm of 300 characters", "realm", { ...ok, realm: "r".repeat(300) }),
  kc("an empty attribute name", 'attributes[""]', { ...ok, attributes: { "": "v" } }),
  kc("an attribute value of 5000 characters", "attributes.k", { ...ok, attributes: { k: "v".repeat(5000) } }),
  kc("1001 redirect URIs", "redirectUris", { ...ok, redirectUris: Array.from({ length: 1001 }, (_, i) => `https://app${i}.example.com/*`) }),
  kc("a redirect URI of 3000 characters", "redirectUris[0]", { ...ok, redirectUris: [`https://app.example.com/${"p".repeat(3000)}`] }),
  kc("an empty default client scope", "defaultClientScopes[0]", { ...ok, defaultClientScopes: [""] }),
  kc("a protocol mapper with an empty name", "protocolMappers[0].name", { ...ok, protocolMappers: [{ name: "", protocolMapper: "oidc-audience-mapper" }] }),

  // Names that would change the URL path.
  kc('clientId ".."', "clientId", { clientId: ".." }),
  kc('clientId "."', "clientId", { clientId: "." }),
  kc("clientId with an encoded dot-dot", "clientId", { clientId: "https://sp.example.com/%2e%2e/admin" }),
  kc('realm ".."', "realm", { ...ok, realm: ".." }),
  kc("realm with a slash", "realm", { ...ok, realm: "a/b" }),
  kc("realm with an encoded dot-dot", "realm", { ...ok, realm: "%2e%2e" }),

  // Contradictory flags.
  kc("a public client with a service account", "serviceAccountsEnabled", { ...ok, publicClient: true, serviceAccountsEnabled: true }),
  kc("public and bearer-only", "bearerOnly", { ...ok, publicClient: true, bearerOnly: true }),
  kc("a SAML client with OIDC flags", "protocol", { ...ok, protocol: "saml", publicClient: true }),
  kc("a SAML client with direct access grants", "protocol", { ...ok, protocol: "saml", directAccessGrantsEnabled: true }),
  kc("two protocol mappers with one name", "protocolMappers[1].name", {
    ...ok,
    protocolMappers: [
      { name: "dup", protocolMapper: "oidc-audience-mapper" },
      { name: "dup", protocolMapper: "oidc-hardcoded-claim-mapper" },
    ],
  }),
  kc("extra sets a field the provider owns", "extra.id", { ...ok, extra: { id: "1234" } }),
  kc("extra sets a field that has its own argument", "extra.redirectUris", { ...ok, extra: { redirectUris: [] } }),

  // Bad serverUrl.
  kc("serverUrl with an ftp scheme", "serverUrl", { ...ok, serverUrl: "ftp://sso.example.com" }),
  kc("serverUrl without a scheme", "serverUrl", { ...ok, serverUrl: "sso.example.com" }),
  kc("serverUrl pointing at a realm", "serverUrl", { ...ok, serverUrl: "https://sso.example.com/realms/demo" }),
  kc("serverUrl with a query", "serverUrl", { ...ok, serverUrl: "https://sso.example.com/?x=1" }),
  kc("serverUrl is a number", "serverUrl", { ...ok, serverUrl: 8080 }),
  kc("serverUrl with an encoded slash in its path", "serverUrl", { ...ok, serverUrl: "https://gw.example.com/kc-a%2F..%2Fkc-b" }),
  withheld(kc("serverUrl with user:password@", "serverUrl", { ...ok, serverUrl: `https://admin:${URL_PASSWORD}@sso.example.com` })),

  // Auth modes.
  kc("two auth modes", "auth", { ...ok, auth: { initialAccessToken: FAKE_TOKEN, bearerToken: FAKE_TOKEN_2 } }),
  kc("anonymous and a bearer token", "auth", { ...ok, auth: { anonymous: true, bearerToken: FAKE_TOKEN_2 } }),
  kc("a service account without its secret", "auth.serviceAccount.clientSecret", { ...ok, auth: { serviceAccount: { clientId: "sa" } } }),
  kc("an empty initial access token", "auth.initialAccessToken", { ...ok, auth: { initialAccessToken: "" } }),
  kc("auth is a string", "auth", { ...ok, auth: FAKE_TOKEN }),
  kc("anonymous is a string", "auth.anonymous", { ...ok, auth: { anonymous: "true" } }),
  kc('a service account realm ".."', "auth.serviceAccount.realm", { ...ok, auth: { serviceAccount: { clientId: "sa", clientSecret: FAKE_TOKEN, realm: ".." } } }),

  // Adopt.
  kc("adopt without clientId", "clientId", { adopt: { registrationAccessToken: FAKE_TOKEN } }),
  kc("adopt with an empty token", "adopt.registrationAccessToken", { ...ok, adopt: { registrationAccessToken: "" } }),
];

const cb = { redirect_uris: ["https://app.example.com/callback"] };
const rfc = { registrationEndpoint: "https://as.example.com/register" };
const oidc = (what: string, property: string | string[], args: Record<string, unknown>): MalformedCase => ({ kind: "OidcClient", what, property, args });

const OIDC_CLIENT: MalformedCase[] = [
  oidc("redirect_uris is a string", "redirect_uris", { redirect_uris: "https://app.example.com/callback" }),
  oidc("a redirect URI that is no URL", "redirect_uris[0]", { redirect_uris: ["not a url"] }),
  oidc("an unknown grant type", "grant_types[0]", { ...cb, grant_types: ["magic"] }),
  oidc("an unknown response type", "response_types[0]", { ...cb, response_types: ["code token id"] }),
  oidc("an unknown token endpoint auth method", "token_endpoint_auth_method", { ...cb, token_endpoint_auth_method: "client_secret_magic" }),
  oidc("application_type is unknown", "application_type", { ...cb, application_type: "desktop" }),
  oidc("logo_uri is no URL", "logo_uri", { ...cb, logo_uri: "logo.png" }),
  oidc("contacts is a string", "contacts", { ...cb, contacts: "ops@example.com" }),
  oidc("scope is blank", "scope", { ...cb, scope: "   " }),
  oidc("jwks and jwks_uri together", "jwks", { ...cb, token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://app.example.com/jwks", jwks: { keys: [] } }),
  oidc("redirect_uri for redirect_uris", "redirect_uri", { redirect_uri: ["https://app.example.com/callback"] }),
  oidc("a misspelt auth mode", "auth.bearerTokn", { ...cb, auth: { bearerTokn: FAKE_TOKEN } }),
  oidc("client_id on Keycloak (it generates one)", "client_id", { ...cb, client_id: "chosen" }),
  oidc('client_id ".." on any server', "client_id", { ...rfc, ...cb, client_id: "..", auth: { initialAccessToken: FAKE_TOKEN } }),
  oidc("extra sets a server-issued field", "extra.client_secret", { ...cb, extra: { client_secret: FAKE_TOKEN } }),
  oidc("extra sets a field that has its own argument", "extra.redirect_uris", { ...cb, extra: { redirect_uris: [] } }),
  oidc("registrationEndpoint and serverUrl together", "registrationEndpoint", { ...rfc, serverUrl: "https://sso.example.com", realm: "corpus", ...cb }),
  oidc("registrationEndpoint is no URL", "registrationEndpoint", { registrationEndpoint: "as.example.com/register", ...cb }),
  oidc("registrationEndpoint with an encoded slash in its path", "registrationEndpoint", { registrationEndpoint: "https://as.example.com/t1/..%2Ft2/register", ...cb }),
  withheld(oidc("registrationEndpoint with user:password@", "registrationEndpoint", { registrationEndpoint: `https://u:${URL_PASSWORD}@as.example.com/register`, ...cb })),
  oidc("a service account against another server", "auth.serviceAccount", { ...rfc, ...cb, auth: { serviceAccount: { clientId: "sa", clientSecret: FAKE_TOKEN } } }),
  oidc("adopt without the client's URI or clientId", "adopt.registrationClientUri", { ...cb, adopt: { registrationAccessToken: FAKE_TOKEN } }),
  oidc("adopt with both the URI and the clientId", "adopt.clientId", { ...cb, adopt: { registrationAccessToken: FAKE_TOKEN, registrationClientUri: "https://sso.example.com/x", clientId: "c" } }),
  oidc("adopt.registrationClientUri outside the registration endpoint's directory", "adopt.registrationClientUri", { registrationEndpoint: "https://as.example.com/tenant-a/register", ...cb, auth: { initialAccessToken: FAKE_TOKEN }, adopt: { registrationAccessToken: FAKE_TOKEN, registrationClientUri: "https://as.example.com/tenant-b/register/c1" } }),
  oidc('adopt.clientId ".."', "adopt.clientId", { ...cb, adopt: { registrationAccessToken: FAKE_TOKEN, clientId: ".." } }),
  oidc('realm ".."', "realm", { ...cb, realm: ".." }),
  oidc("the stack's credentials for a server on another origin", "auth", { ...rfc, ...cb }),
];

const SP = '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/saml/acs" index="1"/></md:SPSSODescriptor>';
const descriptor = (inner = SP, opts: { prologue?: string; entityId?: string | null; root?: string } = {}) => {
  const root = opts.root ?? "md:EntityDescriptor";
  const entityId = opts.entityId === null ? "" : ` entityID="${opts.entityId ?? "https://sp.example.com/saml"}"`;
  return `${opts.prologue ?? ""}<${root} xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"${entityId}>${inner}</${root}>`;
};
const LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">' +
  '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol9 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>';
const saml = (what: string, property: string | string[], args: Record<string, unknown>): MalformedCase => ({ kind: "SamlClient", what, property, args });

const SAML_CLIENT: MalformedCase[] = [
  saml("a DOCTYPE", "entityDescriptor", { entityDescriptor: descriptor(SP, { prologue: "<!DOCTYPE md:EntityDescriptor>" }) }),
  saml("an internal entity", "entityDescriptor", { entityDescriptor: descriptor(`<md:Extensions>&x;</md:Extensions>${SP}`, { prologue: '<!DOCTYPE md:EntityDescriptor [<!ENTITY x "y">]>' }) }),
  saml("an external entity (XXE)", "entityDescriptor", { entityDescriptor: descriptor(`<md:Extensions>&xxe;</md:Extensions>${SP}`, { prologue: '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' }) }),
  saml("billion laughs", "entityDescriptor", { entityDescriptor: descriptor(`<md:Extensions>&lol9;</md:Extensions>${SP}`, { prologue: LAUGHS }) }),
  saml("not well-formed", "entityDescriptor", { entityDescriptor: descriptor(SP).replace("</md:EntityDescriptor>", "</md:EntityDescriptr>") }),
  saml("an unclosed element", "entityDescriptor", { entityDescriptor: descriptor("<md:SPSSODescriptor>") }),
  saml("the wrong root (an IdP's EntitiesDescriptor)", "entityDescriptor", { entityDescriptor: descriptor(SP, { root: "md:EntitiesDescriptor" }) }),
  saml("no SPSSODescriptor (an IdP's metadata)", "entityDescriptor", { entityDescriptor: descriptor('<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>') }),
  saml("no entityID", "entityDescriptor", { entityDescriptor: descriptor(SP, { entityId: null }) }),
  saml('an entityID of ".."', "entityDescriptor", { entityDescriptor: descriptor(SP, { entityId: ".." }) }),
  saml("a __proto__ element", "entityDescriptor", { entityDescriptor: descriptor(`<__proto__><polluted>yes</polluted></__proto__>${SP}`) }),
  saml("a constructor attribute", "entityDescriptor", { entityDescriptor: descriptor(SP).replace("<md:EntityDescriptor ", '<md:EntityDescriptor constructor="x" ') }),
  saml("huge (300 KiB)", "entityDescriptor", { entityDescriptor: descriptor(`<md:Extensions>${"x".repeat(300 * 1024)}</md:Extensions>${SP}`) }),
  saml("empty", "entityDescriptor", { entityDescriptor: "" }),
  saml("a number instead of XML", "entityDescriptor", { entityDescriptor: 42 }),
  saml("plain text", "entityDescriptor", { entityDescriptor: "https://sp.example.com/saml" }),
  saml("a misspelt adopt field", ["adopt.registrationToken", "adopt.registrationAccessToken"], { entityDescriptor: descriptor(), adopt: { registrationToken: FAKE_TOKEN } }),
  withheld(saml("serverUrl with user:password@", "serverUrl", { entityDescriptor: descriptor(), serverUrl: `https://admin:${URL_PASSWORD}@sso.example.com` })),
  saml('realm ".."', "realm", { entityDescriptor: descriptor(), realm: ".." }),
];

export const MALFORMED_CASES: MalformedCase[] = [...KEYCLOAK_CLIENT, ...OIDC_CLIENT, ...SAML_CLIENT];

/** The few cases that also go through a real `pulumi preview`: one or two per kind. */
export const ENGINE_CASES: Array<[ResourceKind, string]> = [
  ["KeycloakClient", "redirectUri for redirectUris"],
  ["KeycloakClient", 'realm ".."'],
  ["KeycloakClient", "serverUrl with user:password@"],
  ["OidcClient", "a redirect URI that is no URL"],
  ["OidcClient", "registrationEndpoint with user:password@"],
  ["SamlClient", "billion laughs"],
  ["SamlClient", "a __proto__ element"],
];
