import { diffOidcClient, keptOidcOverrides, observeOidc, oidcMetadataBody, OidcClientState, oidcOverridesOf } from "../../provider/dynamic/oidcDiff";
import { recordOf } from "../../provider/dynamic/overrides";
import { oidcClientArgsSchema } from "../../provider/schema/oidcClient";

const where = { registrationEndpoint: "https://as.example.com/reg" };
const inputs = (fields: Record<string, unknown>) => oidcClientArgsSchema.parse({ ...where, ...fields });
const state = (fields: Record<string, unknown>): OidcClientState => ({
  ...where,
  client_id: "app",
  registration_access_token: "rat",
  registration_client_uri: "https://as.example.com/reg/app",
  ...fields,
});
const noDiff = { replaces: [], changed: [], removed: [] };

describe("diff of an OIDC client", () => {
  test("server defaults on undeclared metadata never show a diff", () => {
    const server = { client_id: "app", redirect_uris: ["https://a/cb"], subject_type: "public", id_token_signed_response_alg: "RS256", token_endpoint_auth_method: "client_secret_basic" };
    const declared = inputs({ redirect_uris: ["https://a/cb"] });
    expect(diffOidcClient(state(observeOidc(server, declared)), declared)).toEqual(noDiff);
  });

  test("sets are compared without order, scope as a space-separated set", () => {
    const server = { redirect_uris: ["https://b/cb", "https://a/cb"], grant_types: ["refresh_token", "authorization_code"], contacts: ["b@x", "a@x"], scope: "profile email" };
    const declared = inputs({ redirect_uris: ["https://a/cb", "https://b/cb"], grant_types: ["authorization_code", "refresh_token"], contacts: ["a@x", "b@x"], scope: "email  profile" });
    expect(diffOidcClient(state(observeOidc(server, declared)), declared)).toEqual(noDiff);
  });

  test("the `none` response type Keycloak adds to code-flow clients is not a difference, unless declared otherwise", () => {
    expect(diffOidcClient(state({ response_types: ["code", "none"] }), inputs({ response_types: ["code"] })).changed).toEqual([]);
    expect(diffOidcClient(state({ response_types: ["code"] }), inputs({ response_types: ["code", "none"] })).changed).toEqual(["response_types"]);
  });

  test("drift on a declared field is a change, not a replacement", () => {
    const d = diffOidcClient(state({ redirect_uris: ["https://attacker/cb"] }), inputs({ redirect_uris: ["https://a/cb"] }));
    expect(d).toEqual({ replaces: [], changed: ["redirect_uris"], removed: [] });
  });

  test("a field the program stops declaring is a removal", () => {
    expect(diffOidcClient(state({ client_name: "Old", redirect_uris: ["https://a/cb"] }), inputs({ redirect_uris: ["https://a/cb"] })).removed).toEqual(["client_name"]);
  });

  test("a new client_id or a new location replaces the client; a generated client_id does not", () => {
    expect(diffOidcClient(state({}), inputs({ client_id: "other" })).replaces).toEqual(["client_id"]);
    expect(diffOidcClient(state({ client_id: "generated" }), inputs({})).replaces).toEqual([]);
    expect(diffOidcClient(state({}), inputs({ registrationEndpoint: "https://other.example.com/reg" })).replaces).toEqual(["registrationEndpoint"]);
    const keycloak = oidcClientArgsSchema.parse({ serverUrl: "https://sso.example.com", realm: "demo" });
    expect(diffOidcClient(state({}), keycloak).replaces).toEqual(["serverUrl", "realm", "registrationEndpoint"]);
    const kcState = state({ registrationEndpoint: undefined, serverUrl: "https://sso.example.com", realm: "demo" });
    expect(diffOidcClient(kcState, { ...keycloak, realm: "other" }).replaces).toEqual(["realm"]);
  });

  test("extra is compared on its declared keys, and a dropped key is a change", () => {
    const declared = inputs({ extra: { id_token_signed_response_alg: "ES256" } });
    const server = { id_token_signed_response_alg: "ES256", userinfo_signed_response_alg: "RS256" };
    expect(diffOidcClient(state(observeOidc(server, declared)), declared)).toEqual(noDiff);
    expect(diffOidcClient(state({ extra: { a: 1, b: 2 } }), inputs({ extra: { a: 1 } })).changed).toEqual(["extra"]);
  });

  test("metadata the server does not return is taken as declared", () => {
    const declared = inputs({ tos_uri: "https://a/tos", contacts: ["a@x"], redirect_uris: ["https://a/cb"] });
    expect(observeOidc({ redirect_uris: ["https://b/cb"] }, declared)).toEqual({ tos_uri: "https://a/tos", contacts: ["a@x"], redirect_uris: ["https://b/cb"] });
  });
});

