/**
 * `npm run demo` without KEYCLOAK_URL, as on a fresh machine: the real script (tsx scripts/demo.ts)
 * with its own persistent Keycloak, in a temporary `.demo` (KCREG_DEMO_DIR) so a developer's
 * `.demo/` is never touched. The first run registers the clients of Pulumi.demo.yaml and stops
 * Keycloak; a second run (with --keep-running, so the admin API can look while it is up) changes
 * nothing; `--destroy` removes clients, stack and realm; `--port` makes a new server on the port given
 * and refuses to move an existing one. After every command no process of the demo's Keycloak is
 * left, and no token or secret ever appears in the demo's output.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import axios from "axios";
import { claimNewPort, startKeycloak } from "../bed/keycloak";
import { productNode } from "../bed/node";
import { REPO_ROOT } from "../bed/selfLink";
import { SecretRegistry } from "../support/leaks";

const REALM = "kcreg-demo";
const IAT_COUNT = 5;
/** The entries of the committed Pulumi.demo.yaml, by name (also their clientIds). */
const CLIENTS = [...fs.readFileSync(path.join(REPO_ROOT, "Pulumi.demo.yaml"), "utf8").matchAll(/^\s+name:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
const TSX_CLI = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");

type Outputs = Record<string, { clientId: string; registrationAccessToken: string; clientSecret?: string }>;

interface DemoRun {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved in arrival order, ANSI colours removed. */
  output(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

describe("npm run demo without KEYCLOAK_URL: its own persistent Keycloak", () => {
  const demoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-demo-e2e-"));
  const keycloakDir = path.join(demoRoot, "keycloak");
  const secrets = new SecretRegistry();
  const transcripts: Array<{ where: string; text: string }> = [];
  const children = new Set<ChildProcess>();
  let firstOutputs: Outputs;
  /** Keycloak's id of each client, as the first run printed it (from the admin API). */
  const firstIds: Record<string, string> = {};
  let firstIatLine: string;

  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, KCREG_DEMO_DIR: demoRoot, KCREG_DEMO_SKIP_BUILD: "1" };
    delete e.KEYCLOAK_URL;
    delete e.KEYCLOAK_COMPAT_URL;
    delete e.FORCE_COLOR;
    return e;
  };

  const runDemo = (args: string[]): DemoRun => {
    // Under the selected Node.js, which the demo hands on to everything it starts (Pulumi's program and provider).
    const child = spawn(productNode().node, [TSX_CLI, "scripts/demo.ts", ...args], { cwd: REPO_ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let text = "";
    const add = (c: Buffer): void => {
      text += c.toString().replace(/\x1b\[[0-9;]*m/g, ""); // eslint-disable-line no-control-regex
    };
    child.stdout!.on("data", add);
    child.stderr!.on("data", add);
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => {
        children.delete(child);
        transcripts.push({ where: `demo ${args.join(" ") || "(no arguments)"}`, text });
        resolve({ code, signal, output: text });
      });
    });
    return { child, output: () => text, done };
  };

  /** The demo's state for its Keycloak: `<demoRoot>/127.0.0.1_<port>` (port recorded by the bed). */
  const record = (): { version: string; port: number; pid?: number } => JSON.parse(fs.readFileSync(path.join(keycloakDir, "server.json"), "utf8"));
  const stateDir = (): string => path.join(demoRoot, `127.0.0.1_${record().port}`);

  /** Pulumi against the demo's state, as the demo's own printout says; for the test's eyes only. */
  const pulumi = (args: string[]): string => {
    const bin = process.env.PULUMI_ENGINE_BIN_DIR;
    if (!bin) throw new Error("PULUMI_ENGINE_BIN_DIR is not set (the e2e global setup sets it)");
    const penv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PULUMI_")) penv[k] = v;
    Object.assign(penv, {
      PATH: [bin, productNode().binDir, process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_BACKEND_URL: `file://${path.join(stateDir(), "backend")}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: path.join(stateDir(), "passphrase"),
      PULUMI_HOME: path.join(stateDir(), "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
    });
    const r = spawnSync(path.join(bin, "pulumi"), ["--non-interactive", ...args], { cwd: REPO_ROOT, env: penv, encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const outputs = (): Outputs => {
    const out = JSON.parse(pulumi(["stack", "output", "clients", "--show-secrets", "--json", "--stack", "demo"])) as Outputs;
    for (const [name, o] of Object.entries(out)) {
      secrets.add(`${name} registration access token`, o.registrationAccessToken);
      secrets.add(`${name} client secret`, o.clientSecret);
    }
    return out;
  };

  /** PIDs of processes whose command line names the demo's directory: Keycloak (kc.sh, java) and its watchdog. */
  const demoProcesses = (): number[] => {
    const pids: number[] = [];
    for (const e of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(e)) continue;
      try {
        if (fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(demoRoot)) pids.push(Number(e));
      } catch {
        /* gone meanwhile */
      }
    }
    return pids;
  };
  /** Nothing left running; the watchdog needs up to half a second to notice the group is gone. */
  const expectNoKeycloakLeft = async (): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (demoProcesses().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(demoProcesses()).toEqual([]);
    expect(record().pid).toBeUndefined();
  };

  const adminGet = async (url: string, pathname: string): Promise<{ status: number; data: unknown }> => {
    const token = await axios.post(
      `${url}/realms/master/protocol/openid-connect/token`,
      new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username: "admin", password: "admin" }),
      { timeout: 10_000 },
    );
    const res = await axios.get(`${url}/admin${pathname}`, {
      headers: { Authorization: `Bearer ${(token.data as { access_token: string }).access_token}` },
      validateStatus: () => true,
      timeout: 10_000,
    });
    return { status: res.status, data: res.data };
  };

  /** The "Resources:" summary of the `pulumi up` in a demo's output (before its preview). */
  const upSummary = (output: string): string => {
    const up = output.slice(output.indexOf("$ pulumi up"), output.indexOf("$ pulumi preview"));
    return up.slice(up.lastIndexOf("Resources:"));
  };

  afterAll(async () => {
    // Only after a failure is anything still running: the demo (by its PID), then its Keycloak group (PID from the bed's record).
    for (const child of children) {
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 5_000));
    }
    try {
      const pid = record().pid;
      if (pid) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    } catch {
      /* no record */
    }
    fs.rmSync(demoRoot, { recursive: true, force: true });
  });

  test("a --port that is no port number is refused with the usage, before anything starts", async () => {
    for (const args of [["--port"], ["--port", "http"], ["--port=70000"]]) {
      const run = await runDemo(args).done;
      expect({ args, code: run.code, refused: run.output.includes("--port takes a TCP port number (1-65535)"), usage: run.output.includes("usage: npm run demo") }).toEqual({ args, code: 2, refused: true, usage: true });
    }
    expect(fs.existsSync(keycloakDir)).toBe(false);
  }, 120_000);

  test("first run: sets everything up, registers the clients of Pulumi.demo.yaml, stops Keycloak", async () => {
    expect(CLIENTS.length).toBeGreaterThanOrEqual(2);
    const run = await runDemo([]).done;
    expect({ code: run.code, tail: run.code === 0 ? "" : run.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
    const out = run.output;
    expect(out).toContain(`created realm ${REALM}`);
    expect(out).toContain(`created an initial access token for ${IAT_COUNT} clients`);
    expect(upSummary(out)).toMatch(new RegExp(`\\+ ${CLIENTS.length + 1} created`)); // the clients and the stack
    for (const name of CLIENTS) {
      const line = new RegExp(`^  ${name}: clientId ${name}, id ([0-9a-f-]{36}), `, "m").exec(out);
      expect({ name, printed: Boolean(line) }).toEqual({ name, printed: true });
      firstIds[name] = line![1]!;
    }
    expect(out).not.toContain("NOT FOUND");
    const iat = /^Initial access token [0-9a-f-]+: (\d+) of (\d+) registrations left\.$/m.exec(out);
    expect(iat?.slice(1)).toEqual([String(IAT_COUNT - CLIENTS.length), String(IAT_COUNT)]);
    firstIatLine = iat![0];
    // Exactly how to tear down, and that Keycloak was stopped with its data kept.
    expect(out).toContain(`Tear down (the clients, the stack and realm ${REALM}): KCREG_DEMO_DIR=${demoRoot} npm run demo -- --destroy`);
    expect(out).toContain(`Keycloak stopped; its data stays in ${keycloakDir}: the next \`KCREG_DEMO_DIR=${demoRoot} npm run demo\` starts it again at http://127.0.0.1:${record().port}`);
    await expectNoKeycloakLeft();
    expect(fs.existsSync(path.join(keycloakDir, "home", "data", "h2", "keycloakdb.mv.db"))).toBe(true);

    secrets.add("initial access token", pulumi(["config", "get", "keycloak-registration:initialAccessToken", "--stack", "demo", "--config-file", path.join(stateDir(), "Pulumi.demo.yaml")]).trim());
    firstOutputs = outputs();
    expect(Object.keys(firstOutputs).sort()).toEqual([...CLIENTS].sort());
    expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
  }, 1_200_000);

  test("second run (--keep-running): the same server and data, nothing changes, no token rotates; Ctrl-C stops it", async () => {
    expect(firstOutputs).toBeDefined();
    const port = record().port;
    // The server keeps its port: another one is refused, naming both, before Keycloak starts.
    const asked = port === 65535 ? port - 1 : port + 1;
    const moved = await runDemo(["--port", String(asked)]).done;
    expect({ code: moved.code, named: /was made on port (\d+) .* does not move to port (\d+)/.exec(moved.output)?.slice(1).map(Number) }).toEqual({
      code: 1,
      named: [port, asked],
    });
    // What to do instead, for the demo: the server alone must not be deleted (its stack and realm live there).
    const command = `KCREG_DEMO_DIR=${demoRoot} npm run demo`;
    expect(moved.output).toContain(`Leave --port out to use it, or start over on port ${asked}: ${command} -- --destroy, then rm -rf ${demoRoot}, then ${command} -- --port ${asked}\n`);
    expect(moved.output).not.toContain("Run it again to finish the set-up");
    expect(moved.output).not.toContain("starting Keycloak");
    await expectNoKeycloakLeft();
    expect(record().port).toBe(port);

    const demo = runDemo(["--keep-running"]);
    try {
      await secondRun(demo, port);
    } finally {
      // Also after a failed expectation: Ctrl-C, so that no Keycloak stays up for the next test.
      if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill("SIGINT");
    }
    const run = await demo.done;
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.output).toContain("Keycloak stopped.");
    await expectNoKeycloakLeft();
    expect(record().port).toBe(port);

    // An update would have rotated the registration access token: unchanged tokens prove none happened.
    const second = outputs();
    for (const name of CLIENTS) {
      expect({ name, sameToken: second[name]!.registrationAccessToken === firstOutputs[name]!.registrationAccessToken }).toEqual({ name, sameToken: true });
    }
    expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
  }, 1_200_000);

  /** While the second run holds Keycloak: its printout, and Keycloak's admin API. */
  const secondRun = async (demo: DemoRun, port: number): Promise<void> => {
    // Wait until it holds Keycloak for us (or ends, which is a failure).
    const ended = demo.done.then(() => "ended" as const);
    for (;;) {
      if (demo.output().includes("Press Ctrl-C to stop it")) break;
      if ((await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))])) === "ended") break;
    }
    const out = demo.output();
    expect({ holding: out.includes("Press Ctrl-C to stop it"), tail: out.slice(-3000) }).toMatchObject({ holding: true });
    expect(out).not.toContain(`created realm ${REALM}`);
    expect(out).not.toContain("created an initial access token");
    const summary = upSummary(out);
    expect(summary).toMatch(new RegExp(`${CLIENTS.length + 1} unchanged`));
    expect(summary).not.toMatch(/\d+ (created|updated|deleted|replaced)/);
    expect(out).toContain(firstIatLine); // no registration used the token
    expect(out).toContain(`Keycloak keeps running at http://127.0.0.1:${port}: admin console http://127.0.0.1:${port}/admin/master/console/#/${REALM}`);
    expect(out).toContain("admin user admin, password admin");

    // While it is up: the clients are in Keycloak, the token's count is untouched.
    const url = `http://127.0.0.1:${port}`;
    for (const name of CLIENTS) {
      expect(out).toContain(`  ${name}: clientId ${name}, id ${firstIds[name]}, `);
      const found = await adminGet(url, `/realms/${REALM}/clients?clientId=${encodeURIComponent(name)}`);
      expect({ name, ids: (found.data as Array<{ id: string }>).map((c) => c.id) }).toEqual({ name, ids: [firstIds[name]] });
    }
    const iats = (await adminGet(url, `/realms/${REALM}/clients-initial-access`)).data as Array<{ remainingCount: number; count: number }>;
    expect(iats.map((t) => [t.remainingCount, t.count])).toEqual([[IAT_COUNT - CLIENTS.length, IAT_COUNT]]);
  };

  test("--destroy: starts the server, removes the clients, the stack and the realm, stops it", async () => {
    expect(firstOutputs).toBeDefined();
    const run = await runDemo(["--destroy"]).done;
    expect({ code: run.code, tail: run.code === 0 ? "" : run.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
    expect(run.output).not.toContain("already running"); // a start of its own
    expect(run.output).toMatch(new RegExp(`- ${CLIENTS.length + 1} deleted`));
    expect(run.output).toContain(`deleted realm ${REALM}`);
    expect(run.output).toContain(`Demo removed from http://127.0.0.1:${record().port}`);
    expect(run.output).toContain(`The local Keycloak is stopped. It stays in ${keycloakDir} (master realm only); rm -rf ${demoRoot} removes it as well.`);
    expect(fs.existsSync(stateDir())).toBe(false); // state, passphrase and generated config
    await expectNoKeycloakLeft();

    // A look with Keycloak's admin API: the persistent server again (a restart, admin/admin still works), no demo realm.
    const server = await startKeycloak({ persistent: { dir: keycloakDir }, log: () => {} });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${record().port}`);
      expect(server.persistent).toEqual({ dir: keycloakDir, alreadyRunning: false });
      expect((await adminGet(server.url, `/realms/${REALM}`)).status).toBe(404);
      expect((await adminGet(server.url, "/realms/master")).status).toBe(200);
    } finally {
      await server.stop();
    }
    await expectNoKeycloakLeft();

    // Nothing left to destroy is said so, without starting anything once the directory is gone.
    fs.rmSync(keycloakDir, { recursive: true, force: true });
    const again = await runDemo(["--destroy"]).done;
    expect(again.code).toBe(0);
    expect(again.output).toContain(`Nothing to destroy: there is no demo Keycloak in ${keycloakDir}`);

    expect(secrets.size).toBeGreaterThanOrEqual(1 + CLIENTS.length);
    expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
  }, 1_200_000);

  test("--port: a new demo server on the port given, which later runs find recorded", async () => {
    expect(fs.existsSync(keycloakDir)).toBe(false); // the --destroy test removed it
    // The bed's own choice of a new port (free now, claimed by no other persistent server), below the
    // kernel's ephemeral range and away from the default 18080.
    const port = await claimNewPort(keycloakDir, () => {}, 20_000 + Math.floor(Math.random() * 9_900));
    const run = await runDemo(["--port", String(port)]).done;
    expect({ code: run.code, tail: run.code === 0 ? "" : run.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
    expect(record().port).toBe(port);
    expect(run.output).toContain(`Keycloak ${record().version} ready at http://127.0.0.1:${port}`);
    expect(upSummary(run.output)).toMatch(new RegExp(`\\+ ${CLIENTS.length + 1} created`));
    await expectNoKeycloakLeft();

    const destroy = await runDemo(["--destroy"]).done;
    expect({ code: destroy.code, tail: destroy.code === 0 ? "" : destroy.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
    expect(destroy.output).toContain(`Demo removed from http://127.0.0.1:${port}`);
    await expectNoKeycloakLeft();
    expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
  }, 1_200_000);
});
