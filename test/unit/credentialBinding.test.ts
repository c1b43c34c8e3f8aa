/**
 * Where the stack's credentials may go: the configured serverUrl's Keycloak, by origin and path.
 * The hostile-server suite plays the same rules against a gateway with two Keycloaks on one origin.
 */
import { baseOf, directoryOf, isUnder } from "../../provider/schema/connection";
import { credentialsFor, endpointLocation, recoveryFor, servedByStack, settingsFrom, type ProviderSettings } from "../../provider/dynamic/settings";

const settings = (serverUrl: string | undefined): ProviderSettings =>
  settingsFrom((key) =>
    (
      ({
        serverUrl,
        initialAccessToken: "binding-test-iat-0123456789",
        recoveryClientId: "recovery",
        recoveryClientSecret: "binding-test-recovery-0123456789",
      }) as Record<string, string | undefined>
    )[key],
  );

describe("baseOf", () => {
  test.each([
    ["https://sso.example.com", "https://sso.example.com"],
    ["https://sso.example.com/", "https://sso.example.com"],
    ["https://SSO.Example.com:443/", "https://sso.example.com"],
    ["https://gw.example.com/kc-a/", "https://gw.example.com/kc-a"],
    ["https://gw.example.com/kc-b/../kc-a", "https://gw.example.com/kc-a"],
    ["http://127.0.0.1:8080/auth", "http://127.0.0.1:8080/auth"],
  ])("%s is bound as %s", (url, base) => {
    expect(baseOf(url)).toBe(base);
  });

  test("a percent-encoded dot segment is resolved as one: %2e%2e leaves the path it stands in", () => {
    expect(baseOf("https://gw.example.com/kc-a/%2e%2e/kc-b")).toBe("https://gw.example.com/kc-b");
  });

  test.each([[undefined], [""], ["sso.example.com"], ["ftp://sso.example.com"], ["https://gw.example.com/kc-a/..%2Fkc-b"], ["https://gw.example.com/kc-a%5ckc-b"]])("%s is no base", (url) => {
    expect(baseOf(url)).toBeUndefined();
  });
});

describe("endpointLocation", () => {
  test("a Keycloak registration endpoint belongs to that Keycloak's base URL", () => {
    expect(endpointLocation("https://gw.example.com/kc-b/realms/apps/clients-registrations/openid-connect")).toEqual({ base: "https://gw.example.com/kc-b" });
    expect(endpointLocation("https://sso.example.com/realms/apps/clients-registrations/openid-connect/")).toEqual({ base: "https://sso.example.com" });
  });

  test("any other RFC 7591 endpoint is its own", () => {
    expect(endpointLocation("https://op.example.com/reg")).toEqual({ endpoint: "https://op.example.com/reg" });
    expect(endpointLocation("not a url")).toEqual({});
  });
});

describe("directoryOf and isUnder: where an RFC 7592 server may say a client lives", () => {
  test.each([
    ["https://op.example.com/reg", "https://op.example.com/"],
    ["https://op.example.com", "https://op.example.com/"],
    ["https://gw.example.com/tenant-a/reg", "https://gw.example.com/tenant-a/"],
    ["https://gw.example.com/tenant-a/reg/", "https://gw.example.com/tenant-a/"],
    ["https://GW.example.com:443/tenant-b/../tenant-a/oauth2/register", "https://gw.example.com/tenant-a/oauth2/"],
  ])("the directory of %s is %s", (endpoint, directory) => {
    expect(directoryOf(endpoint)).toBe(directory);
  });

  test.each([[undefined], ["not a url"], ["ftp://op.example.com/reg"], ["https://gw.example.com/tenant-a%2Freg"]])("%s has no directory", (endpoint) => {
    expect(directoryOf(endpoint)).toBeUndefined();
  });

  const dir = directoryOf("https://gw.example.com/tenant-a/reg");
  test.each([
    "https://gw.example.com/tenant-a/reg/abc",
    "https://gw.example.com/tenant-a/reg?client_id=abc",
    "https://GW.example.com:443/tenant-a/clients/abc",
  ])("%s is under it", (uri) => {
    expect(isUnder(uri, dir)).toBe(true);
  });

  test.each([
    ["another tenant on the same origin", "https://gw.example.com/tenant-b/reg/abc"],
    ["a dot segment out of it", "https://gw.example.com/tenant-a/../tenant-b/reg/abc"],
    ["an encoded slash", "https://gw.example.com/tenant-a/..%2Ftenant-b/reg/abc"],
    ["a prefix that is not a path segment", "https://gw.example.com/tenant-ab/reg/abc"],
    ["plain http", "http://gw.example.com/tenant-a/reg/abc"],
    ["another port", "https://gw.example.com:8443/tenant-a/reg/abc"],
    ["another host", "https://evil.example.com/tenant-a/reg/abc"],
    ["no URL", undefined],
  ])("%s is not under it", (_what, uri) => {
    expect(isUnder(uri, dir)).toBe(false);
  });
});

