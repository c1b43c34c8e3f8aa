/**
 * The resource classes call `super` with Error.stackTraceLimit at 0 (provider/resources/location.ts,
 * muteStackCapture): Pulumi's SDK captures a stack trace for every promise behind each output property
 * (`debuggablePromise`), and formatting them under source-map support was most of a program's CPU
 * time. Under Pulumi's mocks (no engine): the promises a constructor creates carry no frames, the
 * limit is restored, an error thrown inside `super` gets its caller's frames, and a plain
 * CustomResource still gets full traces (the counterfactual: the check can fail).
 */
import * as pulumi from "@pulumi/pulumi";
import { KeycloakClient, OidcClient, SamlClient } from "../../provider";

// Pulumi's own leak detector: every debuggable promise still pending, with the stack it captured.
const { leakedPromises } = require("@pulumi/pulumi/runtime/debuggable") as {
  leakedPromises(): [Set<Promise<unknown> & { _debugCtx: string; _debugStackTrace: string }>, string];
};

const where = { serverUrl: "http://127.0.0.1:1", realm: "r" };
const DESCRIPTOR = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/saml"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>`;

beforeAll(() => {
  pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "proj", "stack", false);
});

/**
 * The pending debuggable promises a construction created, as Pulumi's leak detector sees them; then
 * waits for the registration (and the provider's serialization) to finish inside the test.
 */
async function promisesOf(construct: () => pulumi.Resource): Promise<Array<{ ctx: string; stack: string }>> {
  leakedPromises(); // clears the set
  const resource = construct();
  const promises = [...leakedPromises()[0]].map((p) => ({ ctx: p._debugCtx, stack: p._debugStackTrace }));
  await (resource.urn as unknown as { promise(): Promise<string> }).promise();
  return promises;
}

describe.each([
  ["KeycloakClient", (name: string) => new KeycloakClient(name, { ...where, clientId: name, redirectUris: ["https://a.example.com/*"] })],
  ["OidcClient", (name: string) => new OidcClient(name, { ...where, client_name: name, redirect_uris: ["https://a.example.com/cb"] })],
  ["SamlClient", (name: string) => new SamlClient(name, { ...where, entityDescriptor: DESCRIPTOR })],
])("%s construction", (kind, make) => {
  it("captures no stack frames for its output properties' promises and restores Error.stackTraceLimit", async () => {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      let promises: Array<{ ctx: string; stack: string }> = [];
      const done = promisesOf(() => make(`${kind.toLowerCase()}-quiet`)).then((p) => (promises = p));
      expect(Error.stackTraceLimit).toBe(17);
      await done;
      const transferred = promises.filter((p) => p.ctx.startsWith("transfer") && p.ctx.includes(`${kind.toLowerCase()}-quiet`));
      // Several per output property (value, known, secret); `clientId`/`registrationAccessToken`/`entityId` among them.
      expect(transferred.length).toBeGreaterThanOrEqual(8);
      expect(transferred.filter((p) => /\n\s+at /.test(p.stack))).toEqual([]);
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});

class Plain extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Plain", name, { a: 1 });
  }
}

it("a plain CustomResource's promises still carry frames (the counterfactual)", async () => {
  const promises = await promisesOf(() => new Plain("plain"));
  const transferred = promises.filter((p) => p.ctx.startsWith("transfer") && p.ctx.includes("plain"));
  expect(transferred.length).toBeGreaterThanOrEqual(3);
  for (const p of transferred) expect(p.stack).toMatch(/\n {4}at /);
});

it("an error thrown inside super() carries the frames of the code that constructed the resource", () => {
  const before = Error.stackTraceLimit;
  let caught: unknown;
  try {
    new KeycloakClient("bad-parent", { ...where, clientId: "x" }, { parent: "not a resource" as unknown as pulumi.Resource });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  expect((caught as Error).message).toBe("Resource parent is not a valid Resource: not a resource");
  // The trace names this test file (the caller), not only "Error: ...".
  expect((caught as Error).stack).toMatch(/resourceConstruction\.test\.ts:\d+/);
  expect(Error.stackTraceLimit).toBe(before);
});

describe("registration as Pulumi's dynamic.Resource would do it", () => {
  const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
  beforeAll(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.push({ type: a.type, name: a.name, inputs: a.inputs });
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
      },
      "proj",
      "stack",
      false,
    );
  });

  it.each([
    ["KeycloakClient", "keycloakClient", (name: string) => new KeycloakClient(name, { ...where, clientId: name })],
    ["OidcClient", "oidcClient", (name: string) => new OidcClient(name, { ...where, client_name: name })],
    ["SamlClient", "samlClient", (name: string) => new SamlClient(name, { ...where, entityDescriptor: DESCRIPTOR })],
  ])("%s: the dynamic type token and the same __provider text as pulumi.dynamic.Resource with the same shell", async (kind, shellName, make) => {
    const shell = require(`../../provider/resources/shells/${shellName}`) as pulumi.dynamic.ResourceProvider;
    const ours = make(`ours-${shellName}`);
    const theirs = new (class extends pulumi.dynamic.Resource {})(shell, `theirs-${shellName}`, {}, {}, "keycloak-registration", kind);
    await Promise.all([ours, theirs].map((r) => (r.urn as unknown as { promise(): Promise<string> }).promise()));
    const [a, b] = [`ours-${shellName}`, `theirs-${shellName}`].map((n) => registered.find((r) => r.name === n));
    if (!a || !b) throw new Error("both resources must have been registered");
    expect(a.type).toBe(`pulumi-nodejs:dynamic/keycloak-registration:${kind}`);
    expect(a.type).toBe(b.type);
    expect(typeof a.inputs.__provider).toBe("string");
    expect((a.inputs.__provider as string).length).toBeGreaterThan(100);
    expect(a.inputs.__provider).toBe(b.inputs.__provider);
  });
});
