/**
 * The demo of the root program:
 *
 *   npm run demo                      set up what is missing, `pulumi up`, print the result, stop
 *   npm run demo -- --keep-running    the same, then keep the local Keycloak up until Ctrl-C
 *   npm run demo -- --destroy         `pulumi destroy` of the demo stack, delete the demo realm
 *   npm run demo -- --port 28080      the demo's own Keycloak on that port (when it is made; later
 *                                     runs find the port recorded, and another one is an error)
 *
 * 1. Keycloak: `KEYCLOAK_URL` (admin from KEYCLOAK_ADMIN_USERNAME/PASSWORD, default admin/admin), or
 *    else the demo's own local Keycloak: the test bed's persistent server in `.demo/keycloak/`
 *    (file database, stable port; see `PersistentOptions` in test/bed/keycloak.ts). It is started
 *    for the run and stopped at the end (its data stays), or kept up with `--keep-running`. If it is
 *    already running (another demo with `--keep-running`), that one is used and left running.
 * 2. A realm `kcreg-demo` and an initial access token with a small count (created once, kept as a
 *    secret in the demo's stack config, replaced when used up or expired).
 * 3. A local state backend and passphrase under `.demo/<host>_<port>/`, the Pulumi engine, the build.
 * 4. `pulumi up` of the root program with the stack `demo`: the clients of the committed
 *    `Pulumi.demo.yaml`, plus the connection settings in a generated copy (`--config-file`), so the
 *    committed file never changes. Then a preview that must find nothing to do, the registered
 *    clients (admin API) and the token's remaining count.
 *
 * Running it again changes nothing. `.demo/` is git-ignored; deleting it (with no demo running) is a
 * clean slate. For the test suite: KCREG_DEMO_DIR puts `.demo/` elsewhere, KCREG_DEMO_SKIP_BUILD=1
 * skips the build (`npm test` has built already, and other suites read dist/ meanwhile).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PortMismatchError, startKeycloak, type KeycloakServer } from "../test/bed/keycloak";
import { DEFAULT_NODE_MAJOR, ensureNode } from "../test/bed/node";
import { ensurePulumiEngine, type PulumiEngine } from "../test/bed/pulumiEngine";
import { adminClient, type AdminClient } from "../test/bed/realm";
import { linkPackageInto, REPO_ROOT } from "../test/bed/selfLink";
import { untilSignal } from "./foreground";

const DEMO_REALM = "kcreg-demo";
const STACK = "demo";
const PROJECT = "keycloak-registration-stack";
const IAT_COUNT = 5;
const IAT_EXPIRATION_SECONDS = 7 * 24 * 3600;
const COMMITTED_CONFIG = path.join(REPO_ROOT, `Pulumi.${STACK}.yaml`);
const DEMO_ROOT = process.env.KCREG_DEMO_DIR ? path.resolve(process.env.KCREG_DEMO_DIR) : path.join(REPO_ROOT, ".demo");
/** The demo's own Keycloak (without KEYCLOAK_URL). */
const LOCAL_KEYCLOAK_DIR = path.join(DEMO_ROOT, "keycloak");
const USAGE = "usage: npm run demo [-- [--port <port>] [--keep-running | --destroy]]";

const say = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};
const log = (line: string): void => {
  process.stderr.write(`[demo] ${line}\n`);
};

/** Everything the demo keeps for one Keycloak server: state backend, passphrase, generated stack config. */
class DemoDir {
  readonly dir: string;
  constructor(server: KeycloakServer) {
    const u = new URL(server.url);
    this.dir = path.join(DEMO_ROOT, `${u.hostname}_${u.port || (u.protocol === "https:" ? "443" : "80")}`);
  }
  get backend(): string {
    return path.join(this.dir, "backend");
  }
  get configFile(): string {
    return path.join(this.dir, `Pulumi.${STACK}.yaml`);
  }
  get iatIdFile(): string {
    return path.join(this.dir, "initial-access-token.id");
  }
  passphrase(): string {
    const file = path.join(this.dir, "passphrase");
    if (!fs.existsSync(file)) {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600 });
    }
    return fs.readFileSync(file, "utf8").trim();
  }
  stackExists(): boolean {
    return fs.existsSync(path.join(this.backend, ".pulumi", "stacks", PROJECT, `${STACK}.json`));
  }
}

