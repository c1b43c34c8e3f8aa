import { clientsFromConfig, ClientsConfigError } from "../../program/clientsFromConfig";

const defaults = { serverUrl: "https://sso.example.com", realm: "demo" };

function problems(raw: unknown, d = defaults): string[] {
  try {
    clientsFromConfig(raw, d);
    return [];
  } catch (e) {
    if (e instanceof ClientsConfigError) return e.problems;
    throw e;
  }
}

describe("the root program's clients list", () => {
  test("an entry becomes resource arguments: name as clientId and display name, connection from the stack config", () => {
    const [entry] = clientsFromConfig([{ kind: "default", name: "test-client", publicClient: true }], defaults);
    expect(entry).toEqual({
      index: 0,
      name: "test-client",
      kind: "default",
      args: { name: "test-client", clientId: "test-client", publicClient: true, serverUrl: "https://sso.example.com", realm: "demo" },
    });
  });

  test("an entry's own clientId, serverUrl and realm win", () => {
    const [entry] = clientsFromConfig([{ kind: "default", name: "a", clientId: "other", realm: "r2", serverUrl: "https://b.example.com" }], defaults);
    expect(entry!.args).toMatchObject({ clientId: "other", realm: "r2", serverUrl: "https://b.example.com" });
  });

  test("no list means no clients", () => {
    expect(clientsFromConfig(undefined, defaults)).toEqual([]);
  });

  test("every problem names the entry and the field", () => {
    expect(
      problems([
        { kind: "default", name: "web", redirectUris: "https://x" },
        { kind: "default", name: "web" },
        { name: "b" },
        { kind: "ws-fed", name: "c" },
        { kind: "default", name: "d", publicClinet: true },
        "nope",
        { kind: "default" },
      ]),
    ).toEqual([
      'clients[0] (name "web").redirectUris: redirectUris must be a list of strings',
      'clients[1] (name "web").name: is already used by clients[0]; names must be unique because they name the resources',
      'clients[2] (name "b").kind: is missing: set kind to one of default, oidc, saml',
      'clients[3] (name "c").kind: unknown kind "ws-fed"; the kinds are default, oidc, saml',
      'clients[4] (name "d").publicClinet: unknown field "publicClinet"; did you mean "publicClient"?',
      "clients[5]: must be a map with at least kind and name, e.g. {kind: default, name: web}",
      "clients[6].name: is missing: every entry needs a unique name (letters, digits, . _ -); it names the resource in the stack",
    ]);
  });

  test("a missing serverUrl says where to set it", () => {
    expect(problems([{ kind: "default", name: "a" }], { realm: "demo" } as typeof defaults)).toEqual([
      'clients[0] (name "a").serverUrl: is not set: set keycloak-registration:serverUrl for the stack (pulumi config set keycloak-registration:serverUrl <value>) or serverUrl in this entry',
    ]);
  });

  test("credentials in the plain-text list are refused, anonymous registration is not", () => {
    expect(problems([{ kind: "default", name: "a", auth: { initialAccessToken: "x".repeat(20) } }])).toEqual([
      expect.stringMatching(/^clients\[0\] \(name "a"\)\.auth\.initialAccessToken: credentials do not belong in the clients list/),
    ]);
    expect(problems([{ kind: "default", name: "a", auth: { anonymous: true } }])).toEqual([]);
  });

  test("a list that is not a list is refused", () => {
    expect(problems({ web: {} })).toEqual([expect.stringContaining("clients: must be a list of client definitions")]);
  });
});

describe("the root program's kinds", () => {
  test("oidc and saml entries are checked with their own resources' schemas", () => {
    expect(() =>
      clientsFromConfig([
        { kind: "oidc", name: "spa", redirect_uri: ["https://app.example.com/cb"] },
        { kind: "saml", name: "sp", entityDescriptor: "<EntityDescriptor" },
      ], { serverUrl: "https://sso.example.com", realm: "demo" }),
    ).toThrow(/clients\[0\] \(name "spa"\)\.redirect_uri: unknown field "redirect_uri"; did you mean "redirect_uris"\?[\s\S]*clients\[1\] \(name "sp"\)\.entityDescriptor: entityDescriptor is not well-formed XML/);
  });

  test("an oidc entry for any RFC 7591 server needs no Keycloak realm", () => {
    const [entry] = clientsFromConfig([{ kind: "oidc", name: "spa", registrationEndpoint: "https://as.example.com/reg", redirect_uris: ["https://app.example.com/cb"] }], {});
    expect(entry).toMatchObject({ kind: "oidc", args: { client_name: "spa", registrationEndpoint: "https://as.example.com/reg" } });
  });
});
