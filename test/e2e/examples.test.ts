import * as fs from "node:fs";
import * as path from "node:path";
import { inCompatProject, startKeycloak, type KeycloakServer } from "../bed/keycloak";
import { makeProgramDir, PulumiStack, REPO_ROOT, type CommandResult, type ConfigValue } from "../bed/pulumiHarness";
import { createTestRealm, POLICY, type TestRealm } from "../bed/realm";
import { isCiphertext, SecretRegistry } from "../support/leaks";

/**
 * Every example under examples/ runs here, so none rots: prepare what it needs in Keycloak, set its
 * config, `up`, check Keycloak through the admin API, `destroy`, check the clients are gone, and scan
 * everything Pulumi printed or stored for the tokens and secrets seen. So do the README's TypeScript
 * blocks, word for word, in the TypeScript layout of examples/typescript (whose index.ts is the
 * README's first block): Pulumi compiles them itself, as for any `runtime: nodejs` project.
 */

interface Context {
  server: KeycloakServer;
  /** A fresh realm, removed after the example. */
  newRealm(): Promise<TestRealm>;
  secrets: SecretRegistry;
}

/** A client the example must have registered: where, and what Keycloak must show. */
interface Expected {
  realm: TestRealm;
  clientId: string;
  matches?: Record<string, unknown>;
}