class Pulumi {
  readonly env: Record<string, string>;
  constructor(
    readonly engine: PulumiEngine,
    readonly demo: DemoDir,
    /** The directory of the `node` that runs the program and the dynamic provider. */
    nodeBinDir: string,
  ) {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PULUMI_")) base[k] = v;
    fs.mkdirSync(demo.backend, { recursive: true });
    this.env = {
      ...base,
      PATH: [engine.binDir, nodeBinDir, process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_BACKEND_URL: `file://${demo.backend}`,
      PULUMI_CONFIG_PASSPHRASE: demo.passphrase(),
      PULUMI_HOME: path.join(demo.dir, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      PULUMI_SELF_MANAGED_STATE_NO_LEGACY_WARNING: "true",
    };
  }

  /** Runs pulumi; `show` streams its output to the terminal, otherwise it is returned. Never pass a secret in `args`. */
  run(args: string[], opts: { cwd?: string; stdin?: string; show?: boolean; allowFailure?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.engine.pulumi, ["--non-interactive", ...args], {
        cwd: opts.cwd ?? REPO_ROOT,
        env: this.env,
        stdio: ["pipe", opts.show ? "inherit" : "pipe", opts.show ? "inherit" : "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdin!.end(opts.stdin ?? "");
      child.on("error", reject);
      child.on("close", (code) => {
        if (code !== 0 && !opts.allowFailure) {
          reject(new Error(`pulumi ${args.slice(0, 2).join(" ")} failed (exit ${code})${opts.show ? "" : `:\n${stdout}${stderr}`}`));
        } else resolve({ code: code ?? 1, stdout, stderr });
      });
    });
  }

  /** The stack commands, always with the generated config file. */
  stackArgs(): string[] {
    return ["--stack", STACK, "--config-file", this.demo.configFile];
  }
}

async function ensureRealm(kc: AdminClient): Promise<void> {
  if (await kc.realms.findOne({ realm: DEMO_REALM })) return;
  await kc.realms.create({ realm: DEMO_REALM, enabled: true });
  log(`created realm ${DEMO_REALM}`);
}

/** The IAT the stack config holds, if Keycloak still has it with a count left; else a new one is stored there. */
async function ensureInitialAccessToken(kc: AdminClient, pulumi: Pulumi): Promise<void> {
  const known = fs.existsSync(pulumi.demo.iatIdFile) ? fs.readFileSync(pulumi.demo.iatIdFile, "utf8").trim() : undefined;
  const live = (await kc.realms.getClientsInitialAccess({ realm: DEMO_REALM })).find((t) => t.id === known);
  if (live && (live.remainingCount ?? 0) > 0) return;
  const created = await kc.realms.createClientsInitialAccess({ realm: DEMO_REALM }, { count: IAT_COUNT, expiration: IAT_EXPIRATION_SECONDS });
  if (!created.token || !created.id) throw new Error("Keycloak returned no initial access token");
  // On stdin, encrypted with the demo's passphrase: the token is never on a command line or the terminal.
  await pulumi.run(["config", "set", ...pulumi.stackArgs(), "--secret", "keycloak-registration:initialAccessToken"], { stdin: created.token });
  fs.writeFileSync(pulumi.demo.iatIdFile, created.id);
  log(`created an initial access token for ${IAT_COUNT} clients, valid ${IAT_EXPIRATION_SECONDS / 86400} days`);
}

/**
 * Creates the stack without touching the committed Pulumi.demo.yaml: `stack init` writes the
 * passphrase's salt into Pulumi.<stack>.yaml of the directory it runs in, so it runs in a scratch
 * project and the salt becomes the start of the generated config file.
 */
async function ensureStack(pulumi: Pulumi): Promise<void> {
  if (pulumi.demo.stackExists() && fs.existsSync(pulumi.demo.configFile)) return;
  const scratch = path.join(pulumi.demo.dir, "init");
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  fs.writeFileSync(path.join(scratch, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
  if (pulumi.demo.stackExists()) await pulumi.run(["stack", "rm", "--yes", "--force", "--stack", STACK], { cwd: scratch });
  await pulumi.run(["stack", "init", STACK, "--secrets-provider", "passphrase"], { cwd: scratch });
  fs.copyFileSync(path.join(scratch, `Pulumi.${STACK}.yaml`), pulumi.demo.configFile);
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(pulumi.demo.iatIdFile, { force: true });
}

/** The committed clients list (and anything else in Pulumi.demo.yaml) into the generated config, then the connection. */
async function writeConfig(pulumi: Pulumi, server: KeycloakServer): Promise<void> {
  const committed = await pulumi.run(["config", "--json", "--stack", STACK, "--config-file", COMMITTED_CONFIG]);
  await pulumi.run(["config", "set-all", ...pulumi.stackArgs(), "--json", committed.stdout.trim()]);
  await pulumi.run(["config", "set", ...pulumi.stackArgs(), "keycloak-registration:serverUrl", server.url]);
  await pulumi.run(["config", "set", ...pulumi.stackArgs(), "keycloak-registration:realm", DEMO_REALM]);
}

function build(): Promise<void> {
  log("building (npm run build)");
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
    tsc.on("error", reject);
    tsc.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`the build failed (exit ${code})`))));
  });
}

