import { createBody, diffClient, KeycloakClientState, observe, updateBody } from "../../provider/dynamic/clientDiff";
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
