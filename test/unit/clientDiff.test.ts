import {
  createBody,
  diffClient,
  keptClientOverrides,
  KeycloakClientState,
  observe,
  overridesOf,
  rotatedSecretOf,
  secretExpiryOf,
  secretRotates,
  updateBody,
} from "../../provider/dynamic/clientDiff";
import { newOverrides, overrideWarning, recordOf } from "../../provider/dynamic/overrides";
import { keycloakClientArgsSchema } from "../../provider/schema/keycloakClient";

const where = { serverUrl: "https://sso.example.com", realm: "demo" };
const inputs = (fields: Record<string, unknown>) => keycloakClientArgsSchema.parse({ ...where, ...fields });
const state = (fields: Record<string, unknown>): KeycloakClientState => ({ ...where, clientId: "app", registrationAccessToken: "rat", ...fields });

describe("diff of a client", () => {
  test("server defaults on fields the program does not declare never show a diff", () => {
    const server = { clientId: "app", redirectUris: ["https://b/*", "https://a/*"], publicClient: true, attributes: { "post.logout.redirect.uris": "+", x: "1" }, standardFlowEnabled: true };
    const declared = inputs({ clientId: "app", redirectUris: ["https://a/*", "https://b/*"], attributes: { x: "1" } });
    const d = diffClient(state(observe(server, declared)), declared);
    expect(d).toEqual({ replaces: [], changed: [], removed: [], deleteBeforeReplace: false });
  });

  test("a changed redirect URI is an update, not a replacement", () => {
    const d = diffClient(state({ redirectUris: ["https://a/*"] }), inputs({ clientId: "app", redirectUris: ["https://b/*"] }));
    expect(d.changed).toEqual(["redirectUris"]);
    expect(d.replaces).toEqual([]);
  });

  test("a new clientId, realm or server replaces the client", () => {
    expect(diffClient(state({}), inputs({ clientId: "other" })).replaces).toEqual(["clientId"]);
    expect(diffClient(state({}), { ...inputs({ clientId: "app" }), realm: "other" }).replaces).toEqual(["realm"]);
    expect(diffClient(state({}), { ...inputs({ clientId: "app" }), serverUrl: "https://x" }).replaces).toEqual(["serverUrl"]);
  });

  test("a generated clientId is not replaced when the program still declares none", () => {
    expect(diffClient(state({ clientId: "generated-123" }), inputs({})).replaces).toEqual([]);
  });

  test("a protocol change keeps the clientId, so the old client is deleted first", () => {
    const d = diffClient(state({ protocol: "openid-connect" }), inputs({ clientId: "app", protocol: "saml" }));
    expect(d.replaces).toEqual(["protocol"]);
    expect(d.deleteBeforeReplace).toBe(true);
  });

  test("a field removed from the program is reset to Keycloak's default", () => {
    const olds = state({ redirectUris: ["https://a/*"], description: "old", implicitFlowEnabled: true });
    const news = inputs({ clientId: "app" });
    expect(diffClient(olds, news).removed).toEqual(["description", "redirectUris", "implicitFlowEnabled"]);
    expect(updateBody(olds, news)).toEqual({ clientId: "app", description: "", redirectUris: [], implicitFlowEnabled: false });
  });

  test("reset values follow Keycloak's OIDC defaults when protocol is declared", () => {
    const olds = state({ protocol: "openid-connect", publicClient: false, directAccessGrantsEnabled: false });
    const body = updateBody(olds, inputs({ clientId: "app", protocol: "openid-connect" }));
    expect(body).toMatchObject({ publicClient: true, directAccessGrantsEnabled: true });
  });

  test("an attribute dropped from the map is sent empty, which makes Keycloak remove it", () => {
    const olds = state({ attributes: { a: "1", b: "2" } });
    const news = inputs({ clientId: "app", attributes: { a: "1" } });
    expect(diffClient(olds, news).changed).toEqual(["attributes"]);
    expect(updateBody(olds, news).attributes).toEqual({ a: "1", b: "" });
  });

  test("an update declaring one scope list carries the other as it stands", () => {
    const body = updateBody(state({}), inputs({ clientId: "app", defaultClientScopes: ["profile"] }), { optionalClientScopes: ["email"] });
    expect(body).toMatchObject({ defaultClientScopes: ["profile"], optionalClientScopes: ["email"] });
  });

  test("protocol mappers compare on declared config keys and are sent with their protocol", () => {
    const declared = inputs({
      clientId: "app",
      protocolMappers: [{ name: "aud", protocolMapper: "oidc-audience-mapper", config: { "included.client.audience": "api" } }],
    });
    const server = {
      protocolMappers: [{ id: "x", name: "aud", protocol: "openid-connect", protocolMapper: "oidc-audience-mapper", config: { "included.client.audience": "api", "access.token.claim": "true" } }],
    };
    expect(diffClient(state(observe(server, declared)), declared).changed).toEqual([]);
    expect(createBody(declared).protocolMappers).toEqual([
      { name: "aud", protocol: "openid-connect", protocolMapper: "oidc-audience-mapper", config: { "included.client.audience": "api" } },
    ]);
    const drifted = { protocolMappers: [...server.protocolMappers, { name: "extra", protocol: "openid-connect", protocolMapper: "oidc-full-name-mapper", config: {} }] };
    expect(diffClient(state(observe(drifted, declared)), declared).changed).toEqual(["protocolMappers"]);
  });

  test("extra fields are compared by value", () => {
    const declared = inputs({ clientId: "app", extra: { surrogateAuthRequired: true } });
    expect(diffClient(state(observe({ surrogateAuthRequired: false }, declared)), declared).changed).toEqual(["extra"]);
    expect(diffClient(state(observe({ surrogateAuthRequired: true }, declared)), declared).changed).toEqual([]);
  });
});