async function showClients(kc: AdminClient, pulumi: Pulumi): Promise<void> {
  const out = await pulumi.run(["stack", "output", "clients", "--json", "--stack", STACK]);
  const clients = JSON.parse(out.stdout || "{}") as Record<string, { clientId: string }>;
  say("");
  say(`Registered clients in realm ${DEMO_REALM} (from Keycloak's admin API):`);
  for (const [name, { clientId }] of Object.entries(clients)) {
    const [rep] = (await kc.clients.find({ realm: DEMO_REALM, clientId })).filter((c) => c.clientId === clientId);
    if (!rep) {
      say(`  ${name}: clientId ${clientId} NOT FOUND in Keycloak`);
      continue;
    }
    const type = rep.publicClient ? "public" : rep.bearerOnly ? "bearer-only" : "confidential";
    const flows = [rep.standardFlowEnabled && "standard flow", rep.serviceAccountsEnabled && "service account", rep.directAccessGrantsEnabled && "direct grants"].filter(Boolean);
    say(`  ${name}: clientId ${clientId}, id ${rep.id}, ${type}, ${flows.join(" + ") || "no flows"}${rep.redirectUris?.length ? `, redirect ${rep.redirectUris.join(" ")}` : ""}`);
  }
  const iatId = fs.existsSync(pulumi.demo.iatIdFile) ? fs.readFileSync(pulumi.demo.iatIdFile, "utf8").trim() : undefined;
  const iat = (await kc.realms.getClientsInitialAccess({ realm: DEMO_REALM })).find((t) => t.id === iatId);
  say(iat ? `Initial access token ${iat.id}: ${iat.remainingCount} of ${iat.count} registrations left.` : "The initial access token is gone (expired or used up); the next run creates a new one.");
  say("Client secrets and registration access tokens are secret stack outputs: see them with");
  say(`  PULUMI_BACKEND_URL=file://${pulumi.demo.backend} PULUMI_CONFIG_PASSPHRASE_FILE=${path.join(pulumi.demo.dir, "passphrase")} \\`);
  say(`  ${pulumi.engine.pulumi} stack output clients --show-secrets --stack ${STACK}`);
}

async function destroy(server: KeycloakServer, pulumi: Pulumi, kc: AdminClient): Promise<void> {
  if (pulumi.demo.stackExists() && fs.existsSync(pulumi.demo.configFile)) {
    await pulumi.run(["destroy", "--yes", "--skip-preview", ...pulumi.stackArgs()], { show: true });
    // --preserve-config: `stack rm` would otherwise delete the committed Pulumi.demo.yaml.
    await pulumi.run(["stack", "rm", "--yes", "--preserve-config", "--stack", STACK], { allowFailure: true });
  } else {
    log(`no demo stack for ${server.url}: no clients to destroy`);
  }
  if (await kc.realms.findOne({ realm: DEMO_REALM })) {
    await kc.realms.del({ realm: DEMO_REALM });
    log(`deleted realm ${DEMO_REALM}`);
  }
  fs.rmSync(pulumi.demo.dir, { recursive: true, force: true });
  say(`Demo removed from ${server.url}: the clients, the stack, its state and realm ${DEMO_REALM}.`);
}

