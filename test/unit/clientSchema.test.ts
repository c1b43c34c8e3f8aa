import { problemsFrom } from "../../provider/schema/issues";
import { keycloakClientArgsSchema } from "../../provider/schema/keycloakClient";

const base = { serverUrl: "https://sso.example.com/", realm: "demo" };

function problems(args: Record<string, unknown>) {
  const r = keycloakClientArgsSchema.safeParse({ ...base, ...args });
  return r.success ? [] : problemsFrom(keycloakClientArgsSchema, r.error);
}

describe("KeycloakClient arguments", () => {
  test("a seed-style public client is accepted and serverUrl loses its trailing slash", () => {
    const r = keycloakClientArgsSchema.parse({
      ...base,
      clientId: "test-client",
      publicClient: true,
      redirectUris: ["https://app.example.com/*"],
      fullScopeAllowed: false,
    });
    expect(r.serverUrl).toBe("https://sso.example.com");
    expect(r.redirectUris).toEqual(["https://app.example.com/*"]);
  });

  test("a misspelt field is rejected and the right spelling suggested", () => {
    expect(problems({ redirectUri: ["https://a"] })).toEqual([
      { property: "redirectUri", reason: 'unknown field "redirectUri"; did you mean "redirectUris"?' },
    ]);
    expect(problems({ publicclient: true })[0]?.reason).toContain('did you mean "publicClient"?');
  });

  test("a misspelt nested field names its full path", () => {
    const p = problems({ auth: { initialAccesToken: "x" } });
    expect(p[0]).toEqual({ property: "auth.initialAccesToken", reason: expect.stringContaining('did you mean "initialAccessToken"?') });
  });

  test("wrong types name the field and the expected type", () => {
    expect(problems({ enabled: "yes" })).toEqual([{ property: "enabled", reason: "enabled must be true or false" }]);
    expect(problems({ redirectUris: "https://a" })).toEqual([{ property: "redirectUris", reason: "redirectUris must be a list of strings" }]);
    expect(problems({ attributes: { a: 1 } })[0]?.property).toBe("attributes.a");
  });

  test("bad URLs are rejected with what to write instead", () => {
    expect(problems({ rootUrl: "not a url" })[0]).toEqual({ property: "rootUrl", reason: expect.stringContaining("absolute URL") });
    expect(problems({ redirectUris: ["https://ok", "has space"] })[0]?.property).toBe("redirectUris[1]");
    const r = keycloakClientArgsSchema.safeParse({ serverUrl: "https://sso.example.com/realms/demo", realm: "demo" });
    expect(r.success).toBe(false);
  });

  test("contradictory flags are rejected", () => {
    expect(problems({ publicClient: true, serviceAccountsEnabled: true })[0]?.property).toBe("serviceAccountsEnabled");
    expect(problems({ publicClient: true, bearerOnly: true })[0]?.property).toBe("bearerOnly");
  });

  test("more than one auth mode is rejected", () => {
    expect(problems({ auth: { initialAccessToken: "a", bearerToken: "b" } })[0]?.reason).toContain("choose one auth mode");
  });

  test("extra cannot smuggle managed or first-class fields", () => {
    expect(problems({ extra: { registrationAccessToken: "x" } })[0]?.property).toBe("extra.registrationAccessToken");
    expect(problems({ extra: { redirectUris: [] } })[0]?.reason).toContain("its own argument");
    expect(problems({ extra: { surrogateAuthRequired: true } })).toEqual([]);
  });

  test("duplicate protocol mapper names are rejected", () => {
    const mapper = { name: "m", protocolMapper: "oidc-audience-mapper" };
    expect(problems({ protocolMappers: [mapper, mapper] })[0]?.property).toBe("protocolMappers[1].name");
  });

  test("empty and oversized values are rejected", () => {
    expect(problems({ clientId: "" })[0]?.property).toBe("clientId");
    expect(problems({ name: "x".repeat(300) })[0]?.property).toBe("name");
  });
});
