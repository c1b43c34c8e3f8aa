import { diffOidcClient, observeOidc, oidcMetadataBody, OidcClientState } from "../../provider/dynamic/oidcDiff";
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