describe("typed client metadata, kept by Keycloak as attributes", () => {
  const jwk = { kty: "RSA", kid: "k1", use: "sig", alg: "PS256", e: "AQAB", n: "sXch" };
  const modern = inputs({
    clientId: "app",
    clientAuthenticatorType: "client-jwt",
    jwks: { keys: [jwk] },
    tokenEndpointAuthSigningAlg: "PS256",
    pkceCodeChallengeMethod: "S256",
    dpopBoundAccessTokens: true,
    requirePushedAuthorizationRequests: true,
    backchannelLogoutUrl: "https://app.example.com/logout",
    backchannelLogoutSessionRequired: true,
  });

  test("a create sends them as the attributes Keycloak reads, never as fields of their own", () => {
    expect(createBody(modern)).toEqual({
      clientId: "app",
      clientAuthenticatorType: "client-jwt",
      attributes: {
        "use.jwks.string": "true",
        "jwks.string": JSON.stringify({ keys: [jwk] }),
        "token.endpoint.auth.signing.alg": "PS256",
        "pkce.code.challenge.method": "S256",
        "dpop.bound.access.tokens": "true",
        "require.pushed.authorization.requests": "true",
        "backchannel.logout.url": "https://app.example.com/logout",
        "backchannel.logout.session.required": "true",
      },
    });
  });

  test("Keycloak's answer (pretty-printed key set, attributes of its own) shows no difference", () => {
    const server = {
      clientId: "app",
      clientAuthenticatorType: "client-jwt",
      attributes: {
        ...(createBody(modern).attributes as Record<string, string>),
        "jwks.string": JSON.stringify({ keys: [jwk] }, null, 2),
        "client.secret.creation.time": "1796094515",
        "backchannel.logout.revoke.offline.tokens": "false",
      },
    };
    const view = observe(server, modern);
    expect(view).toMatchObject({ jwks: { keys: [jwk] }, dpopBoundAccessTokens: true, pkceCodeChallengeMethod: "S256" });
    expect(diffClient(state(view), modern)).toEqual({ replaces: [], changed: [], removed: [], deleteBeforeReplace: false });
  });

  test("a key set Keycloak no longer uses (its switch off) is drift", () => {
    const server = { clientAuthenticatorType: "client-jwt", attributes: { ...(createBody(modern).attributes as Record<string, string>), "use.jwks.string": "false" } };
    expect(diffClient(state(observe(server, modern)), modern).changed).toEqual(["jwks"]);
  });

  test("removing a typed field removes its attribute (and turns the key-set switch off)", () => {
    const olds = state({ jwksUrl: "https://app.example.com/jwks", dpopBoundAccessTokens: true });
    const news = inputs({ clientId: "app" });
    expect(diffClient(olds, news).removed).toEqual(["jwksUrl", "dpopBoundAccessTokens"]);
    expect(updateBody(olds, news)).toEqual({ clientId: "app", attributes: { "jwks.url": "", "use.jwks.url": "false", "dpop.bound.access.tokens": "" } });
  });

  test("an attribute moved from `attributes` into its typed field is not blanked by the move", () => {
    const olds = state({ attributes: { "pkce.code.challenge.method": "S256", x: "1" } });
    const news = inputs({ clientId: "app", attributes: { x: "1" }, pkceCodeChallengeMethod: "S256" });
    expect(updateBody(olds, news).attributes).toEqual({ x: "1", "pkce.code.challenge.method": "S256" });
  });

  test("clientAuthenticatorType keeps its value when no longer declared (a realm's policy picks the default)", () => {
    const olds = state({ clientAuthenticatorType: "client-jwt" });
    expect(diffClient(olds, inputs({ clientId: "app" })).removed).toEqual([]);
  });
});