describe("servedByStack and recoveryFor", () => {
  const gwA = settings("https://gw.example.com/kc-a");

  test("the configured Keycloak's own base is served, however it is spelt", () => {
    expect(servedByStack(gwA, { base: baseOf("https://GW.example.com/kc-a/") })).toBe(true);
    expect(recoveryFor(gwA, baseOf("https://gw.example.com:443/kc-a"))?.clientId).toBe("recovery");
  });

  test("another Keycloak behind the same gateway (same origin, another path) is not", () => {
    for (const other of ["https://gw.example.com/kc-b", "https://gw.example.com", "https://gw.example.com/kc-a/nested", "https://gw.example.com/kc-ab"]) {
      expect([other, servedByStack(gwA, { base: baseOf(other) })]).toEqual([other, false]);
      expect([other, recoveryFor(gwA, baseOf(other))]).toEqual([other, undefined]);
    }
  });

  test("a root-mounted serverUrl does not serve a Keycloak under a path of its origin", () => {
    const root = settings("https://gw.example.com");
    expect(servedByStack(root, { base: "https://gw.example.com/kc-b" })).toBe(false);
    expect(servedByStack(root, endpointLocation("https://gw.example.com/kc-b/realms/apps/clients-registrations/openid-connect"))).toBe(false);
    expect(servedByStack(root, endpointLocation("https://gw.example.com/realms/apps/clients-registrations/openid-connect"))).toBe(true);
  });

  test("a generic registration endpoint is served when it sits under the configured serverUrl, on a path boundary", () => {
    const op = settings("https://op.example.com/tenant-1");
    expect(servedByStack(op, endpointLocation("https://op.example.com/tenant-1/reg"))).toBe(true);
    expect(servedByStack(op, endpointLocation("https://op.example.com/tenant-10/reg"))).toBe(false);
    expect(servedByStack(op, endpointLocation("https://op.example.com/reg"))).toBe(false);
    expect(servedByStack(op, endpointLocation("https://evil.example.com/tenant-1/reg"))).toBe(false);
    expect(servedByStack(op, endpointLocation("https://op.example.com/tenant-1/..%2Ftenant-2/reg"))).toBe(false);
    expect(servedByStack(op, endpointLocation("https://op.example.com/tenant-1/%2e%2e/tenant-2/reg"))).toBe(false);
  });

  test("a configured serverUrl that gives no binding is reported as unusable, not as unset", () => {
    const odd = settings("https://gw.example.com/kc%2Fa");
    expect(odd.base).toBeUndefined();
    const choice = credentialsFor(odd, undefined, { base: "https://gw.example.com/kc-a" });
    expect("problem" in choice && choice.problem).toMatch(/^the stack's credentials are bound to keycloak-registration:serverUrl, which is no usable http\(s\) URL of Keycloak/);
    expect(recoveryFor(odd, "https://gw.example.com/kc%2Fa")).toBeUndefined();
  });

  test("without serverUrl nothing is served", () => {
    const none = settings(undefined);
    expect(servedByStack(none, { base: "https://sso.example.com" })).toBe(false);
    expect(recoveryFor(none, "https://sso.example.com")).toBeUndefined();
  });
});
