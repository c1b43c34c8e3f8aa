import { ensureProgramGenerator } from "../bed/programCodegen";
import { type CommandResult, type PulumiStack } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";
import { installPlugin, packedPluginOutsideRepo, PLUGIN_PROGRAM, type PluginSpec } from "./pluginSupport";

/**
 * `pulumi import keycloak-registration:index:<Kind> <name> <clientId>` through the plugin: clients
 * registered out of band (plain HTTP with an initial access token, as kcreg.sh or another pipeline
 * would) are adopted with the recovery account, then updated and destroyed by a program.
 */
describe("pulumi import of clients registered out of band", () => {
  let plugin: Awaited<ReturnType<typeof packedPluginOutsideRepo>>;
  const fx = useStackFixture({ name: "import", program: PLUGIN_PROGRAM, recovery: true });
  const suffix = Math.random().toString(36).slice(2, 8);
  const clientId = `oob-${suffix}`;

  beforeAll(async () => {
    plugin = await packedPluginOutsideRepo();
    await installPlugin(fx.stack, plugin);
  });
  afterAll(() => plugin?.remove());

  const record = (what: string, r: CommandResult) => fx.record(what, r);
  /** A secret output of `stack export --show-secrets` (`{ <sig>, plaintext: "<JSON>" }`) as its value. */
  const plain = (v: unknown): unknown => (v && typeof v === "object" && "plaintext" in v ? JSON.parse(String((v as { plaintext: string }).plaintext)) : v);

  /** A registration outside Pulumi: what its registrant keeps is the answer, with its registration access token. */
  async function registerOutOfBand(provider: "default" | "openid-connect", body: object): Promise<Record<string, string>> {
    const res = await fetch(fx.realm.registrationUrl(provider), {
      method: "POST",
      headers: { Authorization: `Bearer ${fx.initialAccessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as Record<string, string>;
    for (const key of ["registrationAccessToken", "registration_access_token", "secret", "client_secret"]) fx.secrets.add(`out-of-band ${key}`, answer[key]);
    return answer;
  }

  /** The status of a GET with a registration access token at the client's default endpoint. */
  async function statusWithToken(id: string, token: string): Promise<number> {
    const res = await fetch(`${fx.realm.registrationUrl("default")}/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    return res.status;
  }

  const importArgs = (stack: PulumiStack, kind: string, name: string, id: string) => [
    "import", `keycloak-registration:index:${kind}`, name, id, "--yes", "--generate-code=false", "--stack", stack.stackName,
  ];

  test("without a recovery account the import fails saying what it needs, and touches nothing", async () => {
    const kc = await registerOutOfBand("default", { clientId: `bare-${suffix}`, redirectUris: ["https://bare.example.com/*"] });
    const bare = await fx.newStack(fx.connection());
    await installPlugin(bare, plugin);
    const r = record("import without recovery", await bare.run(importArgs(bare, "KeycloakClient", "bare", `bare-${suffix}`), { allowFailure: true }));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('cannot import KeycloakClient "bare-');
    expect(r.stdout + r.stderr).toContain("importing needs the recovery account");
    expect(r.stdout + r.stderr).toContain("keycloak-registration:recoveryClientId");
    // No token was issued: the registrant's still works.
    expect(await statusWithToken(`bare-${suffix}`, kc.registrationAccessToken!)).toBe(200);
    expect(await bare.resources()).toEqual([]);

    // A SAML client cannot be imported at all (its descriptor cannot be read back): said as plainly.
    const saml = record("import SamlClient", await fx.stack.run(importArgs(fx.stack, "SamlClient", "sp", `bare-${suffix}`), { allowFailure: true }));
    expect(saml.code).not.toBe(0);
    expect(saml.stdout + saml.stderr).toContain("Keycloak cannot give back the EntityDescriptor a SAML client was registered from");
    expect(await statusWithToken(`bare-${suffix}`, kc.registrationAccessToken!)).toBe(200);
    await fx.realm.deleteClient(`bare-${suffix}`);
    expect(fx.leaks()).toEqual([]);
  });

  test("recovery keys set on a stack after its first up: the import says to run `pulumi up` once; after that up it imports", async () => {
    // Pulumi's importer reuses a default provider already in the state, configured as the last deployment left it.
    const oob = await registerOutOfBand("default", { clientId: `late-${suffix}`, redirectUris: ["https://late.example.com/*"] });
    const late = await fx.newStack(fx.connection({ "keycloak-registration:initialAccessToken": { value: fx.initialAccessToken!, secret: true } }));
    await installPlugin(late, plugin);
    fx.declare({ first: { type: "KeycloakClient", args: { clientId: `first-${suffix}`, publicClient: true } } });
    record("up with the initial access token only", await late.up());
    await late.setConfig("keycloak-registration:recoveryClientId", fx.recovery!.clientId);
    await late.setConfig("keycloak-registration:recoveryClientSecret", fx.recovery!.clientSecret, { secret: true });

    const early = record("import before an up", await late.run(importArgs(late, "KeycloakClient", "late", `late-${suffix}`), { allowFailure: true }));
    expect(early.code).not.toBe(0);
    expect(early.stdout + early.stderr).toContain("If both are set already and this stack has run `pulumi up` before, run `pulumi up` once, then import again");
    expect(await statusWithToken(`late-${suffix}`, oob.registrationAccessToken!)).toBe(200);

    record("up (the provider takes the recovery keys)", await late.up());
    record("import after the up", await late.run(importArgs(late, "KeycloakClient", "late", `late-${suffix}`)));
    expect(await statusWithToken(`late-${suffix}`, oob.registrationAccessToken!)).toBe(401);
    const held = (await late.exportState({ showSecrets: true })).json.deployment.resources as Array<{ type: string; id: string; outputs: Record<string, unknown> }>;
    const imported = held.filter((r) => r.type === "keycloak-registration:index:KeycloakClient").map((r) => r.id).sort();
    expect(imported).toEqual([`first-${suffix}`, `late-${suffix}`]);
    for (const r of held) fx.secrets.add(`${r.type} ${r.id} token`, plain(r.outputs?.registrationAccessToken));

    record("unprotect the imported client", await late.run(["state", "unprotect", "--all", "--yes", "--stack", late.stackName]));
    record("destroy", await late.destroy());
    expect([await fx.realm.getClient(`first-${suffix}`), await fx.realm.getClient(`late-${suffix}`)]).toEqual([undefined, undefined]);
    expect(fx.leaks()).toEqual([]);
  });

  test("import a KeycloakClient and an OidcClient with the recovery account, then update and destroy them from a program", async () => {
    const kc = await registerOutOfBand("default", { clientId, serviceAccountsEnabled: true, standardFlowEnabled: false, description: "registered by hand" });
    const oidc = await registerOutOfBand("openid-connect", { client_name: `oob oidc ${suffix}`, redirect_uris: ["https://oob.example.com/cb"] });

    record("import KeycloakClient", await fx.stack.run(importArgs(fx.stack, "KeycloakClient", "svc", clientId)));
    record("import OidcClient", await fx.stack.run(importArgs(fx.stack, "OidcClient", "app", oidc.client_id!)));

    // The registrants' tokens are dead: the recovery account issued fresh ones, which the stack holds as secrets.
    expect(await statusWithToken(clientId, kc.registrationAccessToken!)).toBe(401);
    expect(await statusWithToken(oidc.client_id!, oidc.registration_access_token!)).toBe(401);
    const exported = await fx.stack.exportState();
    fx.transcripts.push({ where: "export after import", text: exported.raw });
    const imported = (exported.json.deployment.resources as Array<{ type: string; id: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>).filter((r) =>
      r.type.startsWith("keycloak-registration:index:"),
    );
    const svc = imported.find((r) => r.type.endsWith(":KeycloakClient"))!;
    const app = imported.find((r) => r.type.endsWith(":OidcClient"))!;
    expect([svc.id, app.id]).toEqual([clientId, oidc.client_id]);
    expect(svc.inputs).toMatchObject({ serverUrl: fx.realm.server.url, realm: fx.realm.name, clientId, serviceAccountsEnabled: true, standardFlowEnabled: false, description: "registered by hand" });
    expect(app.inputs).toMatchObject({ serverUrl: fx.realm.server.url, realm: fx.realm.name, client_name: `oob oidc ${suffix}`, redirect_uris: ["https://oob.example.com/cb"] });
    expect([isCiphertext(svc.outputs.registrationAccessToken), isCiphertext(svc.outputs.clientSecret), isCiphertext(app.outputs.registration_access_token), isCiphertext(app.outputs.client_secret)]).toEqual([
      true, true, true, true,
    ]);
    const held = (await fx.stack.exportState({ showSecrets: true })).json.deployment.resources as Array<{ type: string; outputs: Record<string, unknown> }>;
    for (const r of held) for (const k of ["registrationAccessToken", "registration_access_token", "clientSecret", "client_secret"]) fx.secrets.add(`${r.type} ${k} after import`, plain(r.outputs?.[k]));
    const svcToken = plain(held.find((r) => r.type.endsWith(":KeycloakClient"))!.outputs.registrationAccessToken) as string;
    expect(await statusWithToken(clientId, svcToken)).toBe(200);

    // The program declares what was imported (as `pulumi import` would generate it), then changes one field each.
    const declared = (changes: { svc?: object; app?: object }): PluginSpec => ({
      svc: { type: "KeycloakClient", args: { ...svc.inputs, ...changes.svc } },
      app: { type: "OidcClient", args: { ...app.inputs, ...changes.app } },
    });
    fx.declare(declared({}));
    record("preview (as imported)", await fx.stack.preview({ expectNoChanges: true }));
    fx.declare(declared({ svc: { description: "now managed by Pulumi" }, app: { client_name: `managed ${suffix}` } }));
    record("up", await fx.stack.up());
    expect((await fx.realm.getClient(clientId))?.description).toBe("now managed by Pulumi");
    expect((await fx.realm.getClient(oidc.client_id!))?.name).toBe(`managed ${suffix}`);
    record("preview (converged)", await fx.stack.preview({ expectNoChanges: true }));
    const after = (await fx.stack.exportState({ showSecrets: true })).json.deployment.resources as Array<{ type: string; outputs: Record<string, unknown> }>;
    for (const r of after) for (const k of ["registrationAccessToken", "registration_access_token"]) fx.secrets.add(`${r.type} ${k} after update`, plain(r.outputs?.[k]));

    record("destroy", await fx.stack.destroy());
    expect(await fx.realm.getClient(clientId)).toBeUndefined();
    expect(await fx.realm.getClient(oidc.client_id!)).toBeUndefined();
    expect(fx.secrets.size).toBeGreaterThanOrEqual(8);
    expect(fx.leaks()).toEqual([]);
  });
  test("`pulumi import` in a Node.js project prints the declaration, generated by Pulumi's Node.js program generator", async () => {
    // The bed's Node.js language host answers GenerateProgram with pkg/v3/codegen/nodejs, as Pulumi's own host does.
    await ensureProgramGenerator(process.env.PULUMI_ENGINE_BIN_DIR!);
    await registerOutOfBand("default", { clientId: `gen-${suffix}`, description: "generated", redirectUris: ["https://gen.example.com/*"] });
    fx.declare({});
    const r = record("import with code generation", await fx.stack.run(["import", "keycloak-registration:index:KeycloakClient", "gen", `gen-${suffix}`, "--yes", "--stack", fx.stack.stackName]));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Please copy the following code into your Pulumi application");
    expect(r.stdout).toMatch(/new \w+\.KeycloakClient\("gen", \{/);
    expect(r.stdout).toContain(`clientId: "gen-${suffix}",`);
    expect(r.stdout).toContain('description: "generated",');
    expect(r.stdout).toContain("protect: true,");
    const held = (await fx.stack.exportState({ showSecrets: true })).json.deployment.resources as Array<{ type: string; id: string; outputs: Record<string, unknown> }>;
    for (const res of held) fx.secrets.add(`${res.type} ${res.id} token after generated import`, plain(res.outputs?.registrationAccessToken));
    record("unprotect", await fx.stack.run(["state", "unprotect", "--all", "--yes", "--stack", fx.stack.stackName]));
    record("destroy", await fx.stack.destroy());
    expect(await fx.realm.getClient(`gen-${suffix}`)).toBeUndefined();
    expect(fx.leaks()).toEqual([]);
  });
});
