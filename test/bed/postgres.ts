/**
 * PostgreSQL for the test bed: an ephemeral cluster per call of {@link startPostgres}, to hold Pulumi
 * state through Pulumi's `postgres://` DIY backend.
 *
 * - The server binaries come from Debian's packages (`/usr/lib/postgresql/<major>/bin`, the newest
 *   major installed; POSTGRES_BIN_DIR overrides). {@link ensurePostgresInstalled} installs them when
 *   they are missing (`apt-get install -y postgresql`, non-interactive, as root) and fails with a
 *   clear message when it cannot: a test that needs PostgreSQL is never skipped.
 * - Each cluster lives in a fresh temporary directory (data dir, unix socket, log), owned by the
 *   `postgres` OS user when we are root (PostgreSQL refuses to run as root; initdb and the server
 *   run with that user's uid/gid), listens on 127.0.0.1 on a free port, and is never the system's
 *   service. The superuser is reachable only through the unix socket in that 0700 directory; over
 *   TCP only password (SCRAM) logins work. A role with a random password owns one database.
 * - `stop()` shuts the server down (fast shutdown, SIGKILL after a grace period) and deletes the
 *   directory. The parent's exit or SIGINT/SIGTERM/SIGHUP stops it too, and a tiny detached watchdog
 *   does so if the parent is SIGKILLed.
 *
 * The password is only in `url`, `password` and `env` (getters, so printing the object does not show
 * it), never on a command line or in the bed's log.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { guardServerGroup } from "./serverGroup";
import { freePort, readFileSafe, sleep, tail } from "./util";

export interface PostgresInstallation {
  /** Directory holding initdb, postgres, pg_ctl, psql. */
  binDir: string;
  /** `postgres --version`, e.g. "15.18". */
  version: string;
  /** True when this call ran apt-get. */
  installed: boolean;
}

export interface StartPostgresOptions {
  log?: (line: string) => void;
  /** Role that owns the database (default `kcreg`). */
  user?: string;
  /** Database (default `pulumi`). */
  database?: string;
}

const defaultLog = (line: string): void => {
  process.stderr.write(`[postgres] ${line}\n`);
};

// ---------------------------------------------------------------------------------------------
// Installation
// ---------------------------------------------------------------------------------------------

const TOOLS = ["initdb", "postgres", "psql", "pg_isready"] as const;

function hasTools(dir: string): boolean {
  return TOOLS.every((t) => fs.existsSync(path.join(dir, t)));
}