/** A path as the user would type it: relative to the current directory when inside it. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

/** The demo command (with `flag`), as it must be typed for the Keycloak (and demo directory) this run uses. */
function demoCommand(flag?: string): string {
  const prefix = process.env.KEYCLOAK_URL ? `KEYCLOAK_URL=${process.env.KEYCLOAK_URL} ` : process.env.KCREG_DEMO_DIR ? `KCREG_DEMO_DIR=${process.env.KCREG_DEMO_DIR} ` : "";
  return `${prefix}npm run demo${flag ? ` -- ${flag}` : ""}`;
}

/** A run refused before it changed anything: its message says what to do instead. */
class Refused extends Error {}

/** The command that undoes the demo. */
function teardownCommand(): string {
  return demoCommand("--destroy");
}

/** `--keep-running`: the demo's own Keycloak stays up until Ctrl-C (or SIGTERM/SIGHUP), then stops. */
function holdUntilInterrupted(server: KeycloakServer): Promise<void> {
  say("");
  say(`Keycloak keeps running at ${server.url}: admin console ${server.url}/admin/master/console/#/${DEMO_REALM}`);
  say(`  admin user ${server.adminUsername}, password ${server.adminPassword}`);
  say(`Press Ctrl-C to stop it; its data stays in ${shown(LOCAL_KEYCLOAK_DIR)}. Meanwhile \`${demoCommand()}\` in another terminal uses this server.`);
  return untilSignal(() => server.stop(), log);
}

