import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureUnsupportedNode, productNode, UNSUPPORTED_NODE_VERSION } from "../bed/node";
import { type CommandResult } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";
import { installPlugin, packedPluginOutsideRepo, PLUGIN_PROGRAM, type PluginSpec } from "./pluginSupport";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const DESCRIPTOR = fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "sp-entity-descriptor.xml"), "utf8");

/**
 * The provider plugin as users install it: `npm run plugin:pack`'s tarball, packed outside the
 * repository, installed with `pulumi plugin install --file` into the stack's temporary PULUMI_HOME,
 * and used by a program that knows the resources only by type token.
 */
describe("provider plugin from its tarball, through the real engine", () => {
  let plugin: Awaited<ReturnType<typeof packedPluginOutsideRepo>>;
  const fx = useStackFixture({ name: "plugin", program: PLUGIN_PROGRAM, recovery: true });
  const suffix = Math.random().toString(36).slice(2, 8);
  const entityId = `https://sp-${suffix}.example.com/saml`;

  beforeAll(async () => {
    plugin = await packedPluginOutsideRepo();
    expect(plugin.tarball.startsWith(REPO_ROOT)).toBe(false);
    await installPlugin(fx.stack, plugin);
  });
  afterAll(() => plugin?.remove());

  const record = (what: string, r: CommandResult) => fx.record(what, r);
  const spec = (description: string): PluginSpec => ({
    svc: {
      type: "KeycloakClient",
      args: { clientId: `plugin-svc-${suffix}`, serviceAccountsEnabled: true, standardFlowEnabled: false, description },
    },
    oidc: { type: "OidcClient", args: { client_name: `plugin oidc ${suffix}`, redirect_uris: ["https://app.example.com/cb"] } },
    saml: { type: "SamlClient", args: { entityDescriptor: DESCRIPTOR.replace("https://sp.example.com/saml", entityId) } },
  });

  const exportState = async (step: string) => {
    const exported = await fx.stack.exportState();
    fx.transcripts.push({ where: `stack export after ${step}`, text: exported.raw });
    return (exported.json.deployment.resources ?? []).filter((r: { type: string }) => r.type.startsWith("keycloak-registration:index:"));
  };

  test("up, a one-field update, drift repaired after refresh, destroy; secrets ciphertext, ownership marker from the URN, no token in any output", async () => {
    fx.declare(spec("v1"));
    // One create at a time: Keycloak 26.7.3 answers some parallel creates through different registration
    // providers with one initial access token with 500 (a lock on the token's row; see realmKeyRotation.test.ts).
    record("up #1", await fx.stack.up({ args: ["--parallel", "1"] }));
    const svc = await fx.realm.getClient(`plugin-svc-${suffix}`);
    expect(svc).toMatchObject({ serviceAccountsEnabled: true, standardFlowEnabled: false, description: "v1" });
    // The plugin derives the owner from the URN exactly as the dynamic resource classes do.
    const project = /^name: (.+)$/m.exec(fs.readFileSync(path.join(fx.programDir, "Pulumi.yaml"), "utf8"))![1];
    const owner = `${project}/${fx.stack.stackName}/KeycloakClient/svc`;
    // Keyed with the stack's recovery account (test/integration/hostile.provider.test.ts shows why).
    expect(svc?.attributes?.["pulumi-keycloak-registration.owner"]).toBe(createHmac("sha256", fx.recovery!.clientSecret).update(owner).digest("hex"));
    expect((await fx.realm.getClient(entityId))?.protocol).toBe("saml");

    const out = (await fx.stack.outputs({ showSecrets: true })) as Record<string, Record<string, string>>;
    fx.secrets.add("svc registration access token", out.svc!.registrationAccessToken);
    fx.secrets.add("svc client secret", out.svc!.clientSecret);
    fx.secrets.add("oidc registration access token", out.oidc!.registration_access_token);
    fx.secrets.add("oidc client secret", out.oidc!.client_secret);
    fx.secrets.add("saml registration access token", out.saml!.registrationAccessToken);
    expect(out.svc!.clientSecret).toBe(svc?.secret);
    expect((await fx.realm.getClient(out.oidc!.client_id!))?.redirectUris).toEqual(["https://app.example.com/cb"]);

    const resources = await exportState("up #1");
    expect(resources.map((r: { type: string }) => r.type).sort()).toEqual(
      ["keycloak-registration:index:KeycloakClient", "keycloak-registration:index:OidcClient", "keycloak-registration:index:SamlClient"],
    );
    for (const r of resources) {
      const secretOutputs = r.type.endsWith("OidcClient") ? ["registration_access_token", "client_secret"] : r.type.endsWith("KeycloakClient") ? ["registrationAccessToken", "clientSecret"] : ["registrationAccessToken"];
      expect({ urn: r.urn, secret: secretOutputs.map((k) => isCiphertext(r.outputs[k])) }).toEqual({ urn: r.urn, secret: secretOutputs.map(() => true) });
      // No serialized provider, no owner: nothing but the client in the state.
      expect(Object.keys(r.inputs).filter((k) => k.startsWith("__"))).toEqual([]);
      expect(Object.keys(r.outputs).filter((k) => k.startsWith("__"))).toEqual([]);
    }
    record("preview (no change)", await fx.stack.preview({ expectNoChanges: true }));

    // One field changes: the preview names it, the update sends it and writes the rotated token.
    fx.declare(spec("v2"));
    const preview = record("preview v2", await fx.stack.preview());
    const steps = (preview.json?.steps ?? []) as Array<{ op: string; urn: string; detailedDiff?: Record<string, { kind: string }> }>;
    expect(steps.filter((s) => s.op !== "same").map((s) => [s.op, s.urn.split("::").pop(), s.detailedDiff])).toEqual([["update", "svc", { description: { kind: "update", inputDiff: true } }]]);
    expect((await fx.realm.getClient(`plugin-svc-${suffix}`))?.description).toBe("v1");
    record("up v2", await fx.stack.up());
    expect((await fx.realm.getClient(`plugin-svc-${suffix}`))?.description).toBe("v2");
    const after = (await fx.stack.outputs({ showSecrets: true })) as Record<string, Record<string, string>>;
    expect(after.svc!.registrationAccessToken).not.toBe(out.svc!.registrationAccessToken);
    fx.secrets.add("svc rotated registration access token", after.svc!.registrationAccessToken);

    // Drift out of band: refresh records it, up puts the declaration back.
    await fx.realm.updateClient(`plugin-svc-${suffix}`, { description: "changed by hand" });
    record("refresh", await fx.stack.refresh());
    record("up after drift", await fx.stack.up());
    expect((await fx.realm.getClient(`plugin-svc-${suffix}`))?.description).toBe("v2");
    record("preview (converged)", await fx.stack.preview({ expectNoChanges: true }));
    const refreshed = (await fx.stack.outputs({ showSecrets: true })) as Record<string, Record<string, string>>;
    for (const [name, o] of Object.entries(refreshed)) fx.secrets.add(`${name} token after refresh`, o.registrationAccessToken ?? o.registration_access_token);
    await exportState("drift repaired");

    record("destroy", await fx.stack.destroy());
    expect(await fx.ownClientIds()).toEqual([]);
    expect(fx.secrets.size).toBeGreaterThanOrEqual(7);
    expect(fx.leaks()).toEqual([]);
  });

  test("a bad provider setting fails the preview naming the key, before any request", async () => {
    await fx.stack.setConfig("keycloak-registration:retries", "many");
    try {
      fx.declare(spec("v1"));
      const r = record("preview with bad config", await fx.stack.preview({ allowFailure: true }));
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("retries must be a whole number");
      expect(await fx.ownClientIds()).toEqual([]);
    } finally {
      await fx.stack.removeConfig("keycloak-registration:retries");
    }
    expect(fx.leaks()).toEqual([]);
  });

  test("a resource's serverUrl with user:password@, and plain credentials in auth, fail the preview naming the field, without printing either", async () => {
    const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
    const token = `tok-${Math.random().toString(36).slice(2, 12)}`;
    fx.secrets.add("password in a resource's serverUrl", password);
    fx.secrets.add("plain token in auth", token);
    for (const [what, args, field] of [
      ["serverUrl", { clientId: `plugin-url-${suffix}`, serverUrl: fx.realm.server.url.replace("://", `://admin:${password}@`) }, "credentials in serverUrl"],
      // By type token the program's SDK does not know that auth is secret: it arrives in plain text.
      ["auth", { clientId: `plugin-auth-${suffix}`, auth: { initialAccessToken: token, bearerToken: token } }, "choose one auth mode"],
    ] as const) {
      fx.declare({ bad: { type: "KeycloakClient", args } });
      const r = record(`preview with ${what} holding a credential`, await fx.stack.preview({ allowFailure: true }));
      expect(r.code).not.toBe(0);
      const errors = ((r.json?.diagnostics ?? []) as Array<{ severity: string; message: string; urn?: string }>).filter((d) => d.severity === "error" && d.urn?.endsWith("::bad"));
      expect(errors.map((d) => d.message)).toEqual([expect.stringContaining(field)]);
      expect(errors[0]!.message).not.toContain(`property ${what} value`);
    }
    expect(await fx.ownClientIds()).toEqual([]);
    expect(fx.leaks()).toEqual([]);
  });

  test("a serverUrl setting with user:password@ fails `up` naming serverUrl, before any request, without printing the password", async () => {
    const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
    fx.secrets.add("password in serverUrl", password);
    const serverUrl = fx.realm.server.url;
    await fx.stack.setConfig("keycloak-registration:serverUrl", serverUrl.replace("://", `://admin:${password}@`));
    try {
      fx.declare(spec("v1"));
      // `up`, not `preview --json`: the latter echoes the stack's plain config values, this one among them.
      const r = record("up with credentials in serverUrl", await fx.stack.up({ allowFailure: true }));
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("credentials in serverUrl would be logged");
      expect(r.stdout + r.stderr).not.toContain("property serverUrl value");
      expect(await fx.ownClientIds()).toEqual([]);
    } finally {
      await fx.stack.setConfig("keycloak-registration:serverUrl", serverUrl);
    }
    expect(fx.leaks()).toEqual([]);
  });

  test(`on Node.js ${UNSUPPORTED_NODE_VERSION} the plugin refuses to start, saying which Node.js it needs, and the preview fails with that message`, async () => {
    const oldNode = await ensureUnsupportedNode();
    const launcher = path.join(plugin.dir, "pulumi-resource-keycloak-registration");
    // The launcher itself: the message on stderr, no port on stdout (the engine would wait for one), exit 1.
    const refused = spawnSync(launcher, ["127.0.0.1:1"], { env: { ...process.env, PULUMI_KEYCLOAK_REGISTRATION_NODE: oldNode }, encoding: "utf8", timeout: 60_000 });
    expect({ status: refused.status, stdout: refused.stdout, stderr: refused.stderr }).toEqual({
      status: 1,
      stdout: "",
      stderr:
        `pulumi-resource-keycloak-registration: Node.js ${UNSUPPORTED_NODE_VERSION} is not supported; it needs Node.js 22 or newer. ` +
        "Put such a node first on PATH, or set PULUMI_KEYCLOAK_REGISTRATION_NODE to the path of its binary\n",
    });
    // The same launcher with the supported Node the suite runs on starts and prints its port.
    const started = spawn(launcher, ["127.0.0.1:1"], { env: { ...process.env, PULUMI_KEYCLOAK_REGISTRATION_NODE: productNode().node }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = "";
        started.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
        });
        started.once("exit", (code) => reject(new Error(`the plugin exited (${code}) before printing its port`)));
      });
      expect(firstLine).toMatch(/^\d+$/);
    } finally {
      started.kill("SIGKILL");
    }
    // Through the engine: the preview fails and says why.
    fx.declare(spec("v1"));
    const r = record("preview on an unsupported Node.js", await fx.stack.preview({ allowFailure: true, env: { PULUMI_KEYCLOAK_REGISTRATION_NODE: oldNode } }));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`Node.js ${UNSUPPORTED_NODE_VERSION} is not supported; it needs Node.js 22 or newer`);
    expect(await fx.ownClientIds()).toEqual([]);
    expect(fx.leaks()).toEqual([]);
  });
});
