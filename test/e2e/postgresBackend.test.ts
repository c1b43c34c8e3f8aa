/**
 * Team scale: the root program with its state in PostgreSQL, through Pulumi's own `postgres://` DIY
 * backend (pkg/backend/diy/postgres in the Pulumi CLI 3.276.0 the bed builds).
 *
 * What that backend is, read from its source and checked here against the live database:
 * - one table, `pulumi_state` (`?table=` changes the name), created on first use:
 *   `key TEXT PRIMARY KEY, data JSON NOT NULL, updated_at TIMESTAMPTZ` (+ a text_pattern_ops index);
 * - every file of the DIY layout is a row: the key is the file's path, prefixed with the URL's path
 *   (the database name): `<db>/.pulumi/stacks/<project>/<stack>.json`, `.json.bak`,
 *   `<db>/.pulumi/history/...`, `<db>/.pulumi/backups/...`, `<db>/.pulumi/meta.yaml`,
 *   `<db>/.pulumi/locks/organization/<project>/<stack>/<uuid>.json`; `data` is `{"data": "<base64 of
 *   the file>"}`, so the checkpoint JSON is one base64 string, and its secrets are ciphertext inside it;
 * - stack locking is the DIY backends' generic protocol: list the stack's lock rows, write our own,
 *   list again; any other lock row means "the stack is currently locked by N lock(s)" and the command
 *   fails at once (no waiting). up/refresh/destroy/import take it before reading the snapshot and
 *   release it after the last checkpoint; `pulumi cancel` deletes every lock row of the stack.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import axios from "axios";
import { startPostgres, type PostgresServer } from "../bed/postgres";
import { PulumiStack, REPO_ROOT, type CommandResult } from "../bed/pulumiHarness";
import { type TestRealm } from "../bed/realm";
import { linkPackageInto } from "../bed/selfLink";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";

const CLIENTS_KEY = "keycloak-registration-stack:clients";
const PROJECT = "keycloak-registration-stack";
const TABLE = "pulumi_state";
const LOCKED = /the stack is currently locked by \d+ lock\(s\)/;

type Entry = Record<string, unknown>;
type Exported = { clientId: string; registrationAccessToken: string; clientSecret?: string };
type Row = { key: string; data: string; decoded: string };
type LockSeen = { key: string; pid: number; username: string; hostname: string };
type Teammate = { label: string; configFile: string; home: string };

const web: Entry = { kind: "default", name: "pg-web", publicClient: true, redirectUris: ["https://web.example.com/*"] };
const api: Entry = { kind: "default", name: "pg-api", publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false };
const spa: Entry = { kind: "default", name: "pg-spa", publicClient: true, webOrigins: ["https://spa.example.com"] };
// Teammate A changes web and adds alpha; teammate B changes api and adds beta.
const webA: Entry = { ...web, redirectUris: ["https://web.example.com/*", "https://a.example.com/*"] };
const alpha: Entry = { kind: "default", name: "pg-alpha", publicClient: true, redirectUris: ["https://alpha.example.com/*"] };
const apiB: Entry = { ...api, description: "changed by teammate B" };
const beta: Entry = { kind: "default", name: "pg-beta", publicClient: true, redirectUris: ["https://beta.example.com/*"] };

describe("stack state in PostgreSQL (Pulumi's postgres:// backend)", () => {
  let pg: PostgresServer;
  let realm: TestRealm;
  let stack: PulumiStack;
  let a: Teammate;
  let b: Teammate;

  beforeAll(async () => {
    linkPackageInto(REPO_ROOT);
    if (!fs.existsSync(`${REPO_ROOT}/dist/program/index.js`)) throw new Error("dist/program/index.js is missing: run `npm run build` first");
    pg = await startPostgres();
  });
  // Runs before the fixture's teardown: a test that failed while a command held the stack's lock leaves its row behind.
  afterAll(async () => {
    if (fx.stack && !fx.stack.destroyed) await fx.stack.run(["cancel", "--yes", "--stack", fx.stack.stackName], { allowFailure: true });
  });
  // The password goes in PGPASSWORD, not in the URL: Pulumi prints the backend URL as given in
  // `whoami -v` (see the last test).
  const fx = useStackFixture({ name: "e2e-pg", programDir: REPO_ROOT, stackOptions: () => ({ backendUrl: pg.urlWithoutPassword, env: pg.env }) });
  afterAll(async () => pg?.stop());
  const { secrets, transcripts } = fx;
  const record = (what: string, r: CommandResult) => fx.record(what, r);
  const leaks = () => fx.leaks();

  /** Writes the clients list into a config file (default: the stack's Pulumi.<stack>.yaml). */
  const setClients = (entries: Entry[], configFile?: string) =>
    stack.run([
      "config", "set-all", "--stack", stack.stackName,
      ...(configFile ? ["--config-file", configFile] : []),
      "--json", JSON.stringify({ [CLIENTS_KEY]: { value: JSON.stringify(entries), objectValue: entries, secret: false } }),
    ]);
  const outputs = async (): Promise<Record<string, Exported>> => {
    const out = (await stack.outputs({ showSecrets: true })) as { clients?: Record<string, Exported> };
    for (const [name, o] of Object.entries(out.clients ?? {})) {
      secrets.add(`${name} registration access token`, o.registrationAccessToken);
      secrets.add(`${name} client secret`, o.clientSecret);
    }
    return out.clients ?? {};
  };
  /** Every row of Pulumi's table, with the base64 payload decoded (and gunzipped if compressed). */
  const rows = async (where?: string): Promise<Row[]> => {
    const out = await pg.query(`SELECT key, data::text FROM ${TABLE}${where ? ` WHERE ${where}` : ""} ORDER BY key;`);
    return out
      .split("\n")
      .filter((l) => l.length > 0)
      .map((line) => {
        const tab = line.indexOf("\t");
        const key = line.slice(0, tab);
        const data = line.slice(tab + 1);
        let bytes = Buffer.from((JSON.parse(data) as { data: string }).data, "base64");
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
        return { key, data, decoded: bytes.toString("utf8") };
      });
  };
  const prefix = () => `${pg.database}/.pulumi`;
  const stackKey = () => `${prefix()}/stacks/${PROJECT}/${stack.stackName}.json`;
  const lockKeyPrefix = () => `${prefix()}/locks/organization/${PROJECT}/${stack.stackName}/`;
  const lockRows = async (): Promise<LockSeen[]> =>
    (await rows(`key LIKE '${lockKeyPrefix()}%'`)).map((r) => ({ key: r.key, ...(JSON.parse(r.decoded) as Omit<LockSeen, "key">) }));
  /** The checkpoint as stored in Postgres (the row of the stack's .json file). */
  const storedCheckpoint = async () => {
    const row = (await rows(`key = '${stackKey()}'`))[0];
    if (!row) throw new Error(`no row ${stackKey()} in ${TABLE}`);
    transcripts.push({ where: `row ${row.key}`, text: row.data + row.decoded });
    return JSON.parse(row.decoded) as { version: number; checkpoint: { stack: string; latest: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const ours = async () => (await realm.listClientIds()).filter((c) => c.startsWith("pg-")).sort();
  const inState = async () =>
    (await stack.resources()).filter((r) => String(r.type).endsWith(":KeycloakClient")).map((r) => String(r.outputs.clientId)).sort();
  /** GET of the client with its stored registration access token: 200 if the token works (reading does not rotate it). */
  const tokenStatus = async (clientId: string, token: string) =>
    (await axios.get(`${realm.registrationUrl("default")}/${encodeURIComponent(clientId)}`, { headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true, timeout: 15_000 })).status;
  const allTokensWork = async (clients: Record<string, Exported>) => {
    const statuses: Record<string, number> = {};
    for (const [name, c] of Object.entries(clients)) statuses[name] = await tokenStatus(c.clientId, c.registrationAccessToken);
    return statuses;
  };
  const expectAll200 = (statuses: Record<string, number>) =>
    expect(statuses).toEqual(Object.fromEntries(Object.keys(statuses).map((k) => [k, 200])));

  const upAs = (t: Teammate) =>
    stack.start(["up", "--yes", "--skip-preview", "--stack", stack.stackName, "--config-file", t.configFile], { env: { PULUMI_HOME: t.home }, allowFailure: true });
  /** Polls the stack's lock rows until stopped; returns every distinct lock seen and the most at once. */
  const watchLocks = () => {
    const seen = new Map<string, LockSeen>();
    let most = 0;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const now = await lockRows();
        most = Math.max(most, now.length);
        for (const l of now) seen.set(l.key, l);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
        return { locks: [...seen.values()], most };
      },
    };
  };
  const waitForLock = async (timeoutMs = 60_000): Promise<LockSeen> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await lockRows();
      if (now[0]) return now[0];
      if (Date.now() > deadline) throw new Error("no lock row appeared");
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(() => {
    secrets.add("PostgreSQL password", pg.password);
    stack = fx.stack;
    realm = fx.realm;
    const teammate = (label: string): Teammate => {
      const home = path.join(stack.rootDir, `home-${label}`);
      fs.mkdirSync(home);
      return { label, home, configFile: path.join(stack.rootDir, `Pulumi.${stack.stackName}.${label}.yaml`) };
    };
    a = teammate("a");
    b = teammate("b");
  });

  test("up registers the clients; Pulumi's table holds the checkpoint, and tokens and client secrets only as ciphertext", async () => {
    await setClients([web, api, spa]);
    record("up #1", await stack.up());
    expect(await ours()).toEqual(["pg-api", "pg-spa", "pg-web"]);
    const clients = await outputs();
    expect(Object.keys(clients).sort()).toEqual(["pg-api", "pg-spa", "pg-web"]);
    // The client secret Pulumi holds is Keycloak's.
    const liveSecret = (await realm.getClient("pg-api"))?.secret;
    expect(liveSecret).toBeTruthy();
    expect(clients["pg-api"]!.clientSecret).toBe(liveSecret);
    secrets.add("pg-api client secret (from Keycloak)", liveSecret);
    expectAll200(await allTokensWork(clients));

    // The schema Pulumi created (pkg/backend/diy/postgres/schema.sql) and nothing else.
    expect((await pg.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1;")).trim()).toBe(TABLE);
    expect((await pg.query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '${TABLE}' ORDER BY ordinal_position;`)).trim().split("\n")).toEqual([
      "key\ttext\tNO",
      "data\tjson\tNO",
      "updated_at\ttimestamp with time zone\tNO",
    ]);

    // The DIY layout as rows, the URL's path (the database name) as the key prefix.
    const all = await rows();
    const keys = all.map((r) => r.key);
    expect(keys.every((k) => k.startsWith(`${prefix()}/`))).toBe(true);
    expect(keys).toEqual(expect.arrayContaining([`${prefix()}/meta.yaml`, stackKey(), `${stackKey()}.bak`]));
    expect(keys.some((k) => k.startsWith(`${prefix()}/history/${PROJECT}/${stack.stackName}/`) && k.endsWith(".checkpoint.json"))).toBe(true);
    expect(await lockRows()).toEqual([]); // released when `up` ended
    for (const r of all) transcripts.push({ where: `row ${r.key} (raw)`, text: r.data }, { where: `row ${r.key} (decoded)`, text: r.decoded });

    // Every token and secret is in there only as ciphertext: the raw rows and their decoded payloads
    // (current checkpoint, its .bak, history copies, backups) hold none of the plaintext values...
    expect(all.flatMap((r) => [...secrets.findIn(`row ${r.key} (raw)`, r.data), ...secrets.findIn(`row ${r.key} (decoded)`, r.decoded)])).toEqual([]);
    // ...while the checkpoint is readable and marks them as secrets.
    const chk = await storedCheckpoint();
    const resources = (chk.checkpoint.latest.resources ?? []) as Array<{ type: string; outputs: Record<string, unknown> }>;
    const kc = resources.filter((r) => String(r.type).endsWith(":KeycloakClient"));
    expect(kc.map((r) => r.outputs.clientId).sort()).toEqual(["pg-api", "pg-spa", "pg-web"]);
    for (const r of kc) expect({ client: r.outputs.clientId, ciphertext: isCiphertext(r.outputs.registrationAccessToken) }).toEqual({ client: r.outputs.clientId, ciphertext: true });
    expect(isCiphertext(kc.find((r) => r.outputs.clientId === "pg-api")!.outputs.clientSecret)).toBe(true);

    // `pulumi stack export` shows exactly the stored deployment.
    const exported = await stack.exportState();
    transcripts.push({ where: "stack export", text: exported.raw });
    expect(exported.json.deployment).toEqual(chk.checkpoint.latest);
    expect(leaks()).toEqual([]);
  });

  test("two `pulumi up` runs on the same stack at once: the lock lets at most one run, nothing is lost, the next up converges", async () => {
    const before = await outputs();
    // Two teammates, each with a checkout of the stack config (same encryption salt) and a PULUMI_HOME of their own.
    fs.copyFileSync(stack.configFile, a.configFile);
    fs.copyFileSync(stack.configFile, b.configFile);
    await setClients([webA, api, spa, alpha], a.configFile);
    await setClients([web, apiB, spa, beta], b.configFile);

    const watcher = watchLocks();
    const runA = upAs(a);
    const runB = upAs(b);
    const [resA, resB] = await Promise.all([runA.result, runB.result]);
    const { locks, most } = await watcher.stop();
    record("race: up A", resA);
    record("race: up B", resB);
    const outcome = (r: CommandResult) => (r.code === 0 ? "ran" : LOCKED.test(r.stdout + r.stderr) ? "refused (locked)" : `failed otherwise (exit ${r.code})`);
    const outcomes = { A: outcome(resA), B: outcome(resB) };
    process.stderr.write(`[postgresBackend] race outcome: A ${outcomes.A} in ${resA.durationMs} ms, B ${outcomes.B} in ${resB.durationMs} ms; lock rows seen ${locks.length}, at most ${most} at once\n`);
    // Never both: the loser is refused by the lock, not half-run (both refused is possible when the
    // two lock rows are written between each other's checks).
    expect(Object.values(outcomes).filter((o) => o === "ran").length).toBeLessThanOrEqual(1);
    expect(Object.values(outcomes).filter((o) => o.startsWith("failed"))).toEqual([]);
    const winner = outcomes.A === "ran" ? "A" : outcomes.B === "ran" ? "B" : undefined;
    if (winner) {
      // The winner's lock was in the table while it ran; it carries the CLI's pid.
      const pid = winner === "A" ? runA.child.pid : runB.child.pid;
      expect(locks.map((l) => l.pid)).toContain(pid);
      expect(locks.find((l) => l.pid === pid)).toMatchObject({ username: os.userInfo().username, hostname: os.hostname() });
    }
    const refused = winner === "A" ? [resB] : winner === "B" ? [resA] : [resA, resB];
    for (const r of refused) {
      expect(r.stdout + r.stderr).toMatch(/Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`/);
      expect(r.durationMs).toBeLessThan(60_000); // refused at once, never queued behind the winner
    }
    expect(await lockRows()).toEqual([]);

    // State intact and equal to Keycloak: exactly the winner's change, nothing of the loser's.
    const chk = await storedCheckpoint();
    expect(chk.checkpoint.latest.pending_operations ?? []).toEqual([]);
    const afterRace = await outputs();
    expect(await inState()).toEqual(await ours());
    const expected = winner === "A" ? ["pg-alpha", "pg-api", "pg-spa", "pg-web"] : winner === "B" ? ["pg-api", "pg-beta", "pg-spa", "pg-web"] : ["pg-api", "pg-spa", "pg-web"];
    expect(await ours()).toEqual(expected);
    expect((await realm.getClient("pg-web"))?.redirectUris?.sort()).toEqual(winner === "A" ? ["https://a.example.com/*", "https://web.example.com/*"] : ["https://web.example.com/*"]);
    expect((await realm.getClient("pg-api"))?.description ?? "").toBe(winner === "B" ? "changed by teammate B" : "");
    // The updated client's token rotated and the new one is stored; the others' tokens are untouched.
    if (winner === "A") expect(afterRace["pg-web"]!.registrationAccessToken).not.toBe(before["pg-web"]!.registrationAccessToken);
    if (winner === "B") expect(afterRace["pg-api"]!.registrationAccessToken).not.toBe(before["pg-api"]!.registrationAccessToken);
    expect(afterRace["pg-spa"]!.registrationAccessToken).toBe(before["pg-spa"]!.registrationAccessToken);
    expectAll200(await allTokensWork(afterRace));

    // The refused teammate pulls the other's change and runs again.
    const merged = [webA, apiB, spa, alpha, beta];
    for (const t of winner === "A" ? [b] : winner === "B" ? [a] : [a, b]) {
      await setClients(merged, t.configFile);
      const retry = record(`retry ${t.label}`, await upAs(t).result);
      expect({ retry: t.label, code: retry.code }).toEqual({ retry: t.label, code: 0 });
    }
    await setClients(merged);
    expect(await ours()).toEqual(["pg-alpha", "pg-api", "pg-beta", "pg-spa", "pg-web"]);
    expect(await inState()).toEqual(await ours());
    const converged = await outputs();
    expectAll200(await allTokensWork(converged));

    // refresh reads every client with its stored token; nothing is left to do afterwards.
    record("refresh", await stack.refresh());
    record("preview", await stack.preview({ expectNoChanges: true }));
    expect(await lockRows()).toEqual([]);
    expect(leaks()).toEqual([]);
  });

  test("an up that holds the lock refuses a second one at once; the first updates every client with the stored tokens", async () => {
    const before = await outputs();
    const v2 = [webA, apiB, spa, alpha, beta].map((e) => ({ ...e, description: `v2 of ${String(e.name)}` }));
    await setClients(v2);
    const first = stack.startUp();
    const held = await waitForLock();
    expect(held.pid).toBe(first.child.pid);
    const second = record("up while locked", await upAs(b).result);
    expect(second.code).not.toBe(0);
    const message = second.stdout + second.stderr;
    expect(message).toMatch(LOCKED);
    // The message names the lock row and its owner, with the URL's credentials masked.
    expect(message).toContain(`postgres://****:****@${pg.host}:${pg.port}/${lockKeyPrefix()}`);
    expect(message).toContain(`created by ${os.userInfo().username}@${os.hostname()} (pid ${first.child.pid})`);

    record("up holding the lock", await first.result);
    expect(await lockRows()).toEqual([]);
    const after = await outputs();
    for (const name of Object.keys(before)) {
      // Each update rotated the token with the stored one: the new one works, the old one is dead.
      expect({ name, rotated: after[name]!.registrationAccessToken !== before[name]!.registrationAccessToken }).toEqual({ name, rotated: true });
      expect({ name, old: await tokenStatus(before[name]!.clientId, before[name]!.registrationAccessToken) }).toEqual({ name, old: 401 });
      expect((await realm.getClient(name))?.description).toBe(`v2 of ${name}`);
    }
    expectAll200(await allTokensWork(after));
    expect(leaks()).toEqual([]);
  });

  test("a CLI killed while holding the lock leaves its lock row: the next up is refused until `pulumi cancel`", async () => {
    const killer = new AbortController();
    const refresh = stack.start(["refresh", "--yes", "--skip-preview", "--stack", stack.stackName], { signal: killer.signal, killProcessGroup: true, allowFailure: true });
    const held = await waitForLock();
    killer.abort();
    record("killed refresh", await refresh.result);
    expect(await lockRows()).toEqual([held]); // stale: nobody removes it

    const refused = record("up after the kill", await stack.up({ allowFailure: true }));
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(`(pid ${refresh.child.pid})`);

    record("cancel", await stack.run(["cancel", "--yes", "--stack", stack.stackName]));
    expect(await lockRows()).toEqual([]);
    // The killed refresh only read: state and tokens are as before.
    record("refresh after cancel", await stack.refresh());
    record("preview after cancel", await stack.preview({ expectNoChanges: true }));
    expectAll200(await allTokensWork(await outputs()));
    expect(await inState()).toEqual(await ours());
    expect(leaks()).toEqual([]);
  });

  test("credentials: Pulumi prints the backend URL with its password in `whoami -v`, so the password belongs in PGPASSWORD", async () => {
    // With PGPASSWORD, what Pulumi shows of the backend has no password.
    const who = record("whoami -v", await stack.run(["whoami", "--verbose"]));
    expect(who.stdout).toContain(`Backend URL: ${pg.urlWithoutPassword}`);

    // With the password in the URL, `whoami -v` prints it (Pulumi CLI 3.276.0)...
    const urlWithPassword = pg.urlWithoutPassword.replace(/^postgres:\/\/([^@/]+)@/, (_m, user: string) => `postgres://${user}:${encodeURIComponent(pg.password)}@`);
    expect(urlWithPassword).not.toBe(pg.urlWithoutPassword);
    const whoWithPassword = await stack.run(["whoami", "--verbose"], { allowFailure: true, env: { PULUMI_BACKEND_URL: urlWithPassword, PGPASSWORD: "" } });
    expect(whoWithPassword.code).toBe(0);
    expect(whoWithPassword.stdout.includes(encodeURIComponent(pg.password))).toBe(true);
    // ...while "unable to open state database" shows it as [credential] (3.259.0 printed it there too).
    const port = await closedPort();
    const dummy = `not-a-real-password-${randomBytes(6).toString("hex")}`;
    const inUrl = await stack.run(["stack", "ls"], { allowFailure: true, env: { PULUMI_BACKEND_URL: `postgres://kcreg:${dummy}@127.0.0.1:${port}/pulumi?sslmode=disable`, PGPASSWORD: "" } });
    expect(inUrl.code).not.toBe(0);
    expect(inUrl.stderr).toContain(`unable to open state database "postgres://kcreg:[credential]@127.0.0.1:${port}/pulumi?sslmode=disable"`);
    expect(inUrl.stderr).not.toContain(dummy);
    // In PGPASSWORD it is never shown.
    const inEnv = await stack.run(["stack", "ls"], { allowFailure: true, env: { PULUMI_BACKEND_URL: `postgres://kcreg@127.0.0.1:${port}/pulumi?sslmode=disable`, PGPASSWORD: dummy } });
    expect(inEnv.code).not.toBe(0);
    expect(inEnv.stderr).toContain("unable to open state database");
    expect(inEnv.stdout + inEnv.stderr).not.toContain(dummy);

    // destroy removes the clients; the stack's checkpoint row stays, empty.
    record("destroy", await stack.destroy());
    expect(await ours()).toEqual([]);
    expect(((await storedCheckpoint()).checkpoint.latest.resources ?? []).length).toBe(0);
    const all = await rows();
    for (const r of all) transcripts.push({ where: `final row ${r.key} (raw)`, text: r.data }, { where: `final row ${r.key} (decoded)`, text: r.decoded });
    expect(secrets.size).toBeGreaterThanOrEqual(12);
    expect(leaks()).toEqual([]);
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}