interface Fixture {
  /** The test's name; also the directory under examples/ unless `dir` says otherwise. */
  name: string;
  dir?: string;
  /** Not in the `compat` project: the same program as an example there, and nothing Keycloak-specific about it. */
  notInCompat?: boolean;
  /** Files that replace or join the example's own. */
  files?: () => Record<string, string>;
  /** Prepares realms, policies and credentials; returns the stack config. */
  prepare(ctx: Context): Promise<{ config: Record<string, ConfigValue>; expected: (outputs: Record<string, any>) => Expected[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Extra checks after `up`. */
  verify?(ctx: Context, outputs: Record<string, any>, expected: Expected[]): Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const connection = (realm: TestRealm): Record<string, ConfigValue> => ({
  "keycloak-registration:serverUrl": realm.server.url,
  "keycloak-registration:realm": realm.name,
});

async function withIat(ctx: Context, realm: TestRealm): Promise<Record<string, ConfigValue>> {
  const iat = await realm.createInitialAccessToken({ count: 2, expiration: 3600 });
  ctx.secrets.add("initial access token", iat);
  return { ...connection(realm), "keycloak-registration:initialAccessToken": { value: iat, secret: true } };
}

/** The README's ```ts blocks, in order. */
function readmeTypeScriptBlocks(): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** The README block that imports `resource` from the package. */
function readmeBlock(resource: string): string {
  const found = readmeTypeScriptBlocks().filter((b) => new RegExp(`^import \\{ ${resource} \\} from "pulumi-keycloak-registration";$`, "m").test(b));
  if (found.length !== 1) throw new Error(`README.md has ${found.length} TypeScript blocks importing ${resource}, expected 1`);
  return found[0]!;
}

/** The examples this runner knows. A directory under examples/ that is not listed here is logged, not run. */
const FIXTURES: Fixture[] = [
  {
    name: "basic",
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: (out) => [
          {
            realm,
            clientId: out.clientId,
            matches: { name: "test-client", publicClient: true, standardFlowEnabled: true, implicitFlowEnabled: false, fullScopeAllowed: false, consentRequired: false },
          },
        ],
      };
    },
  },
  {
    name: "confidential-service-account",
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: () => [{ realm, clientId: "report-worker", matches: { publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false } }],
      };
    },
    async verify(ctx, out, [worker]) {
      expect(out.clientSecret).toBe((await worker!.realm.getClient("report-worker"))?.secret);
      expect(out.tokenEndpoint).toBe(`${worker!.realm.url}/protocol/openid-connect/token`);
      // The secret works: the service account gets a token.
      const token = await worker!.realm.serviceAccountToken({ clientId: "report-worker", clientSecret: out.clientSecret });
      ctx.secrets.add("report-worker access token", token);
      expect(token.length).toBeGreaterThan(16);
    },
  },
  {
    name: "anonymous-trusted-hosts",
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      const [trusted] = (await realm.listRegistrationPolicies("anonymous")).filter((p) => p.providerId === POLICY.trustedHosts.providerId);
      if (!trusted) throw new Error("the new realm has no anonymous Trusted Hosts policy");
      await realm.updateRegistrationPolicy(trusted.id, {
        ...trusted.config,
        [POLICY.trustedHosts.trustedHosts]: ["127.0.0.1", "localhost"],
        [POLICY.trustedHosts.hostSendingRegistrationRequestMustMatch]: ["true"],
        [POLICY.trustedHosts.clientUrisMustMatch]: ["true"],
      });
      return {
        config: { ...connection(realm), "keycloak-registration:anonymous": "true" },
        expected: () => [{ realm, clientId: "dev-app", matches: { publicClient: true, consentRequired: true, fullScopeAllowed: false, redirectUris: ["http://localhost:3000/*"] } }],
      };
    },
  },
  {
    name: "service-account-auth",
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      const account = await realm.createServiceAccount({ clientId: "registrar", roles: ["create-client"] });
      ctx.secrets.add("registrar client secret", account.clientSecret);
      return {
        config: {
          ...connection(realm),
          "keycloak-registration:serviceAccountClientId": account.clientId,
          "keycloak-registration:serviceAccountClientSecret": { value: account.clientSecret, secret: true },
        },
        expected: () => [{ realm, clientId: "partner-portal", matches: { publicClient: false, redirectUris: ["https://partners.example.com/oidc/callback"] } }],
      };
    },
    async verify(_ctx, out, [portal]) {
      const live = await portal!.realm.getClient("partner-portal");
      expect(out.clientSecret).toBe(live?.secret);
      expect(live?.attributes?.["pkce.code.challenge.method"]).toBe("S256");
    },
  },
  {
    name: "oidc-client",
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: (out) => [
          { realm, clientId: out.clientId, matches: { name: "Example web app", redirectUris: ["https://app.example.com/callback"], publicClient: false } },
        ],
      };
    },
    async verify(_ctx, out, [web]) {
      expect(out.clientSecret).toBe((await web!.realm.getClient(out.clientId))?.secret);
      expect(out.registrationClientUri).toContain(`/realms/${web!.realm.name}/clients-registrations/openid-connect/`);
    },
  },
  {
    name: "saml-client",
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: () => [{ realm, clientId: "https://sp.example.com/saml", matches: { protocol: "saml", redirectUris: ["https://sp.example.com/saml/acs"] } }],
      };
    },
    async verify(_ctx, out) {
      expect(out.assertionConsumerService).toBe("https://sp.example.com/saml/acs");
    },
  },
  {
    name: "typescript",
    async prepare(ctx) {
      // The example is the README's headline program, word for word.
      expect(fs.readFileSync(path.join(EXAMPLES_DIR, "typescript", "index.ts"), "utf8")).toBe(readmeBlock("KeycloakClient"));
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: (out) => [
          { realm, clientId: "test-client", matches: { clientId: out.clientId, name: "test-client", publicClient: true, standardFlowEnabled: true, implicitFlowEnabled: false, fullScopeAllowed: false, redirectUris: ["https://app.example.com/*"] } },
        ],
      };
    },
  },
  {
    name: "typescript: the README's OidcClient block",
    dir: "typescript",
    notInCompat: true,
    files: () => ({ "index.ts": readmeBlock("OidcClient") }),
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: (out) => [{ realm, clientId: out.clientId, matches: { name: "Example web app", redirectUris: ["https://app.example.com/callback"], publicClient: false } }],
      };
    },
  },
  {
    name: "typescript: the README's SamlClient block",
    dir: "typescript",
    notInCompat: true,
    files: () => ({ "index.ts": readmeBlock("SamlClient"), "sp-metadata.xml": fs.readFileSync(path.join(EXAMPLES_DIR, "saml-client", "sp-metadata.xml"), "utf8") }),
    async prepare(ctx) {
      const realm = await ctx.newRealm();
      return {
        config: await withIat(ctx, realm),
        expected: (out) => [{ realm, clientId: out.entityId, matches: { clientId: "https://sp.example.com/saml", protocol: "saml" } }],
      };
    },
  },
  {
    name: "multi-realm",
    async prepare(ctx) {
      const staff = await ctx.newRealm();
      const customers = await ctx.newRealm();
      const iat = await staff.createInitialAccessToken({ count: 1, expiration: 3600 });
      ctx.secrets.add("staff initial access token", iat);
      const account = await customers.createServiceAccount({ clientId: "registrar", roles: ["create-client"] });
      ctx.secrets.add("customers registrar secret", account.clientSecret);
      const p = "kcreg-example-multi-realm";
      return {
        config: {
          [`${p}:serverUrl`]: ctx.server.url,
          [`${p}:staffRealm`]: staff.name,
          [`${p}:staffInitialAccessToken`]: { value: iat, secret: true },
          [`${p}:customersRealm`]: customers.name,
          [`${p}:customersServiceAccountClientId`]: account.clientId,
          [`${p}:customersServiceAccountClientSecret`]: { value: account.clientSecret, secret: true },
        },
        expected: () => [
          { realm: staff, clientId: "orders", matches: { redirectUris: ["https://orders.example.com/staff/*"] } },
          { realm: customers, clientId: "orders", matches: { redirectUris: ["https://orders.example.com/shop/*"] } },
        ],
      };
    },
    async verify(_ctx, out, [staff, customers]) {
      expect(out.staff.realm).toBe(staff!.realm.name);
      expect(out.customers.realm).toBe(customers!.realm.name);
    },
  },
];

