import * as fs from "node:fs";
import { REPO_ROOT, type CommandResult } from "../bed/pulumiHarness";
import { linkPackageInto } from "../bed/selfLink";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";

/** The root program (Pulumi.yaml at the repository top, built to dist/program) with a clients list in its stack config. */
const CLIENTS_KEY = "keycloak-registration-stack:clients";

type Entry = Record<string, unknown>;
type Outputs = { clients?: Record<string, { clientId: string; registrationAccessToken: string; clientSecret?: string }> };

describe("the root program registers the clients listed in the stack config", () => {
  beforeAll(() => {
    linkPackageInto(REPO_ROOT);
    if (!fs.existsSync(`${REPO_ROOT}/dist/program/index.js`)) throw new Error("dist/program/index.js is missing: run `npm run build` first");
  });
  const fx = useStackFixture({ name: "e2e-root", programDir: REPO_ROOT });
  const { secrets } = fx;
  const record = (what: string, r: CommandResult) => fx.record(what, r);
  /** Writes the list as structured YAML into Pulumi.<stack>.yaml, as a user would. */
  const setClients = (entries: Entry[]) =>
    fx.stack.run(["config", "set-all", "--stack", fx.stack.stackName, "--json", JSON.stringify({ [CLIENTS_KEY]: { value: JSON.stringify(entries), objectValue: entries, secret: false } })]);
  const outputs = async () => {
    const out = (await fx.stack.outputs({ showSecrets: true })) as Outputs;
    for (const [name, o] of Object.entries(out.clients ?? {})) {
      secrets.add(`${name} registration access token`, o.registrationAccessToken);
      secrets.add(`${name} client secret`, o.clientSecret);
    }
    return out.clients ?? {};
  };

  const web = { kind: "default", name: "root-web", publicClient: true, standardFlowEnabled: true, redirectUris: ["https://web.example.com/*"], fullScopeAllowed: false };
  const api = { kind: "default", name: "root-api", publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false };
  const spa = { kind: "default", name: "root-spa", publicClient: true, webOrigins: ["https://spa.example.com"] };
  const cli = { kind: "default", name: "root-cli", publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false };

  test("three entries up; removing one and adding one touches exactly those two; destroy removes the rest", async () => {
    await setClients([web, api, spa]);
    record("up #1", await fx.stack.up());
    for (const clientId of ["root-web", "root-api", "root-spa"]) expect(await fx.realm.getClient(clientId)).toBeDefined();
    expect(await fx.realm.getClient("root-web")).toMatchObject({ name: "root-web", publicClient: true, fullScopeAllowed: false, redirectUris: ["https://web.example.com/*"] });
    const first = await outputs();
    expect(Object.keys(first).sort()).toEqual(["root-api", "root-spa", "root-web"]);
    expect(first["root-api"]!.clientSecret).toBe((await fx.realm.getClient("root-api"))?.secret);

    // Keycloak's internal ids: a replacement (delete + create) would change them.
    const internalIds = async () => Object.fromEntries(await Promise.all(["root-web", "root-api"].map(async (c) => [c, (await fx.realm.getClient(c))?.id] as const)));
    const idsBefore = await internalIds();

    // Remove spa, add cli, and move the entries around: resources follow names, not positions.
    await setClients([cli, api, web]);
    const plan = record("preview #2", await fx.stack.preview());
    expect(plan.json?.changeSummary).toEqual({ create: 1, delete: 1, same: 3 }); // same: the two clients and the stack
    record("up #2", await fx.stack.up());
    expect(await fx.realm.getClient("root-spa")).toBeUndefined();
    expect(await fx.realm.getClient("root-cli")).toMatchObject({ directAccessGrantsEnabled: true });
    const second = await outputs();
    expect(Object.keys(second).sort()).toEqual(["root-api", "root-cli", "root-web"]);
    // An update would have rotated the registration access token: unchanged tokens prove no update happened.
    for (const name of ["root-web", "root-api"]) {
      expect({ name, same: second[name]!.registrationAccessToken === first[name]!.registrationAccessToken }).toEqual({ name, same: true });
    }
    expect(await internalIds()).toEqual(idsBefore);

    const exported = await fx.stack.exportState();
    fx.transcripts.push({ where: "stack export", text: exported.raw });
    for (const r of exported.json.deployment.resources ?? []) {
      if (String(r.type).endsWith(":KeycloakClient")) expect(isCiphertext(r.outputs.registrationAccessToken)).toBe(true);
    }
    expect(await fx.stack.preview({ expectNoChanges: true })).toMatchObject({ code: 0 });

    record("destroy", await fx.stack.destroy());
    for (const clientId of ["root-web", "root-api", "root-cli"]) expect(await fx.realm.getClient(clientId)).toBeUndefined();
    expect(secrets.size).toBeGreaterThanOrEqual(5);
    expect(fx.leaks()).toEqual([]);
  });

  test("a malformed entry is rejected at preview, naming the entry and the field; nothing is registered", async () => {
    await setClients([web, { kind: "default", name: "web-bad", redirectUris: "https://not-a-list.example.com" }, { kind: "oidc-typo", name: "x" }, { kind: "default", name: "root-web" }]);
    const res = record("preview (malformed)", await fx.stack.preview({ allowFailure: true }));
    expect(res.code).not.toBe(0);
    const text = [res.stdout, res.stderr, ...(res.json?.diagnostics ?? []).map((d: { message: string }) => d.message)].join("\n");
    expect(text).toContain("keycloak-registration-stack:clients in the stack configuration has 3 problem(s)");
    expect(text).toContain('clients[1] (name "web-bad").redirectUris: redirectUris must be a list of strings');
    expect(text).toContain('clients[2] (name "x").kind: unknown kind "oidc-typo"; the kinds are default');
    expect(text).toContain('clients[3] (name "root-web").name: is already used by clients[0]');
    expect(await fx.realm.getClient("root-web")).toBeUndefined();
    expect(fx.leaks()).toEqual([]);
  });
});