/** The flags: --destroy or --keep-running, and --port <port> (or --port=<port>). */
function parseArgs(argv: string[]): { args: string[]; port?: number } | { problem: string } {
  const args: string[] = [];
  let port: number | undefined;
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--port" || a.startsWith("--port=")) {
      const value = a === "--port" ? argv[++i] : a.slice("--port=".length);
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
        return { problem: `--port takes a TCP port number (1-65535), e.g. --port 28080; got ${value === undefined ? "nothing" : JSON.stringify(value)}` };
      }
      port = Number(value);
    } else if (a === "--destroy" || a === "--keep-running") args.push(a);
    else unknown.push(a);
  }
  if (unknown.length) return { problem: `unknown argument(s) ${unknown.join(" ")}` };
  if (args.includes("--destroy") && args.includes("--keep-running")) return { problem: "--destroy and --keep-running do not go together" };
  return { args, port };
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if ("problem" in parsed) {
    process.stderr.write(`${parsed.problem}\n${USAGE}\n`);
    return 2;
  }
  const { args } = parsed;
  const destroying = args.includes("--destroy");
  const external = Boolean(process.env.KEYCLOAK_URL);
  let keepRunning = args.includes("--keep-running");
  if (keepRunning && external) {
    log("--keep-running is for the demo's own Keycloak; the one in KEYCLOAK_URL is not the demo's to keep or stop: ignored");
    keepRunning = false;
  }
  if (destroying && !external && !fs.existsSync(path.join(LOCAL_KEYCLOAK_DIR, "server.json"))) {
    say(`Nothing to destroy: there is no demo Keycloak in ${shown(LOCAL_KEYCLOAK_DIR)} (\`npm run demo\` makes one).`);
    say("For a demo on another Keycloak: KEYCLOAK_URL=<url> npm run demo -- --destroy");
    return 0;
  }

  const engine = await ensurePulumiEngine({ log });
  // The program and the dynamic provider run on this Node.js when it is a supported one (22 or newer);
  // started from an older one, the demo fetches the test bed's Node.js 24 for them, as `npm test` does.
  const nodeBinDir = Number(process.versions.node.split(".")[0]) >= 22 ? path.dirname(process.execPath) : (await ensureNode(DEFAULT_NODE_MAJOR, log)).binDir;
  if (!destroying) {
    if (process.env.KCREG_DEMO_SKIP_BUILD === "1") log("not building (KCREG_DEMO_SKIP_BUILD=1)");
    else await build();
    if (!fs.existsSync(path.join(REPO_ROOT, "dist", "program", "index.js"))) throw new Error("dist/program/index.js is missing: run `npm run build`");
    // The program and the serialized provider load the package by name: link the repository in.
    linkPackageInto(REPO_ROOT);
  }

  let port = parsed.port;
  if (port !== undefined && external) {
    log("--port is for the demo's own Keycloak; the one in KEYCLOAK_URL listens where it does: ignored");
    port = undefined;
  }
  const server = external
    ? await startKeycloak({ log })
    : await startKeycloak({ log, persistent: { dir: LOCAL_KEYCLOAK_DIR, port } }).catch((e: unknown) => {
        if (!(e instanceof PortMismatchError)) throw e;
        // The demo's stack and realm live on that server: removing the server alone would strand them.
        throw new Refused(
          `the demo's Keycloak was made on port ${e.recordedPort} (${shown(e.dir)}) and does not move to port ${e.askedPort}. ` +
            `Leave --port out to use it, or start over on port ${e.askedPort}: ${demoCommand("--destroy")}, then rm -rf ${shown(DEMO_ROOT)}, then ${demoCommand(`--port ${e.askedPort}`)}`,
        );
      });
  // Ours to stop: the local Keycloak this run started (not one another demo keeps running).
  const ours = !server.external && !server.persistent?.alreadyRunning;
  try {
    const kc = await adminClient(server);
    const demo = new DemoDir(server);
    if (fs.existsSync(demo.dir) && !(await kc.realms.findOne({ realm: DEMO_REALM }))) {
      // The server lost the realm (deleted by hand, a new database): the state describes nothing there.
      log(`realm ${DEMO_REALM} is not on ${server.url}: dropping the demo's stale state in ${shown(demo.dir)}`);
      fs.rmSync(demo.dir, { recursive: true, force: true });
    }
    const pulumi = new Pulumi(engine, demo, nodeBinDir);
    if (destroying) {
      await destroy(server, pulumi, kc);
      if (ours) {
        await server.stop();
        say(`The local Keycloak is stopped. It stays in ${shown(LOCAL_KEYCLOAK_DIR)} (master realm only); rm -rf ${shown(DEMO_ROOT)} removes it as well.`);
      }
      return 0;
    }
    await ensureRealm(kc);
    await ensureStack(pulumi);
    await writeConfig(pulumi, server);
    await ensureInitialAccessToken(kc, pulumi);

    say(`\n$ pulumi up --stack ${STACK}   (clients from Pulumi.${STACK}.yaml, Keycloak ${server.url}, realm ${DEMO_REALM})`);
    await pulumi.run(["up", "--yes", "--skip-preview", ...pulumi.stackArgs()], { show: true });
    say(`\n$ pulumi preview --expect-no-changes --stack ${STACK}   (a second run has nothing to do)`);
    await pulumi.run(["preview", "--expect-no-changes", ...pulumi.stackArgs()], { show: true });
    await showClients(kc, pulumi);
    say("");
    say(`Tear down (the clients, the stack and realm ${DEMO_REALM}): ${teardownCommand()}`);
    if (!external) say(`Everything else the demo made is in ${shown(DEMO_ROOT)}/${process.env.KCREG_DEMO_DIR ? "" : " (git-ignored)"}: rm -rf ${shown(DEMO_ROOT)} after the tear-down is a clean slate.`);
    if (keepRunning && ours) {
      await holdUntilInterrupted(server);
      say("Keycloak stopped.");
    } else if (ours) {
      await server.stop();
      say(`Keycloak stopped; its data stays in ${shown(LOCAL_KEYCLOAK_DIR)}: the next \`${demoCommand()}\` starts it again at ${server.url} and finds everything in place.`);
      say(`To look around in the admin console: ${demoCommand("--keep-running")}`);
    } else if (server.persistent?.alreadyRunning) {
      say(`Keycloak keeps running at ${server.url}: another demo (--keep-running) started it and stops it.`);
    }
    return 0;
  } finally {
    if (ours) await server.stop(); // after a failure; stop() is idempotent
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!(e instanceof Refused)) process.stderr.write(`Run it again to finish the set-up, or undo what it made with: ${teardownCommand()}\n`);
    process.exit(1);
  },
);