const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");

/** The example's files (not its node_modules or README) and `extra`, copied into a program dir under test/.tmp/. */
function copyExample(name: string, extra: Record<string, string> = {}): string {
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(EXAMPLES_DIR, name, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(r);
      } else if (!/^README/i.test(entry.name) && !/^Pulumi\.[^.]+\.yaml$/.test(entry.name)) {
        files[r] = fs.readFileSync(path.join(EXAMPLES_DIR, name, r), "utf8");
      }
    }
  };
  walk("");
  return makeProgramDir({ prefix: `example-${name}`, files: { ...files, ...extra } });
}

describe("examples", () => {
  let server: KeycloakServer;

  beforeAll(async () => {
    server = await startKeycloak();
    const unknown = fs
      .readdirSync(EXAMPLES_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !FIXTURES.some((f) => (f.dir ?? f.name) === d.name))
      .map((d) => d.name);
    if (unknown.length) process.stderr.write(`[examples] no fixture in test/e2e/examples.test.ts for examples/${unknown.join(", examples/")}: not run here\n`);
  });

  // The README's TypeScript blocks are compiled by Pulumi the same way on either Keycloak: `compat` runs examples/typescript only.
  test.each(FIXTURES.filter((f) => !(inCompatProject() && f.notInCompat)).map((f) => [f.name, f] as const))("examples/%s: up registers what it says, destroy removes it, no secret leaks", async (name, fixture) => {
    const dir = fixture.dir ?? name;
    expect(["index.js", "index.ts"].filter((f) => fs.existsSync(path.join(EXAMPLES_DIR, dir, f)))).toHaveLength(1);
    expect(fs.existsSync(path.join(EXAMPLES_DIR, dir, "README.md"))).toBe(true);
    const realms: TestRealm[] = [];
    const secrets = new SecretRegistry();
    const transcripts: Array<{ where: string; text: string }> = [];
    const record = (what: string, r: CommandResult) => {
      transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
      return r;
    };
    const ctx: Context = {
      server,
      secrets,
      newRealm: async () => {
        const realm = await createTestRealm(server, `ex-${dir.slice(0, 12)}-${Math.random().toString(36).slice(2, 7)}`);
        realms.push(realm);
        return realm;
      },
    };
    const programDir = copyExample(dir, fixture.files?.());
    let stack: PulumiStack | undefined;
    try {
      const { config, expected } = await fixture.prepare(ctx);
      stack = await PulumiStack.create({ programDir, config });
      record("up", await stack.up());
      const out = await stack.outputs({ showSecrets: true });
      // Every registrationAccessToken and clientSecret output, at any depth, joins the leak scan.
      const walkSecrets = (v: unknown, label: string) => {
        if (!v || typeof v !== "object") return;
        for (const [k, x] of Object.entries(v)) {
          if (k === "registrationAccessToken" || k === "clientSecret") secrets.add(`${label}.${k}`, x);
          else walkSecrets(x, `${label}.${k}`);
        }
      };
      walkSecrets(out, "output");
      const clients = expected(out);
      for (const c of clients) {
        const live = await c.realm.getClient(c.clientId);
        expect({ realm: c.realm.name, clientId: c.clientId, live: live === undefined ? "missing" : "present" }).toEqual({ realm: c.realm.name, clientId: c.clientId, live: "present" });
        if (c.matches) expect(live).toMatchObject(c.matches);
      }
      await fixture.verify?.(ctx, out, clients);

      const exported = await stack.exportState();
      transcripts.push({ where: "stack export", text: exported.raw });
      for (const r of exported.json.deployment.resources ?? []) {
        if (String(r.type).endsWith(":KeycloakClient")) expect(isCiphertext(r.outputs.registrationAccessToken)).toBe(true);
      }
      expect(record("preview (no change)", await stack.preview({ expectNoChanges: true })).code).toBe(0);

      record("destroy", await stack.destroy());
      for (const c of clients) expect({ realm: c.realm.name, clientId: c.clientId, live: await c.realm.getClient(c.clientId) }).toEqual({ realm: c.realm.name, clientId: c.clientId, live: undefined });
      expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
    } finally {
      await stack?.teardown();
      fs.rmSync(programDir, { recursive: true, force: true });
      for (const realm of realms) await realm.remove().catch(() => undefined);
    }
  });
});