describe("server overrides: a declared value a client policy does not let Keycloak keep", () => {
  // Measured on Keycloak 26.7.3: consent-required (auto-configure) answers consentRequired: true,
  // pkce-enforcer (auto-configure) answers the attribute S256, whatever was declared.
  const declared = inputs({ clientId: "app", consentRequired: false, fullScopeAllowed: true, attributes: { "pkce.code.challenge.method": "plain", x: "1" } });
  const answer = { clientId: "app", consentRequired: true, fullScopeAllowed: true, attributes: { "pkce.code.challenge.method": "S256", x: "1" } };
  const answered = observe(answer, declared);
  const overrides = overridesOf(declared, answered);

  test("are detected field by field, with the declared and enforced values and the likely executor", () => {
    expect(overrides).toEqual([
      { field: "consentRequired", declared: false, enforced: true, likelyPolicy: 'the client-policy executor "consent-required" (auto-configure)' },
      {
        field: "attributes.pkce.code.challenge.method",
        declared: "plain",
        enforced: "S256",
        likelyPolicy: 'the client-policy executor "pkce-enforcer" (auto-configure)',
      },
    ]);
    expect(overridesOf(declared, observe({ ...answer, consentRequired: false, attributes: { "pkce.code.challenge.method": "plain", x: "1" } }, declared))).toEqual([]);
  });

  test("a typed field is named as the program names it", () => {
    const typed = inputs({ clientId: "app", dpopBoundAccessTokens: false });
    expect(overridesOf(typed, observe({ attributes: { "dpop.bound.access.tokens": "true" } }, typed))).toEqual([
      { field: "dpopBoundAccessTokens", declared: false, enforced: true, likelyPolicy: 'the client-policy executor "dpop-bind-enforcer" (auto-configure)' },
    ]);
  });

  test("with the record in the state, the next preview shows no change (no PUT, no token rotated)", () => {
    const olds = state({ ...answered, serverOverrides: recordOf(overrides) });
    expect(diffClient(olds, declared)).toEqual({ replaces: [], changed: [], removed: [], deleteBeforeReplace: false });
    // Without the record the same state is an endless diff: the loop.
    expect(diffClient(state(answered), declared).changed).toEqual(["consentRequired", "attributes"]);
  });

  test("declaring the enforced value converges; declaring a third value, or drift away from the enforced one, is a change", () => {
    const olds = state({ ...answered, serverOverrides: recordOf(overrides) });
    expect(diffClient(olds, { ...declared, consentRequired: true }).changed).toEqual([]);
    const third = inputs({ clientId: "app", consentRequired: false, fullScopeAllowed: true, attributes: { "pkce.code.challenge.method": "", x: "1" } });
    expect(diffClient(olds, third).changed).toEqual(["attributes"]);
    expect(diffClient({ ...olds, consentRequired: false, fullScopeAllowed: false }, declared).changed).toEqual(["fullScopeAllowed"]);
    const drifted = { ...olds, attributes: { "pkce.code.challenge.method": "plain-ish", x: "1" } };
    expect(diffClient(drifted, declared).changed).toEqual(["attributes"]);
  });

  test("a refresh keeps the entries the server still enforces and drops the others", () => {
    const record = recordOf(overrides);
    expect(keptClientOverrides(record, answered)).toEqual(record);
    expect(keptClientOverrides(record, { ...answered, consentRequired: false })).toEqual({ "attributes.pkce.code.challenge.method": { declared: "plain", enforced: "S256" } });
    expect(keptClientOverrides(record, { consentRequired: false, attributes: { x: "1" } })).toBeUndefined();
  });

  test("the user is told once: an override already recorded is not news", () => {
    expect(newOverrides(undefined, overrides)).toEqual(overrides);
    expect(newOverrides(recordOf(overrides), overrides)).toEqual([]);
    expect(newOverrides(recordOf(overrides), [{ ...overrides[0]!, enforced: "other" }])).toHaveLength(1);
  });

  test("the warning names field, declared and enforced value and executor, and advises no role", () => {
    const text = overrideWarning('client "app" in realm "demo"', overrides);
    expect(text).toContain('consentRequired: declared false, the server keeps true (likely the client-policy executor "consent-required" (auto-configure))');
    expect(text).toContain('attributes.pkce.code.challenge.method: declared "plain", the server keeps "S256"');
    expect(text).toContain("Realm settings > Client policies");
    expect(text).not.toMatch(/role|manage-clients|create-client/);
  });
});

describe("client secret rotation", () => {
  // Attribute names and values as Keycloak 26.7.3 keeps them with the secret-rotation executor (measured).
  const rotated = {
    publicClient: false,
    attributes: {
      "client.secret.creation.time": "1796094669",
      "client.secret.expiration.time": "1796094729",
      "client.secret.rotated": "old-secret-value",
      "client.secret.rotated.creation.time": "1796094669",
      "client.secret.rotated.expiration.time": "1796094699",
    },
  };

  test("the expiry of the secret and of the rotated-out one are read from the attributes", () => {
    expect(secretExpiryOf(rotated)).toEqual({ clientSecretExpiresAt: 1796094729, rotatedClientSecretExpiresAt: 1796094699 });
    expect(secretRotates(secretExpiryOf(rotated))).toBe(true);
    expect(rotatedSecretOf(rotated)).toBe("old-secret-value");
  });

  test("without rotation there is no expiry, and a public client has none", () => {
    expect(secretExpiryOf({ publicClient: false, attributes: { "client.secret.creation.time": "1" } })).toEqual({});
    expect(secretRotates(secretExpiryOf({ publicClient: false, attributes: {} }))).toBe(false);
    expect(secretExpiryOf({ publicClient: true })).toEqual({});
  });
});
