import * as fs from "node:fs";
import * as path from "node:path";

import { productNode } from "../bed/node";
import { getPulumiEngine, type CommandResult, type PulumiStack } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";
import { installPlugin, packedPluginOutsideRepo } from "./pluginSupport";

/**
 * The lifecycle scenario of the provider plugin from another language: an example program under
 * examples/ (the seed's four clients) runs, as committed, through that language's host and the plugin
 * installed from its tarball with `pulumi plugin install --file`. up, a no-change preview, one changed
 * client, drift repaired after refresh, destroy; secrets are ciphertext in every export; no token or
 * secret the test saw appears in anything Pulumi printed or stored. Shared by yaml.plugin.test.ts and
 * python.plugin.test.ts, so both front doors pass the same assertions.
 */
export interface FrontDoor {
  /** Realm and program directory prefix. */
  name: string;
  /** Directory under examples/. */
  example: string;
  /** Provisions the language host (minutes the first time); `binDir` goes first on PATH. */
  prepare(log: (line: string) => void): Promise<{ binDir: string; finish?(programDir: string): void }>;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PROVISION_TIMEOUT_MS = 30 * 60_000;
const SP_ENTITY_ID = "https://sp.example.com/saml";
const PLUGIN_TYPE = "keycloak-registration:index:";

/** The example's files as committed (no README, no virtualenv, no caches). */
function exampleFiles(example: string): Record<string, string> {
  const dir = path.join(REPO_ROOT, "examples", example);
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir)) {
    if (name === "README.md" || name === "venv" || name === "__pycache__" || name.startsWith("Pulumi.") && name !== "Pulumi.yaml") continue;
    if (fs.statSync(path.join(dir, name)).isFile()) files[name] = fs.readFileSync(path.join(dir, name), "utf8");
  }
  return files;
}

interface Outputs {
  testClientId: string;
  workerClientId: string;
  workerClientSecret: string;
  tokenEndpoint: string;
  webClientId: string;
  webRegistrationClientUri: string;
  webClientSecret: string;
  spClientId: string;
  registrationAccessTokens: Record<"test-client" | "report-worker" | "web" | "sp", string>;
}