describe("metadata sent to the server", () => {
  test("exactly the declared fields, extra spread in, no location or credentials", () => {
    const body = oidcMetadataBody(inputs({ client_id: "app", redirect_uris: ["https://a/cb"], auth: { initialAccessToken: "t" }, extra: { software_id: "x" } }));
    expect(body).toEqual({ client_id: "app", redirect_uris: ["https://a/cb"], software_id: "x" });
  });
});

describe("modern metadata and Keycloak's answers", () => {
  const kc = { serverUrl: "https://sso.example.com", realm: "demo" };
  const kcInputs = (fields: Record<string, unknown>) => oidcClientArgsSchema.parse({ ...kc, ...fields });
  const kcState = (fields: Record<string, unknown>): OidcClientState => ({ ...state(fields), registrationEndpoint: undefined, ...kc });

  test("DPoP, PAR, holder-of-key and back-channel logout are sent under their RFC names", () => {
    const declared = inputs({
      redirect_uris: ["https://a/cb"],
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      tls_client_certificate_bound_access_tokens: false,
      backchannel_logout_uri: "https://a/logout",
      backchannel_logout_session_required: true,
    });
    expect(oidcMetadataBody(declared)).toEqual({
      redirect_uris: ["https://a/cb"],
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      tls_client_certificate_bound_access_tokens: false,
      backchannel_logout_uri: "https://a/logout",
      backchannel_logout_session_required: true,
    });
  });

  test("Keycloak's backchannel_logout_session_required (its revoke-offline switch, measured on 26.7.3) is taken as declared", () => {
    const declared = kcInputs({ backchannel_logout_uri: "https://a/logout", backchannel_logout_session_required: true });
    const answer = { backchannel_logout_uri: "https://a/logout", backchannel_logout_session_required: false };
    expect(observeOidc(answer, declared)).toEqual({ backchannel_logout_uri: "https://a/logout", backchannel_logout_session_required: true });
    expect(oidcOverridesOf(declared, observeOidc(answer, declared))).toEqual([]);
    // Any other server is taken at its word.
    const generic = inputs({ backchannel_logout_uri: "https://a/logout", backchannel_logout_session_required: true });
    expect(observeOidc(answer, generic).backchannel_logout_session_required).toBe(false);
  });

  test("an executor's override is detected, recorded, and no longer a change while it holds", () => {
    // Measured on 26.7.3: holder-of-key-enforcer (auto-configure) answers true for a declared false.
    const declared = kcInputs({ redirect_uris: ["https://a/cb"], tls_client_certificate_bound_access_tokens: false });
    const answered = observeOidc({ redirect_uris: ["https://a/cb"], tls_client_certificate_bound_access_tokens: true }, declared);
    const overrides = oidcOverridesOf(declared, answered);
    expect(overrides).toEqual([
      {
        field: "tls_client_certificate_bound_access_tokens",
        declared: false,
        enforced: true,
        likelyPolicy: 'the client-policy executor "holder-of-key-enforcer" (auto-configure)',
      },
    ]);
    expect(diffOidcClient(kcState(answered), declared).changed).toEqual(["tls_client_certificate_bound_access_tokens"]);
    const recorded = kcState({ ...answered, serverOverrides: recordOf(overrides) });
    expect(diffOidcClient(recorded, declared)).toEqual(noDiff);
    expect(keptOidcOverrides(recordOf(overrides), answered)).toEqual(recordOf(overrides));
    expect(keptOidcOverrides(recordOf(overrides), { ...answered, tls_client_certificate_bound_access_tokens: false })).toBeUndefined();
  });

  test("an override of an `extra` key is recorded by key", () => {
    const declared = inputs({ extra: { id_token_signed_response_alg: "RS256", software_id: "x" } });
    const answered = observeOidc({ id_token_signed_response_alg: "PS256", software_id: "x" }, declared);
    const overrides = oidcOverridesOf(declared, answered);
    expect(overrides.map((o) => [o.field, o.enforced, o.likelyPolicy])).toEqual([["extra.id_token_signed_response_alg", "PS256", 'the client-policy executor "secure-signature-algorithm"']]);
    expect(diffOidcClient(state({ ...answered, serverOverrides: recordOf(overrides) }), declared)).toEqual(noDiff);
  });
});
