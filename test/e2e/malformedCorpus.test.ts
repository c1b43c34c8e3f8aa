import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { keycloakClientProvider, oidcClientProvider, samlClientProvider } from "../../provider/dynamic";
import { makeProgramDir, PulumiStack } from "../bed/pulumiHarness";
import { ENGINE_CASES, FAKE_TOKEN, MALFORMED_CASES, type MalformedCase, type ResourceKind, URL_PASSWORD } from "./malformed-cases";

/**
 * Every malformed definition of the corpus is rejected by `check` with a failure on exactly the
 * property the case names (a value that holds a credential: a failure without a property, whose
 * reason names it, so that Pulumi prints no value), and not one request leaves the provider: its serverUrl is a loopback
 * server that counts what reaches it. The corpus runs in-process through the three providers'
 * `check`, with the inputs the resource classes would send; a handful of cases also run through a
 * real `pulumi preview`, to show the engine reports the same property with the same zero requests.
 */

const PROVIDERS: Record<ResourceKind, typeof keycloakClientProvider> = {
  KeycloakClient: keycloakClientProvider,
  OidcClient: oidcClientProvider as unknown as typeof keycloakClientProvider,
  SamlClient: samlClientProvider as unknown as typeof keycloakClientProvider,
};
const REALM = "corpus";

let counter: http.Server;
let counterUrl: string;
const received: string[] = [];

beforeAll(async () => {
  counter = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => counter.listen(0, "127.0.0.1", resolve));
  counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
});
afterAll(async () => {
  counter.closeAllConnections();
  await new Promise<void>((resolve) => counter.close(() => resolve()));
});

/** The inputs a resource class sends to `check`: serverUrl and realm from the stack unless given, the hidden inputs, and (SamlClient) only its own fields. */
function shellInputs(c: MalformedCase, name: string): Record<string, unknown> {
  const a = c.args;
  const location = c.kind === "OidcClient" && a.registrationEndpoint !== undefined ? {} : { serverUrl: a.serverUrl ?? counterUrl, realm: a.realm ?? REALM };
  const own = c.kind === "SamlClient" ? { entityDescriptor: a.entityDescriptor, auth: a.auth, adopt: a.adopt } : a;
  const inputs: Record<string, unknown> = { ...own, ...location, __provider: "serialized-provider", __owner: `corpus/stack/${c.kind}/${name}` };
  for (const k of Object.keys(inputs)) if (inputs[k] === undefined) delete inputs[k];
  return inputs;
}

const caseName = (c: MalformedCase) => `${c.kind}: ${c.what}`;

describe("a corpus of malformed KeycloakClient, OidcClient and SamlClient definitions, in-process", () => {
  beforeAll(async () => {
    const values: Record<string, string> = { serverUrl: counterUrl, realm: REALM, initialAccessToken: FAKE_TOKEN };
    const config = {
      get: (key: string) => values[key.replace(/^keycloak-registration:/, "")],
      require: (key: string) => values[key.replace(/^keycloak-registration:/, "")] ?? "",
    };
    for (const p of Object.values(PROVIDERS)) await p.configure!({ config });
  });

  test("covers the three kinds, with XML cases for SamlClient", () => {
    const count = (k: ResourceKind) => MALFORMED_CASES.filter((c) => c.kind === k).length;
    expect(count("KeycloakClient")).toBeGreaterThanOrEqual(80);
    expect(count("OidcClient")).toBeGreaterThanOrEqual(20);
    expect(count("SamlClient")).toBeGreaterThanOrEqual(15);
    expect(new Set(MALFORMED_CASES.map(caseName)).size).toBe(MALFORMED_CASES.length);
  });

  test.each(MALFORMED_CASES.map((c) => [caseName(c), c] as const))("%s", async (_name, c) => {
    const checked = await PROVIDERS[c.kind].check!({}, shellInputs(c, "corpus-case"));
    const failures = checked.failures ?? [];
    if (c.withheld) {
      expect(failures.map((f) => f.property)).toEqual([""]);
      for (const p of [c.property].flat()) expect(failures[0]!.reason).toContain(p);
    } else {
      expect([...new Set(failures.map((f) => f.property))].sort()).toEqual([c.property].flat().sort());
    }
    for (const f of failures) {
      expect(f.reason.length).toBeGreaterThan(10);
      expect(f.reason).not.toContain(FAKE_TOKEN);
      expect(f.reason).not.toContain(URL_PASSWORD);
    }
  });

  test("not one request left the providers", () => {
    expect(received).toEqual([]);
    process.stderr.write(`malformed corpus: ${MALFORMED_CASES.length} cases rejected by check in-process, ${received.length} requests sent\n`);
  });
});

const PROGRAM = `"use strict";
const fs = require("fs");
const resources = require("pulumi-keycloak-registration");
const cases = JSON.parse(fs.readFileSync(__dirname + "/cases.json", "utf8"));
const name = process.env.CORPUS_CASE;
new resources[cases[name].kind](name, cases[name].args);
`;

describe("the same failures through a real pulumi preview", () => {
  const chosen = ENGINE_CASES.map(([kind, what]) => {
    const c = MALFORMED_CASES.find((m) => m.kind === kind && m.what === what);
    if (!c) throw new Error(`no corpus case ${kind}: ${what}`);
    return c;
  });
  const resourceName = (i: number) => `engine-case-${i}`;
  let programDir: string;
  let stack: PulumiStack;

  beforeAll(async () => {
    const cases = Object.fromEntries(chosen.map((c, i) => [resourceName(i), { kind: c.kind, args: c.args }]));
    programDir = makeProgramDir({ prefix: "malformed-corpus", files: { "index.js": PROGRAM, "cases.json": JSON.stringify(cases) } });
    stack = await PulumiStack.create({
      programDir,
      config: {
        "keycloak-registration:serverUrl": counterUrl,
        "keycloak-registration:realm": REALM,
        "keycloak-registration:initialAccessToken": { value: FAKE_TOKEN, secret: true },
      },
    });
  });
  afterAll(() => {
    stack?.remove();
    if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
  });

  test(`${ENGINE_CASES.length} cases fail preview on their property, with zero requests sent`, async () => {
    const before = received.length;
    const unmet: Array<{ case: string; property: string | string[]; reported: string }> = [];
    for (const [i, c] of chosen.entries()) {
      const name = resourceName(i);
      // One preview per case: the engine stops a deployment at the first resource whose check fails.
      const preview = await stack.preview({ allowFailure: true, env: { CORPUS_CASE: name } });
      const diagnostics = (preview.json?.diagnostics ?? []) as Array<{ urn?: string; message: string; severity: string }>;
      const reported = diagnostics
        .filter((d) => d.severity === "error" && d.urn?.endsWith(`::${name}`))
        .map((d) => d.message)
        .join("\n");
      const created = preview.json?.changeSummary?.create ?? 0;
      // A withheld value: Pulumi prints the reason, which names the property, and not the value.
      const named = (p: string) => (c.withheld ? reported.includes(p) && !reported.includes(`property ${p} value`) : reported.includes(`property ${p} value`));
      if (preview.code === 0 || ![c.property].flat().every(named) || created > 1 || [FAKE_TOKEN, URL_PASSWORD].some((v) => (preview.stdout + preview.stderr).includes(v))) {
        unmet.push({ case: caseName(c), property: c.property, reported: (reported || preview.stdout.slice(-600)).slice(0, 600) });
      }
    }
    expect(unmet).toEqual([]);
    expect(received.slice(before)).toEqual([]);
  });
});
