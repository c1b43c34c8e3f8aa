/**
 * Values that end up in a URL path (realm, clientId, client_id, a SAML entityID) cannot change that
 * path; URLs carry no credentials; a hostile SAML descriptor fails `check` with a reason instead of
 * crashing it. Each failure names its exact property.
 */
import { z } from "zod";
import { problemsFrom } from "../../provider/schema/issues";
import { keycloakClientArgsSchema } from "../../provider/schema/keycloakClient";
import { oidcClientArgsSchema } from "../../provider/schema/oidcClient";
import { samlClientArgsSchema } from "../../provider/schema/samlClient";

const where = { serverUrl: "https://sso.example.com", realm: "demo" };

function properties(schema: z.ZodType, args: Record<string, unknown>): string[] {
  const r = schema.safeParse(args);
  return r.success ? [] : [...new Set(problemsFrom(schema, r.error).map((p) => p.property))];
}
function reasons(schema: z.ZodType, args: Record<string, unknown>): string {
  const r = schema.safeParse(args);
  return r.success ? "" : problemsFrom(schema, r.error).map((p) => p.reason).join("\n");
}

describe("names that become a URL path segment", () => {
  test.each([".", "..", "a/b", "%2e%2e", "%2E", "a%2fb", "a\\b", "a?b", "a#b"])("realm %j fails on realm", (realm) => {
    expect(properties(keycloakClientArgsSchema, { ...where, realm, clientId: "ok" })).toEqual(["realm"]);
    expect(properties(samlClientArgsSchema, { ...where, realm, entityDescriptor: descriptor("") })).toEqual(["realm"]);
    expect(properties(oidcClientArgsSchema, { ...where, realm })).toEqual(["realm"]);
  });

  test('realm ".." says why', () => {
    expect(reasons(keycloakClientArgsSchema, { ...where, realm: ".." })).toBe('realm must not be "..": as a segment of a URL path it would be resolved away and address another path');
  });

  test.each([".", "..", "%2e%2e", "a\\b", "https://sp.example.com/%2e%2e/x", "https://sp.example.com/a%2Fb"])("clientId %j fails on clientId", (clientId) => {
    expect(properties(keycloakClientArgsSchema, { ...where, clientId })).toEqual(["clientId"]);
  });

  test.each(["team/app", "https://sp.example.com/saml", "a.b", "..a", "urn:example:sp"])("clientId %j is accepted", (clientId) => {
    expect(properties(keycloakClientArgsSchema, { ...where, clientId })).toEqual([]);
  });

  test("OidcClient: client_id (any server) and adopt.clientId (Keycloak)", () => {
    expect(properties(oidcClientArgsSchema, { registrationEndpoint: "https://as.example.com/register", client_id: ".." })).toEqual(["client_id"]);
    expect(properties(oidcClientArgsSchema, { ...where, adopt: { registrationAccessToken: "t", clientId: "." } })).toEqual(["adopt.clientId"]);
    expect(properties(oidcClientArgsSchema, { ...where, adopt: { registrationAccessToken: "t", clientId: "a%2Fb" } })).toEqual(["adopt.clientId"]);
  });

  describe("OidcClient: adopt.registrationClientUri lies under registrationEndpoint's directory", () => {
    const tenantA = { registrationEndpoint: "https://gw.example.com/tenant-a/reg", auth: { initialAccessToken: "t" } };
    const adopting = (registrationClientUri: string) => ({ ...tenantA, adopt: { registrationAccessToken: "t", registrationClientUri } });
    test.each([
      "https://gw.example.com/tenant-b/reg/c1",
      "https://gw.example.com/tenant-a/../tenant-b/reg/c1",
      "https://gw.example.com/tenant-a/..%2Ftenant-b/c1",
      "https://gw.example.com/tenant-ab/reg/c1",
      "http://gw.example.com/tenant-a/reg/c1",
      "https://gw.example.com:8443/tenant-a/reg/c1",
      "https://other.example.com/tenant-a/reg/c1",
    ])("%s fails on adopt.registrationClientUri", (uri) => {
      expect(properties(oidcClientArgsSchema, adopting(uri))).toEqual(["adopt.registrationClientUri"]);
    });

    test.each(["https://gw.example.com/tenant-a/reg/c1", "https://gw.example.com/tenant-a/reg?client_id=c1", "https://GW.example.com:443/tenant-a/clients/c1"])("%s is accepted", (uri) => {
      expect(properties(oidcClientArgsSchema, adopting(uri))).toEqual([]);
    });

    test("the reason names the directory and what to do", () => {
      expect(reasons(oidcClientArgsSchema, adopting("https://gw.example.com/tenant-b/reg/c1"))).toBe(
        "adopt.registrationClientUri must lie under the registration endpoint's directory https://gw.example.com/tenant-a/ (same scheme, host, port and path prefix, no encoded slash): the registration access token is sent nowhere else. Give the registration_client_uri the server returned for this client, or set registrationEndpoint to the endpoint of the server that manages it",
      );
    });

    test("on Keycloak (serverUrl and realm) the URI only names the client, so it is not held to a directory", () => {
      expect(properties(oidcClientArgsSchema, { ...where, adopt: { registrationAccessToken: "t", registrationClientUri: "https://elsewhere.example.com/c1" } })).toEqual([]);
    });
  });

  test('a SAML entityID of ".." fails on entityDescriptor', () => {
    const xml = descriptor("").replace('entityID="https://sp.example.com/saml"', 'entityID=".."');
    expect(properties(samlClientArgsSchema, { ...where, entityDescriptor: xml })).toEqual(["entityDescriptor"]);
  });
});