export function describePluginLifecycle(door: FrontDoor): void {
  describe(`the seed's clients from examples/${door.example} through the provider plugin`, () => {
    const log = (line: string) => process.stderr.write(`[${door.name}] ${line}\n`);
    let host: Awaited<ReturnType<FrontDoor["prepare"]>>;
    let engineBinDir: string;
    let plugin: Awaited<ReturnType<typeof packedPluginOutsideRepo>>;
    // Before the fixture's own beforeAll: the stack's PATH names the host.
    beforeAll(async () => {
      host = await door.prepare(log);
      engineBinDir = (await getPulumiEngine()).binDir;
      plugin = await packedPluginOutsideRepo();
      expect(plugin.tarball.startsWith(REPO_ROOT)).toBe(false);
    }, PROVISION_TIMEOUT_MS);
    const fx = useStackFixture({
      name: door.name,
      program: exampleFiles(door.example),
      stackOptions: () => ({ env: { PATH: [host.binDir, engineBinDir, productNode().binDir, process.env.PATH ?? ""].join(path.delimiter) } }),
    });
    let project: string;
    beforeAll(async () => {
      host.finish?.(fx.programDir);
      project = /^name: (.+)$/m.exec(fs.readFileSync(path.join(fx.programDir, "Pulumi.yaml"), "utf8"))![1]!;
      await installPlugin(fx.stack, plugin);
    });
    afterAll(() => plugin?.remove());

    const record = (what: string, r: CommandResult) => fx.record(what, r);
    const outputs = async (stack: PulumiStack): Promise<Outputs> => {
      const out = (await stack.outputs({ showSecrets: true })) as unknown as Outputs;
      fx.secrets.add("report-worker client secret", out.workerClientSecret);
      fx.secrets.add("web client secret", out.webClientSecret);
      for (const [name, rat] of Object.entries(out.registrationAccessTokens ?? {})) fx.secrets.add(`${name} registration access token`, rat);
      return out;
    };
    /** The plugin's resources in the export; every secret among them (and the stack's outputs, the provider's config) is ciphertext. */
    const exportIsClean = async (step: string) => {
      const exported = await fx.stack.exportState();
      fx.transcripts.push({ where: `stack export after ${step}`, text: exported.raw });
      const resources: Array<{ type: string; urn: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }> =
        exported.json.deployment.resources ?? [];
      const secretPaths: string[] = [];
      for (const r of resources) {
        const o = r.outputs ?? {};
        const fields =
          r.type === `${PLUGIN_TYPE}OidcClient` ? ["registration_access_token", "client_secret"] : ["registrationAccessToken", "clientSecret"];
        if (r.type.startsWith(PLUGIN_TYPE)) {
          for (const f of fields) if (o[f] !== undefined) secretPaths.push(`${r.urn}.outputs.${f}=${isCiphertext(o[f])}`);
        } else if (r.type === "pulumi:providers:keycloak-registration") {
          secretPaths.push(`${r.urn}.inputs.initialAccessToken=${isCiphertext(r.inputs?.initialAccessToken)}`);
        } else if (r.type === "pulumi:pulumi:Stack") {
          for (const f of ["workerClientSecret", "webClientSecret"]) secretPaths.push(`${r.urn}.outputs.${f}=${isCiphertext(o[f])}`);
          // YAML makes the whole map secret, Python each of its values: either way, no plaintext.
          const tokens = o.registrationAccessTokens;
          const sealed = isCiphertext(tokens) || (typeof tokens === "object" && tokens !== null && Object.values(tokens).length === 4 && Object.values(tokens).every(isCiphertext));
          secretPaths.push(`${r.urn}.outputs.registrationAccessTokens=${sealed}`);
        }
      }
      expect({ step, secretPaths }).toEqual({ step, secretPaths: secretPaths.map((p) => p.replace(/=false$/, "=true")) });
      // Every client's token, the two client secrets, the initial access token in the provider's config; the stack's three.
      expect(secretPaths.length).toBe(resources.some((r) => r.type.startsWith(PLUGIN_TYPE)) ? 4 + 2 + 1 + 3 : 0);
      expect(fx.secrets.findIn(`export after ${step}`, exported.raw)).toEqual([]);
      return resources;
    };
    /** The steps a preview would take, other than "same". */
    const changes = (r: CommandResult) =>
      ((r.json?.steps ?? []) as Array<{ op: string; urn: string }>).filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);

    test("up, a no-change preview, one client changed, drift repaired after refresh, destroy; secrets ciphertext, nothing leaked", async () => {
      const stack = fx.stack;
      const workerConfig = `${project}:workerDescription`;

      // 1. up registers the four clients, one at a time: Keycloak 26.7.3 answers some parallel creates
      // through different registration providers with one initial access token with 500 (plugin.test.ts).
      record("up #1", await stack.up({ args: ["--parallel", "1"] }));
      const out = await outputs(stack);
      expect(await fx.ownClientIds()).toEqual([out.testClientId, "report-worker", out.webClientId, SP_ENTITY_ID].sort());
      expect(await fx.realm.getClient(out.testClientId)).toMatchObject({
        name: "test-client",
        publicClient: true,
        redirectUris: ["http://localhost:8080/*"],
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        serviceAccountsEnabled: false,
        consentRequired: false,
        frontchannelLogout: false,
        fullScopeAllowed: false,
      });
      const worker = await fx.realm.getClient("report-worker");
      expect(worker).toMatchObject({
        description: "Nightly report generator",
        publicClient: false,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: false,
      });
      expect(out.workerClientId).toBe("report-worker");
      expect(out.workerClientSecret).toBe(worker?.secret);
      expect(out.tokenEndpoint).toBe(`${fx.realm.url}/protocol/openid-connect/token`);
      const web = await fx.realm.getClient(out.webClientId);
      expect(web).toMatchObject({ name: "Example web app", redirectUris: ["https://app.example.com/callback"], publicClient: false });
      expect(out.webClientSecret).toBe(web?.secret);
      expect(out.webRegistrationClientUri).toBe(`${fx.realm.url}/clients-registrations/openid-connect/${out.webClientId}`);
      expect(out.spClientId).toBe(SP_ENTITY_ID);
      expect((await fx.realm.getClient(SP_ENTITY_ID))?.protocol).toBe("saml");
      // The service account works with the secret the stack holds.
      fx.secrets.add("report-worker access token", await fx.realm.serviceAccountToken({ clientId: "report-worker", clientSecret: out.workerClientSecret }));
      await exportIsClean("up #1");

      // 2. Nothing changed: nothing to do.
      expect(record("preview (no change)", await stack.preview({ expectNoChanges: true })).code).toBe(0);

      // 3. One client changed: exactly that one is updated, with its own (rotated) token.
      await stack.setConfig(workerConfig, "Hourly report generator");
      expect(changes(record("preview (one change)", await stack.preview()))).toEqual(["update report-worker"]);
      expect((await fx.realm.getClient("report-worker"))?.description).toBe("Nightly report generator");
      record("up (one change)", await stack.up());
      expect((await fx.realm.getClient("report-worker"))?.description).toBe("Hourly report generator");
      const changed = await outputs(stack);
      expect(changed.registrationAccessTokens["report-worker"]).not.toBe(out.registrationAccessTokens["report-worker"]);
      expect(changed.workerClientSecret).toBe(out.workerClientSecret);
      await exportIsClean("up (one change)");

      // 4. An admin edits a client out of band: refresh records it, up restores the declaration.
      await fx.realm.updateClient(out.testClientId, { redirectUris: ["https://elsewhere.example.com/*"] });
      record("refresh", await stack.refresh());
      const refreshed = await exportIsClean("refresh");
      expect(refreshed.find((r) => r.urn.endsWith("::test-client"))?.outputs?.redirectUris).toEqual(["https://elsewhere.example.com/*"]);
      expect(changes(record("preview (drift)", await stack.preview()))).toEqual(["update test-client"]);
      record("up (drift)", await stack.up());
      expect((await fx.realm.getClient(out.testClientId))?.redirectUris).toEqual(["http://localhost:8080/*"]);
      await outputs(stack);
      await exportIsClean("up (drift)");

      // 5. destroy deletes all four from Keycloak and the stack.
      record("destroy", await stack.destroy());
      expect(await fx.ownClientIds()).toEqual([]);
      expect((await stack.resources()).filter((r: { type: string }) => r.type.startsWith(PLUGIN_TYPE))).toEqual([]);

      // No token or secret seen in this test appears in anything Pulumi printed or stored.
      expect(fx.secrets.size).toBeGreaterThanOrEqual(1 + 2 + 4 + 1);
      expect(fx.leaks()).toEqual([]);
    });
  });
}
