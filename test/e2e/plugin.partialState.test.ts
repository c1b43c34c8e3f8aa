import { startFaultProxy, type FaultProxy } from "../bed/faultProxy";
import { type CommandResult, type PulumiStack } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";
import { installPlugin, packedPluginOutsideRepo, PLUGIN_PROGRAM } from "./pluginSupport";

/**
 * Partial state through the plugin: a failure after a successful write reaches the engine as
 * ErrorResourceInitFailed with the state the core saved, so the client and its newest token are
 * checkpointed (as a secret) and the next `up` carries on, as with the dynamic provider
 * (partialState.test.ts).
 */
describe("provider plugin: a failure after a write keeps the client and its newest token", () => {
  let plugin: Awaited<ReturnType<typeof packedPluginOutsideRepo>>;
  let proxy: FaultProxy;
  let stack: PulumiStack;
  const fx = useStackFixture({ name: "plugin-partial", program: PLUGIN_PROGRAM, stack: false });
  const clientId = `partial-${Math.random().toString(36).slice(2, 8)}`;
  const installPath = () => `/realms/${fx.realm.name}/clients-registrations/install/${clientId}`;
  const createPath = () => `/realms/${fx.realm.name}/clients-registrations/default`;

  beforeAll(async () => {
    plugin = await packedPluginOutsideRepo();
    proxy = await startFaultProxy(fx.realm.server.url);
    stack = await fx.newStack({
      "keycloak-registration:serverUrl": proxy.url,
      "keycloak-registration:realm": fx.realm.name,
      "keycloak-registration:initialAccessToken": { value: fx.initialAccessToken!, secret: true },
    });
    await installPlugin(stack, plugin);
  });
  afterAll(async () => {
    await proxy?.close();
    plugin?.remove();
  });

  const record = (what: string, r: CommandResult) => fx.record(what, r);
  const declare = (description: string) =>
    fx.declare({ api: { type: "KeycloakClient", args: { clientId, description, fetchAdapterConfig: true, serviceAccountsEnabled: true } } });

  /** The checkpointed token: ciphertext in the export, and one Keycloak accepts. */
  async function checkpointed(step: string): Promise<string> {
    const exported = await stack.exportState();
    fx.transcripts.push({ where: `export after ${step}`, text: exported.raw });
    const r = exported.json.deployment.resources.find((x: { type: string }) => x.type === "keycloak-registration:index:KeycloakClient");
    expect({ step, rat: isCiphertext(r?.outputs?.registrationAccessToken) }).toEqual({ step, rat: true });
    const plain = (await stack.exportState({ showSecrets: true })).json.deployment.resources.find((x: { type: string }) => x.type === "keycloak-registration:index:KeycloakClient");
    const token = JSON.parse(plain.outputs.registrationAccessToken.plaintext) as string;
    fx.secrets.add(`token after ${step}`, token);
    fx.secrets.add(`client secret after ${step}`, plain.outputs.clientSecret?.plaintext ? JSON.parse(plain.outputs.clientSecret.plaintext) : undefined);
    const res = await fetch(`${fx.realm.registrationUrl("default")}/${clientId}`, { headers: { Authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    expect({ step, status: res.status }).toEqual({ step, status: 200 });
    return token;
  }

  test("install GET failing after the create, then after an update: the stack keeps the client and the newest token, the next up carries on", async () => {
    declare("v0");
    proxy.addRule({ method: "GET", path: installPath(), fault: { kind: "status", status: 500 }, times: 1 });
    const failedCreate = record("up 1", await stack.up({ allowFailure: true }));
    expect(failedCreate.code).not.toBe(0);
    expect(failedCreate.stdout).toContain(`KeycloakClient "${clientId}": the client was registered, but the next step failed`);
    const afterCreate = await checkpointed("failed create");

    const posts = proxy.count("POST", createPath());
    record("up 2", await stack.up());
    expect(proxy.count("POST", createPath())).toBe(posts);
    const settled = await checkpointed("second up");
    expect(settled).not.toBe(afterCreate);

    declare("v1");
    proxy.addRule({ method: "GET", path: installPath(), fault: { kind: "status", status: 500 }, times: 1 });
    const failedUpdate = record("up 3", await stack.up({ allowFailure: true }));
    expect(failedUpdate.code).not.toBe(0);
    expect(await checkpointed("failed update")).not.toBe(settled);
    expect((await fx.realm.getClient(clientId))?.description).toBe("v1");

    record("up 4", await stack.up());
    await checkpointed("fourth up");
    record("preview", await stack.preview({ expectNoChanges: true }));
    record("destroy", await stack.destroy());
    expect(await fx.realm.getClient(clientId)).toBeUndefined();
    expect(fx.leaks()).toEqual([]);
  });
});