describe("credentials in a URL", () => {
  const message = "credentials in serverUrl would be logged and sent to every request; remove user:password@ and use the auth modes";
  test.each(["https://admin:s3cret@sso.example.com", "https://admin@sso.example.com", "https://:s3cret@sso.example.com"])("serverUrl %s is refused", (serverUrl) => {
    for (const schema of [keycloakClientArgsSchema, samlClientArgsSchema, oidcClientArgsSchema]) {
      expect(properties(schema, { ...where, serverUrl, ...(schema === samlClientArgsSchema ? { entityDescriptor: descriptor("") } : {}) })).toEqual(["serverUrl"]);
    }
    expect(reasons(keycloakClientArgsSchema, { ...where, serverUrl })).toContain(message);
    expect(reasons(keycloakClientArgsSchema, { ...where, serverUrl })).not.toContain("s3cret");
  });

  test("registrationEndpoint with user:password@ is refused", () => {
    expect(properties(oidcClientArgsSchema, { registrationEndpoint: "https://u:p@as.example.com/register" })).toEqual(["registrationEndpoint"]);
  });
});

describe("an encoded slash or backslash in a server's path (a gateway may route it elsewhere than it reads)", () => {
  test.each(["https://gw.example.com/kc-a%2F..%2Fkc-b", "https://gw.example.com/kc-a/..%2fkc-b", "https://gw.example.com/kc-a%5C..%5Ckc-b"])("serverUrl %s fails on serverUrl, saying why", (serverUrl) => {
    for (const schema of [keycloakClientArgsSchema, samlClientArgsSchema, oidcClientArgsSchema]) {
      expect(properties(schema, { ...where, serverUrl, ...(schema === samlClientArgsSchema ? { entityDescriptor: descriptor("") } : {}) })).toEqual(["serverUrl"]);
    }
    expect(reasons(keycloakClientArgsSchema, { ...where, serverUrl })).toBe(
      "serverUrl has an encoded slash or backslash (%2F, %5C) in its path, which a gateway may route elsewhere than the path reads; write the path with plain slashes",
    );
  });

  test("registrationEndpoint with %2F in its path fails on registrationEndpoint; a %2F in the query is no path", () => {
    expect(properties(oidcClientArgsSchema, { registrationEndpoint: "https://op.example.com/tenant-1/..%2Ftenant-2/reg" })).toEqual(["registrationEndpoint"]);
    expect(properties(oidcClientArgsSchema, { registrationEndpoint: "https://op.example.com/reg?next=%2Fx" })).toEqual([]);
  });
});

function descriptor(inner: string, prologue = "", attributes = ""): string {
  return `${prologue}<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/saml"${attributes}>${inner}<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`;
}

describe("a hostile SAML descriptor fails check on entityDescriptor, without crashing it", () => {
  const LAUGHS = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';
  test.each([
    ["a DOCTYPE", descriptor("", "<!DOCTYPE md:EntityDescriptor>"), "must not contain a DOCTYPE"],
    ["an internal entity", descriptor("<md:Extensions>&x;</md:Extensions>", '<!DOCTYPE md:EntityDescriptor [<!ENTITY x "y">]>'), "must not contain a DOCTYPE"],
    ["an external entity", descriptor("<md:Extensions>&xxe;</md:Extensions>", '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'), "must not contain a DOCTYPE"],
    ["billion laughs", descriptor("<md:Extensions>&lol3;</md:Extensions>", LAUGHS), "must not contain a DOCTYPE"],
    ["a __proto__ element", descriptor("<__proto__><polluted>yes</polluted></__proto__>"), 'an element named "__proto__"'],
    ["a namespaced __proto__ element", descriptor("<md:__proto__/>"), 'an element named "md:__proto__"'],
    ["a constructor element", descriptor("<constructor>1</constructor>"), 'an element named "constructor"'],
    ["a __proto__ attribute", descriptor("", "", ' __proto__="x"'), 'an attribute named "__proto__"'],
    ["a constructor attribute", descriptor("", "", ' md:constructor="x"'), 'an attribute named "md:constructor"'],
    ["a constructor root", "<constructor><md:EntityDescriptor/></constructor>", 'an element named "constructor"'],
  ])("%s", (_what, xml, reason) => {
    expect(properties(samlClientArgsSchema, { ...where, entityDescriptor: xml })).toEqual(["entityDescriptor"]);
    expect(reasons(samlClientArgsSchema, { ...where, entityDescriptor: xml })).toContain(reason);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("names inside comments and text are no element names", () => {
    expect(properties(samlClientArgsSchema, { ...where, entityDescriptor: descriptor("<!-- <__proto__> --><md:Extensions>constructor = 1</md:Extensions>") })).toEqual([]);
  });
});
