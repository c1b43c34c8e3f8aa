import { problemsFrom } from "../../provider/schema/issues";
import { oidcClientArgsSchema } from "../../provider/schema/oidcClient";

const keycloak = { serverUrl: "https://sso.example.com/", realm: "demo" };
const generic = { registrationEndpoint: "https://as.example.com/reg" };

function problems(args: Record<string, unknown>, where: Record<string, unknown> = generic) {
  const r = oidcClientArgsSchema.safeParse({ ...where, ...args });
  return r.success ? [] : problemsFrom(oidcClientArgsSchema, r.error);
}

describe("OidcClient arguments", () => {
  test("RFC 7591 metadata copied from the spec is accepted under its own names", () => {
    const r = oidcClientArgsSchema.parse({
      ...generic,
      client_id: "s6BhdRkqt3",
      redirect_uris: ["https://client.example.org/callback", "com.example.app:/callback"],
      client_name: "My Example Client",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code", "code id_token"],
      logo_uri: "https://client.example.org/logo.png",
      jwks_uri: "https://client.example.org/my_public_keys.jwks",
      contacts: ["ve7jtb@example.org"],
      scope: "openid email",
      application_type: "native",
      post_logout_redirect_uris: ["https://client.example.org/bye"],
      extra: { id_token_signed_response_alg: "ES256" },
    });
    expect(r.redirect_uris).toHaveLength(2);
  });

  test("Keycloak's serverUrl loses its trailing slash", () => {
    expect(oidcClientArgsSchema.parse({ ...keycloak }).serverUrl).toBe("https://sso.example.com");
  });

  test("a camelCase or misspelt name is rejected and the RFC's spelling suggested", () => {
    expect(problems({ redirectUris: ["https://a.example/cb"] })).toEqual([
      { property: "redirectUris", reason: 'unknown field "redirectUris"; did you mean "redirect_uris"?' },
    ]);
    expect(problems({ grant_type: ["authorization_code"] })[0]?.reason).toContain('did you mean "grant_types"?');
    expect(problems({ jwks_url: "https://a.example/jwks" })[0]?.reason).toContain('did you mean "jwks_uri"?');
  });

  test("URLs must be absolute", () => {
    expect(problems({ redirect_uris: ["/callback"] })).toEqual([
      { property: "redirect_uris[0]", reason: expect.stringContaining("must be an absolute URL") },
    ]);
    expect(problems({ logo_uri: "logo.png" })[0]?.property).toBe("logo_uri");
    expect(problems({ post_logout_redirect_uris: ["https://ok.example", "bye"] })[0]?.property).toBe("post_logout_redirect_uris[1]");
  });

  test("unknown enum values name the accepted ones", () => {
    expect(problems({ token_endpoint_auth_method: "client_secret" })[0]).toEqual({
      property: "token_endpoint_auth_method",
      reason: expect.stringContaining('"client_secret_basic"'),
    });
    expect(problems({ application_type: "mobile" })[0]?.reason).toContain('"native"');
    expect(problems({ response_types: ["code", "id-token"] })[0]?.property).toBe("response_types[1]");
    expect(problems({ grant_types: ["authorisation_code"] })[0]?.property).toBe("grant_types[0]");
  });

  test("jwks and jwks_uri are mutually exclusive", () => {
    expect(problems({ jwks: { keys: [] }, jwks_uri: "https://a.example/jwks" })).toEqual([
      { property: "jwks", reason: expect.stringContaining("mutually exclusive") },
    ]);
    expect(problems({ jwks: { keys: [{ kty: "EC" }] } })).toEqual([]);
    expect(problems({ jwks: [] })[0]?.property).toBe("jwks");
  });

  test("exactly one location: Keycloak's serverUrl and realm, or a registrationEndpoint", () => {
    expect(problems({}, {})[0]?.property).toBe("serverUrl");
    expect(problems({}, { serverUrl: "https://sso.example.com" })[0]?.property).toBe("realm");
    expect(problems({}, { ...keycloak, ...generic })[0]?.reason).toContain("not both");
    expect(problems({}, { registrationEndpoint: "as.example.com/reg" })[0]?.property).toBe("registrationEndpoint");
  });

  test("Keycloak generates the client_id, so asking for one is refused before any request", () => {
    expect(problems({ client_id: "mine" }, keycloak)[0]).toEqual({ property: "client_id", reason: expect.stringContaining("Client Identifier included") });
    expect(problems({ client_id: "mine" }, generic)).toEqual([]);
  });

  test("a service account cannot register at a non-Keycloak endpoint", () => {
    expect(problems({ auth: { serviceAccount: { clientId: "sa", clientSecret: "s" } } })[0]?.property).toBe("auth.serviceAccount");
  });

  test("extra cannot carry server-issued fields or fields that have their own argument", () => {
    expect(problems({ extra: { registration_access_token: "x" } })[0]).toEqual({ property: "extra.registration_access_token", reason: expect.stringContaining("issued by the server") });
    expect(problems({ extra: { redirect_uris: [] } })[0]?.reason).toContain("its own argument");
  });

  test("an empty scope is refused", () => {
    expect(problems({ scope: "  " })[0]?.property).toBe("scope");
  });
});
