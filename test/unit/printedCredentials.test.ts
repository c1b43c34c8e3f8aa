/**
 * Pulumi prints a check failure's property value beside its reason ("property serverUrl value {...}
 * has a problem: ..."), plain values in full. Failures on values that may hold a credential go out
 * without their property, so the value is never printed; the reason still names the field.
 */
import { keycloakClientProvider, oidcClientProvider } from "../../provider/dynamic";
import { withoutPrintedCredentials } from "../../provider/schema/issues";

const PASSWORD = "pw-5f1c9e0d2a";
const notSecret = () => false;
/** PEM armour around a made-up body (no key at all), assembled so that secret scanners see no key in this file. */
const pem = (body: string) => ["BEGIN", "END"].map((edge) => `-----${edge} PRIVATE KEY-----`).join(`\n${body}\n`);

describe("withoutPrintedCredentials", () => {
  test("a URL with user:password@ loses its property; the reason names the field once", () => {
    const reason = "credentials in serverUrl would be logged and sent to every request";
    expect(withoutPrintedCredentials([{ property: "serverUrl", reason }], { serverUrl: `https://admin:${PASSWORD}@sso.example.com` }, notSecret)).toEqual([{ property: "", reason }]);
  });

  test("a reason that does not name the field gets it as a prefix", () => {
    expect(withoutPrintedCredentials([{ property: "baseUrl", reason: "must be a URL" }], { baseUrl: `ftp://u:${PASSWORD}@x` }, notSecret)).toEqual([{ property: "", reason: "baseUrl: must be a URL" }]);
  });

  test.each([
    ["a field named like a credential", "clientSecret", PASSWORD],
    ["a field named like a token", "initialAccessToken", PASSWORD],
    ["a snake_case secret", "client_secret", PASSWORD],
    ["credentials the program did not make secret", "auth", PASSWORD],
    ["an object holding a credential's name", "extra", { secret: PASSWORD }],
    ["an array holding a URL with userinfo", "redirectUris", ["https://ok.example.com/cb", `https://u:${PASSWORD}@app.example.com/cb`]],
    ["a JSON Web Key Set with a private key", "jwks", { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: PASSWORD }] }],
    ["a JSON Web Key Set with a private key, as text", "jwks", JSON.stringify({ keys: [{ kty: "oct", k: PASSWORD }] })],
    ["a PEM private key", "certificate", pem(PASSWORD)],
  ])("%s (%s) loses its property", (_what, property, value) => {
    expect(withoutPrintedCredentials([{ property, reason: `unknown field "${property}"` }], { [property]: value }, notSecret)).toEqual([{ property: "", reason: `unknown field "${property}"` }]);
  });

  test.each([
    ["an ordinary field", "redirectUri", ["https://app.example.com/cb"]],
    ["a URL without userinfo", "serverUrl", "https://sso.example.com/path@x"],
    ["a field whose name only contains token", "token_endpoint_auth_method", "private_key_jwt"],
    ["a JSON Web Key Set of public keys", "jwks", { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y" }] }],
  ])("%s (%s) keeps its property, so Pulumi shows the value", (_what, property, value) => {
    const failure = { property, reason: "bad" };
    expect(withoutPrintedCredentials([failure], { [property]: value }, notSecret)).toEqual([failure]);
  });

  test("a secret value keeps its property (Pulumi redacts secrets), as does a nested path Pulumi cannot look up", () => {
    const failures = [
      { property: "auth", reason: "give one auth mode" },
      { property: "auth.initialAccessToken", reason: "must be a string" },
    ];
    expect(withoutPrintedCredentials(failures, { auth: { initialAccessToken: PASSWORD } }, (p) => p === "auth")).toEqual(failures);
    expect(withoutPrintedCredentials(failures, { auth: { initialAccessToken: PASSWORD } }, notSecret)).toEqual([{ property: "", reason: "give one auth mode" }, failures[1]]);
  });
});

describe("the dynamic provider's check", () => {
  const where = { serverUrl: `https://admin:${PASSWORD}@sso.example.com`, realm: "demo", __provider: "p" };

  test("KeycloakClient: serverUrl with user:password@ fails without its property, naming serverUrl", async () => {
    const r = await keycloakClientProvider.check!({}, { ...where, clientId: "web" });
    expect(r.failures).toEqual([{ property: "", reason: expect.stringContaining("credentials in serverUrl would be logged") }]);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  test("KeycloakClient: an unknown field named secret fails without its property, naming the field", async () => {
    const r = await keycloakClientProvider.check!({}, { serverUrl: "https://sso.example.com", realm: "demo", __provider: "p", clientId: "web", secret: PASSWORD });
    expect(r.failures).toEqual([{ property: "", reason: expect.stringMatching(/^unknown field "secret"/) }]);
  });

  test("OidcClient: registrationEndpoint with user:password@ fails without its property, naming registrationEndpoint", async () => {
    const r = await oidcClientProvider.check!({}, { registrationEndpoint: `https://u:${PASSWORD}@as.example.com/register`, redirect_uris: ["https://app.example.com/cb"], __provider: "p" });
    expect(r.failures).toEqual([{ property: "", reason: expect.stringContaining("credentials in registrationEndpoint") }]);
  });

  test("OidcClient: a key set given as text, holding a private key, fails without its property, naming jwks", async () => {
    const jwks = JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: PASSWORD }] });
    const r = await oidcClientProvider.check!({}, { serverUrl: "https://sso.example.com", realm: "demo", redirect_uris: ["https://app.example.com/cb"], jwks, __provider: "p" });
    expect(r.failures).toEqual([{ property: "", reason: expect.stringMatching(/^jwks /) }]);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  test("an ordinary bad field keeps its property", async () => {
    const r = await keycloakClientProvider.check!({}, { serverUrl: "https://sso.example.com", realm: "demo", __provider: "p", clientId: "web", redirectUri: ["https://a/cb"] });
    expect(r.failures).toEqual([{ property: "redirectUri", reason: 'unknown field "redirectUri"; did you mean "redirectUris"?' }]);
  });
});