/** The newest `/usr/lib/postgresql/<major>/bin` with all the tools, or POSTGRES_BIN_DIR. */
function findBinDir(): string | undefined {
  const forced = process.env.POSTGRES_BIN_DIR;
  if (forced) {
    if (!hasTools(forced)) throw new Error(`POSTGRES_BIN_DIR=${forced} does not hold ${TOOLS.join(", ")}`);
    return forced;
  }
  const root = "/usr/lib/postgresql";
  let majors: string[] = [];
  try {
    majors = fs.readdirSync(root).filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  majors.sort((a, b) => Number(b) - Number(a));
  for (const m of majors) {
    const dir = path.join(root, m, "bin");
    if (hasTools(dir)) return dir;
  }
  return undefined;
}

function serverVersion(binDir: string): string {
  const r = spawnSync(path.join(binDir, "postgres"), ["--version"], { encoding: "utf8" });
  return /(\d+(?:\.\d+)*)/.exec(r.stdout ?? "")?.[1] ?? "unknown";
}

let installing: Promise<PostgresInstallation> | undefined;

/**
 * The PostgreSQL server binaries, installed from Debian's packages when missing. Needs root (or
 * binaries already present); throws with the reason and what to do otherwise.
 */
export function ensurePostgresInstalled(opts: { log?: (line: string) => void } = {}): Promise<PostgresInstallation> {
  installing ??= install(opts.log ?? defaultLog);
  installing.catch(() => (installing = undefined));
  return installing;
}

async function install(log: (line: string) => void): Promise<PostgresInstallation> {
  const found = findBinDir();
  if (found) return { binDir: found, version: serverVersion(found), installed: false };

  const how = "install Debian's `postgresql` package (apt-get install -y postgresql) or set POSTGRES_BIN_DIR";
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    throw new Error(`PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin and we are not root: ${how}`);
  }
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error(`PostgreSQL server binaries not found and apt-get is not available on this machine: ${how}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Wait for a concurrent apt/dpkg instead of failing on its lock.
  const aptArgs = ["-o", "DPkg::Lock::Timeout=300", "-y", "-q", "install", "postgresql"];
  const run = async (args: string[]) => {
    log(`apt-get ${args.join(" ")}`);
    return runCapture("apt-get", args, { env });
  };
  let res = await run(aptArgs);
  if (res.code !== 0) {
    // A fresh machine may have empty package lists.
    const upd = await run(["-o", "DPkg::Lock::Timeout=300", "-q", "update"]);
    if (upd.code === 0) res = await run(aptArgs);
  }
  const binDir = findBinDir();
  if (res.code !== 0 || !binDir) {
    throw new Error(
      `could not install PostgreSQL with apt-get (exit ${res.code}); ${how}. Last lines:\n${tail(res.stdout + res.stderr, 25)}`,
    );
  }
  const version = serverVersion(binDir);
  log(`installed PostgreSQL ${version} (${binDir})`);
  return { binDir, version, installed: true };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

export class PostgresServer {
  readonly host = "127.0.0.1";
  readonly #password: string;

  constructor(
    readonly port: number,
    readonly user: string,
    readonly database: string,
    password: string,
    readonly version: string,
    readonly binDir: string,
    /** The temporary directory: data/, the unix socket, postgres.log. Deleted by stop(). */
    readonly dir: string,
    readonly pid: number,
    private readonly stopFn: () => Promise<void>,
  ) {
    this.#password = password;
  }

  /** The role's password. Keep it out of logs and command lines. */
  get password(): string {
    return this.#password;
  }

  /** `postgres://user:password@127.0.0.1:port/database?sslmode=disable`, as `pulumi login` takes it. */
  get url(): string {
    return `postgres://${this.user}:${encodeURIComponent(this.#password)}@${this.host}:${this.port}/${this.database}?sslmode=disable`;
  }

  /** The same URL without the password; give the password as PGPASSWORD ({@link env}). */
  get urlWithoutPassword(): string {
    return `postgres://${this.user}@${this.host}:${this.port}/${this.database}?sslmode=disable`;
  }

  /** PGPASSWORD for clients (psql, and Pulumi's lib/pq driver) given {@link urlWithoutPassword}. */
  get env(): Record<string, string> {
    return { PGPASSWORD: this.#password };
  }

  /** `psql` with the password from the environment, e.g. for a shell. */
  get psqlCommand(): string {
    return `${path.join(this.binDir, "psql")} -h ${this.host} -p ${this.port} -U ${this.user} -d ${this.database}`;
  }

  /**
   * Runs SQL (given on stdin) as the role over TCP, with psql's unaligned, tuples-only output
   * (`-A -t`; fields separated by `fieldSeparator`, default a tab). Returns stdout; throws on error.
   */
  async query(sql: string, opts: { fieldSeparator?: string } = {}): Promise<string> {
    const args = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", opts.fieldSeparator ?? "\t", "-h", this.host, "-p", String(this.port), "-U", this.user, "-d", this.database];
    const res = await runCapture(path.join(this.binDir, "psql"), args, { env: { ...cleanEnv(), ...this.env }, stdin: sql });
    if (res.code !== 0) throw new Error(`psql failed (exit ${res.code}): ${res.stderr.trim()}`);
    return res.stdout;
  }

  stop(): Promise<void> {
    return this.stopFn();
  }

  toJSON(): Record<string, unknown> {
    return { host: this.host, port: this.port, user: this.user, database: this.database, version: this.version, url: this.urlWithoutPassword };
  }
}

/**
 * Starts an ephemeral PostgreSQL cluster on 127.0.0.1 with a role (random password) owning a
 * database. Installs the server first if needed.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const log = opts.log ?? defaultLog;
  const inst = await ensurePostgresInstalled({ log });
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await launch(inst, opts, log);
    } catch (e) {
      lastError = e;
      // The free port we picked can be taken before the server binds it.
      if (!(e instanceof PortClashError)) throw e;
      log(`port clash, retrying (${attempt}/3)`);
    }
  }
  throw lastError;
}

class PortClashError extends Error {}

/** uid/gid to run the server as: `postgres` when we are root, else ourselves. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("PostgreSQL refuses to run as root and there is no `postgres` OS user (Debian's postgresql package creates it)");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function launch(inst: PostgresInstallation, opts: StartPostgresOptions, log: (line: string) => void): Promise<PostgresServer> {
  const t0 = Date.now();
  const user = opts.user ?? "kcreg";
  const database = opts.database ?? "pulumi";
  if (!/^[a-z_][a-z0-9_]*$/.test(user) || !/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error("user and database must be plain lower-case identifiers");
  const ident = serverIdentity();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-pg-"));
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  fs.chmodSync(dir, 0o700);
  if (ident) fs.chownSync(dir, ident.uid, ident.gid);
  const asServer = { cwd: dir, ...(ident ?? {}), env: { ...cleanEnv(), HOME: dir, LC_ALL: "C" } };
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });

  const init = await runCapture(path.join(inst.binDir, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"], asServer);
  if (init.code !== 0) {
    removeDir();
    throw new Error(`initdb failed (exit ${init.code}):\n${tail(init.stdout + init.stderr, 20)}`);
  }
  // The superuser only through the socket in our 0700 directory; over TCP only password logins.
  fs.writeFileSync(
    path.join(dataDir, "pg_hba.conf"),
    ["# written by test/bed/postgres.ts", "local all postgres trust", "host all all 127.0.0.1/32 scram-sha-256", ""].join("\n"),
  );

  const port = await freePort();
  const args = [
    "-D", dataDir,
    "-c", "listen_addresses=127.0.0.1",
    "-c", `port=${port}`,
    "-c", `unix_socket_directories=${dir}`,
    "-c", "password_encryption=scram-sha-256",
    // An ephemeral cluster: durability buys nothing here.
    "-c", "fsync=off",
    "-c", "synchronous_commit=off",
    "-c", "full_page_writes=off",
    "-c", "max_connections=60",
  ];
  const out = fs.openSync(logFile, "a");
  if (ident) fs.fchownSync(out, ident.uid, ident.gid);
  let child: ChildProcess;
  try {
    // detached => setsid(): the server and its backends form one process group (pgid = pid).
    child = spawn(path.join(inst.binDir, "postgres"), args, { ...asServer, detached: true, stdio: ["ignore", out, out] });
  } finally {
    fs.closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) {
    removeDir();
    throw new Error(`could not spawn ${path.join(inst.binDir, "postgres")}`);
  }
  child.unref();
  let exited: string | undefined;
  child.on("exit", (code, signal) => (exited = String(code ?? signal)));
  child.on("error", (e) => (exited ??= `spawn error: ${e.message}`));
  // SIGINT is PostgreSQL's fast shutdown.
  const guard = guardServerGroup(pid, dir, "SIGINT", "PostgreSQL");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await guard.stop(15_000);
      removeDir();
      log(`PostgreSQL (pid ${pid}) stopped, ${dir} removed`);
    })());

  const fail = async (what: string): Promise<never> => {
    const logTail = tail(readFileSafe(logFile), 30);
    await stop();
    if (/could not bind|Address already in use/i.test(logTail)) throw new PortClashError(`port ${port} taken`);
    throw new Error(`PostgreSQL ${what}; last lines of its log:\n${logTail}`);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) return fail(`exited (${exited}) before accepting connections`);
    const ready = await runCapture(path.join(inst.binDir, "pg_isready"), ["-q", "-h", dir, "-p", String(port), "-U", "postgres"], { env: cleanEnv() });
    if (ready.code === 0) break;
    if (Date.now() > deadline) return fail("did not accept connections within 60 s");
    await sleep(200);
  }

  const password = randomBytes(24).toString("base64url");
  // On stdin, so the password is on no command line.
  const setup = await runCapture(
    path.join(inst.binDir, "psql"),
    ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres"],
    { env: cleanEnv(), stdin: `CREATE ROLE ${user} LOGIN PASSWORD '${password}';\nCREATE DATABASE ${database} OWNER ${user};\n` },
  );
  if (setup.code !== 0) return fail(`setup of role and database failed: ${setup.stderr.replaceAll(password, "***").trim()}`);

  log(`PostgreSQL ${inst.version} ready on 127.0.0.1:${port} (database ${database}, role ${user}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return new PostgresServer(port, user, database, password, inst.version, inst.binDir, dir, pid, stop);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The environment without libpq's PG* variables, so nothing outside leaks into our connections. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PG")) env[k] = v;
  return env;
}

function runCapture(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string; cwd?: string; uid?: number; gid?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, uid: opts.uid, gid: opts.gid, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.stdin ?? "");
    child.on("error", (e) => resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}




