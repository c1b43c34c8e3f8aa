/**
 * Keycloak for the test bed: a real Keycloak server in dev mode on 127.0.0.1, or an external one.
 *
 * - `KEYCLOAK_URL` set: that server is used as is (admin from `KEYCLOAK_ADMIN_USERNAME` /
 *   `KEYCLOAK_ADMIN_PASSWORD`, default admin/admin); `stop()` does nothing.
 * - Otherwise the Keycloak distribution `org.keycloak:keycloak-quarkus-dist:<version>:tar.gz` is
 *   fetched with Maven into `cacheDir("keycloak", version)` (once, under a lock, unpacked
 *   atomically) and started from a throw-away "instance" directory: a few small copied files plus
 *   symlinks into the cached distribution, and an empty `data/`. Each start therefore begins with
 *   a clean in-memory database (`--db=dev-mem`) and several servers can run side by side.
 *   Quarkus' build output (`lib/quarkus`, ~3 MB) is per instance too, so parallel starts never write
 *   into the shared distribution; after the first successful start it is snapshotted into the
 *   cache, which saves the ~25 s re-augmentation on every later start.
 * - `persistent` (the demo's Keycloak): an instance directory kept between runs, with Keycloak's
 *   file database (`--db=dev-file`, H2 under `<dir>/home/data/h2/`) and a stable port recorded in
 *   the directory, so the next start serves the same data at the same URL; the port is claimed in the
 *   cache (`persistent-ports/`), so that no other directory's new server takes it while this one is
 *   stopped. See {@link PersistentOptions}.
 *
 * The server runs in its own process group and is stopped by `stop()`, by the parent's exit or
 * SIGINT/SIGTERM/SIGHUP, and, if the parent is SIGKILLed, by a tiny detached watchdog process that
 * polls the parent's PID. Keycloak's own output goes to a log file (`logFile`), never to the test
 * output.
 *
 * Environment: KEYCLOAK_VERSION (default {@link DEFAULT_KEYCLOAK_VERSION}), KEYCLOAK_JAVA_HOME
 * (force a JDK), KEYCLOAK_START_TIMEOUT_MS (default 180000).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import axios from "axios";
import { cacheDir } from "./cache";
import { groupListensOn, guardServerGroup, procStartTime } from "./serverGroup";
import { freePort, pidAlive, readFileSafe, sleep, tail, withLock } from "./util";

/** Newest 26.x on Maven Central when the bed was written; see `pickJdk` for the JDK it runs on. */
export const DEFAULT_KEYCLOAK_VERSION = "26.7.3";

/**
 * The older major the `compat` Jest project runs its suites against (KEYCLOAK_COMPAT_VERSION
 * overrides). 25.0.6 is the last 25.x and runs on JDK 17.
 */
export const COMPAT_KEYCLOAK_VERSION = process.env.KEYCLOAK_COMPAT_VERSION ?? "25.0.6";

/**
 * True inside the tests of the `compat` Jest project, whose config sets this global: there every
 * `startKeycloak()` means the older-major server (KEYCLOAK_COMPAT_URL), so the same suites run
 * unchanged against both.
 */
export function inCompatProject(): boolean {
  return (globalThis as { __KCREG_COMPAT__?: unknown }).__KCREG_COMPAT__ === true;
}

export interface KeycloakServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:34567 */
  url: string;
  adminUsername: string;
  adminPassword: string;
  version: string;
  javaHome?: string;
  external: boolean;
  pid?: number;
  /** Keycloak's stdout/stderr (only for servers started here). Kept after stop(). */
  logFile?: string;
  /** Only with `StartOptions.https`: e.g. https://127.0.0.1:34568 (same server as `url`). */
  httpsUrl?: string;
  /**
   * Only with `StartOptions.persistent`: its directory, and whether the server was already running
   * (started by another process, which stops it: `stop()` here then does nothing).
   */
  persistent?: { dir: string; alreadyRunning: boolean };
  stop(): Promise<void>;
}

export interface HttpsOptions {
  /** PEM server certificate (chain); its SAN must cover `host`. */
  certificateFile: string;
  /** PEM private key of that certificate. */
  keyFile: string;
  /** Host name of `httpsUrl` (default 127.0.0.1; the server listens on 127.0.0.1 only). */
  host?: string;
}

export interface StartOptions {
  version?: string;
  log?: (line: string) => void;
  /**
   * Also serve HTTPS on a free port with this certificate. Always starts a server of its own (an
   * external KEYCLOAK_URL cannot be given a certificate). Keycloak's hostname is then set to the
   * HTTPS URL, so tokens obtained over `url` carry the issuer the HTTPS endpoints expect.
   */
  https?: HttpsOptions;
  /**
   * The older-major server instead of the newest: KEYCLOAK_COMPAT_URL when set, else a server of
   * COMPAT_KEYCLOAK_VERSION. Default: {@link inCompatProject}.
   */
  compat?: boolean;
  /**
   * A server whose data outlives `stop()`: see {@link PersistentOptions}. Always a server of its own
   * (KEYCLOAK_URL is not consulted, as with `https`), or the one of `dir` if another process has it
   * running already.
   */
  persistent?: PersistentOptions;
}

/**
 * A Keycloak kept in a directory of its own between runs:
 *
 * - `<dir>/home/`: Keycloak's home, rebuilt from the cached distribution on every start (copies and
 *   symlinks, as for a throw-away instance) except `data/`, which holds the file database
 *   (`--db=dev-file`: H2 in `data/h2/keycloakdb.mv.db`) and is never touched;
 * - `<dir>/server.json`: version and port, and while it runs its PID (this is how a second start
 *   finds it running and uses it instead of starting another);
 * - `<dir>/keycloak.log`: Keycloak's output of the latest start.
 *
 * `--db` is a build-time option, so its Quarkus build has a snapshot of its own in the cache. The
 * admin is admin/admin: Keycloak creates it on the first start (empty database) and ignores the
 * bootstrap settings afterwards; a start that cannot log in with it fails with a clear message.
 * The version is the one the directory was created with; asking for another one throws, since the
 * database belongs to that version. Starts on the same directory are serialized by a lock.
 */
export interface PersistentOptions {
  dir: string;
  /**
   * HTTP port of a new server. Default: the port recorded by the previous start, else the first free
   * one from {@link PERSISTENT_DEFAULT_PORT} that no other persistent server has claimed (see
   * `claimNewPort`). A recorded or given port that is taken, or claimed by another directory's server,
   * is an error, not a reason to move, and so is a given port other than the recorded one: clients
   * registered there know the server by its URL.
   */
  port?: number;
}

/** The first port tried for a new persistent server (then the next 99). */
export const PERSISTENT_DEFAULT_PORT = 18080;

const defaultLog = (line: string): void => {
  process.stderr.write(`[keycloak] ${line}\n`);
};

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

export async function startKeycloak(opts: StartOptions = {}): Promise<KeycloakServer> {
  const log = opts.log ?? defaultLog;
  const compat = opts.compat ?? inCompatProject();
  const externalUrl = compat ? process.env.KEYCLOAK_COMPAT_URL : process.env.KEYCLOAK_URL;
  if (externalUrl && !opts.https && !opts.persistent) return useExternal(externalUrl.replace(/\/+$/, ""), log, compat ? "KEYCLOAK_COMPAT_URL" : "KEYCLOAK_URL");

  const version = opts.version ?? (compat ? COMPAT_KEYCLOAK_VERSION : (process.env.KEYCLOAK_VERSION ?? DEFAULT_KEYCLOAK_VERSION));
  if (opts.persistent) return startPersistent(version, opts.persistent, log, opts.https);
  const dist = await ensureKeycloakDist(version, log);
  const jdk = pickJdk(version, log);
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await launch(version, dist, jdk, log, opts.https);
    } catch (e) {
      lastError = e;
      // A free port picked here can be taken by someone else before Keycloak binds it: retry.
      if (!(e instanceof PortClashError)) throw e;
      log(`port clash, retrying (${attempt}/3)`);
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// External server
// ---------------------------------------------------------------------------------------------

async function useExternal(url: string, log: (l: string) => void, variable: string): Promise<KeycloakServer> {
  const adminUsername = process.env.KEYCLOAK_ADMIN_USERNAME ?? "admin";
  const adminPassword = process.env.KEYCLOAK_ADMIN_PASSWORD ?? "admin";
  const deadline = Date.now() + 30_000;
  let status: number | string = "no answer";
  while (Date.now() < deadline) {
    status = await probe(`${url}/realms/master`);
    if (status === 200) break;
    await sleep(1000);
  }
  if (status !== 200) throw new Error(`${variable}=${url}: GET /realms/master answered ${status}, expected 200`);

  // Check the admin credentials now rather than in the first test, and learn the version.
  const token = await axios.post(
    `${url}/realms/master/protocol/openid-connect/token`,
    new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username: adminUsername, password: adminPassword }),
    { validateStatus: () => true, timeout: 10_000 },
  );
  if (token.status !== 200) {
    throw new Error(`${variable}=${url}: admin login as '${adminUsername}' failed with ${token.status} ${describeError(token.data)}`);
  }
  const info = await axios.get(`${url}/admin/serverinfo`, {
    headers: { Authorization: `Bearer ${(token.data as { access_token: string }).access_token}` },
    validateStatus: () => true,
    timeout: 10_000,
  });
  const version = (info.data as { systemInfo?: { version?: string } } | undefined)?.systemInfo?.version ?? "unknown";
  log(`using external Keycloak ${version} at ${url}`);
  return { url, adminUsername, adminPassword, version, external: true, stop: async () => {} };
}

// ---------------------------------------------------------------------------------------------
// Persistent server
// ---------------------------------------------------------------------------------------------

export interface PersistentRecord {
  version: string;
  port: number;
  /** While running: the process group leader (kc.sh) and its start time, to tell it from a reused PID. */
  pid?: number;
  pidStart?: string;
}

function recordFile(dir: string): string {
  return path.join(dir, "server.json");
}

function readRecord(dir: string): PersistentRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(recordFile(dir), "utf8")) as Partial<PersistentRecord>;
    if (typeof r.version === "string" && typeof r.port === "number") return r as PersistentRecord;
  } catch {
    /* absent or unreadable: a new server */
  }
  return undefined;
}

export function writeRecord(dir: string, record: PersistentRecord): void {
  writeJsonAtomically(recordFile(dir), record);
}

/** Readers see the old file or the new one, never a part. */
function writeJsonAtomically(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

async function startPersistent(version: string, p: PersistentOptions, log: (l: string) => void, https?: HttpsOptions): Promise<KeycloakServer> {
  const dir = path.resolve(p.dir);
  fs.mkdirSync(dir, { recursive: true });
  return withLock(path.join(dir, ".lock"), log, async () => {
    const record = readRecord(dir);
    if (record && record.version !== version) {
      throw new Error(
        `${dir} holds the database of Keycloak ${record.version}, but Keycloak ${version} was asked for; ` +
          `start it with KEYCLOAK_VERSION=${record.version}, or delete ${dir} for a new server`,
      );
    }
    if (record && p.port !== undefined && p.port !== record.port) throw new PortMismatchError(dir, record.port, p.port);
    const already = record ? await attachRunning(dir, record, log) : undefined;
    if (already) return already;

    const dist = await ensureKeycloakDist(version, log);
    const jdk = pickJdk(version, log);
    // No record: no start has succeeded yet. What an interrupted first start left in the database
    // (a half-made schema, Liquibase's lock) is worth nothing, and would only stall the next start.
    if (!record) fs.rmSync(path.join(dir, "home", "data"), { recursive: true, force: true });
    const fixed = p.port ?? record?.port;
    const otherHolder = fixed !== undefined ? await claimRecordedPort(dir, fixed, log) : undefined;
    if (otherHolder !== undefined) {
      throw new Error(
        `port ${fixed} of the Keycloak in ${dir} is claimed by the persistent Keycloak in ${otherHolder}; ` +
          `stop and delete one of them, or give this one another port`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      const port = fixed ?? (await claimNewPort(dir, log));
      if (fixed !== undefined && !(await portFree(fixed))) {
        throw new Error(
          `port ${fixed} of the Keycloak in ${dir} is in use by another program; free it (the server's clients know it by ` +
            `http://127.0.0.1:${fixed}), or delete ${dir} for a new server`,
        );
      }
      try {
        return await launch(version, dist, jdk, log, https, { dir, port });
      } catch (e) {
        if (!(e instanceof PortClashError) || fixed !== undefined || attempt >= 3) throw e;
        log(`port clash, retrying (${attempt}/3)`);
      }
    }
  });
}

/** The server of `dir` if another process has it running (waiting while it starts), else undefined. */
async function attachRunning(dir: string, record: PersistentRecord, log: (l: string) => void): Promise<KeycloakServer | undefined> {
  const pid = record.pid;
  if (!pid) return undefined;
  const alive = (): boolean => pidAlive(pid) && procStartTime(pid) === record.pidStart;
  const url = `http://127.0.0.1:${record.port}`;
  const timeoutMs = Number(process.env.KEYCLOAK_START_TIMEOUT_MS) || 180_000;
  const deadline = Date.now() + timeoutMs;
  while (alive()) {
    if ((await probe(`${url}/realms/master`)) === 200) {
      const status = await adminLoginStatus(url, "admin", "admin");
      if (status !== 200) throw new Error(`the Keycloak of ${dir} at ${url} (pid ${pid}) refuses admin/admin (${status}); delete ${dir} (with it stopped) for a new server`);
      log(`Keycloak ${record.version} of ${dir} is already running at ${url} (pid ${pid}, started by another process): using it`);
      return {
        url,
        adminUsername: "admin",
        adminPassword: "admin",
        version: record.version,
        external: false,
        pid,
        logFile: path.join(dir, "keycloak.log"),
        persistent: { dir, alreadyRunning: true },
        stop: async () => {},
      };
    }
    if (Date.now() > deadline) throw new Error(`the Keycloak of ${dir} (pid ${pid}) runs but did not answer at ${url} within ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
  return undefined;
}

async function adminLoginStatus(url: string, username: string, password: string): Promise<number | string> {
  try {
    const res = await axios.post(
      `${url}/realms/master/protocol/openid-connect/token`,
      new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username, password }),
      { validateStatus: () => true, timeout: 10_000 },
    );
    return res.status;
  } catch (e) {
    return (e as { code?: string }).code ?? "error";
  }
}

// ---------------------------------------------------------------------------------------------
// Distribution cache
// ---------------------------------------------------------------------------------------------

/** Returns the unpacked distribution for `version`, fetching it through Maven if absent. */
export async function ensureKeycloakDist(version: string, log: (l: string) => void = defaultLog): Promise<string> {
  if (!/^[0-9A-Za-z][0-9A-Za-z.\-_]*$/.test(version)) throw new Error(`bad Keycloak version '${version}'`);
  const root = cacheDir("keycloak", version);
  const dist = path.join(root, "dist");
  if (isDist(dist)) return dist;
  fs.mkdirSync(root, { recursive: true });
  return withLock(path.join(root, ".lock"), log, async () => {
    if (isDist(dist)) return dist; // someone else fetched it while we waited
    for (const e of fs.readdirSync(root)) {
      if (e.startsWith(".tmp-")) fs.rmSync(path.join(root, e), { recursive: true, force: true });
    }
    const tmp = fs.mkdtempSync(path.join(root, ".tmp-"));
    try {
      const artifact = `org.keycloak:keycloak-quarkus-dist:${version}:tar.gz`;
      log(`fetching ${artifact} with Maven`);
      const t0 = Date.now();
      const mvn = spawnSync(
        "mvn",
        ["-B", "-q", "dependency:copy", `-Dartifact=${artifact}`, `-DoutputDirectory=${tmp}`],
        { encoding: "utf8", timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      );
      if (mvn.error) throw new Error(`cannot run mvn (is Maven installed?): ${mvn.error.message}`);
      if (mvn.status !== 0) {
        throw new Error(`mvn dependency:copy ${artifact} failed (${mvn.status}):\n${tail(`${mvn.stdout}\n${mvn.stderr}`, 30)}`);
      }
      const tarball = fs.readdirSync(tmp).find((f) => f.endsWith(".tar.gz"));
      if (!tarball) throw new Error(`mvn dependency:copy left no .tar.gz in ${tmp}`);
      log(`fetched in ${((Date.now() - t0) / 1000).toFixed(1)} s, unpacking`);
      const unpack = path.join(tmp, "unpack");
      fs.mkdirSync(unpack);
      const tar = spawnSync("tar", ["-xzf", path.join(tmp, tarball), "-C", unpack], { encoding: "utf8" });
      if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
      const top = fs.readdirSync(unpack);
      if (top.length !== 1 || !isDist(path.join(unpack, top[0]!))) {
        throw new Error(`unexpected archive layout: ${top.join(", ")}`);
      }
      fs.renameSync(path.join(unpack, top[0]!), dist); // atomic: readers see all or nothing
      log(`Keycloak ${version} cached in ${dist}`);
      return dist;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

function isDist(dir: string): boolean {
  return fs.existsSync(path.join(dir, "bin", "kc.sh")) && fs.existsSync(path.join(dir, "lib", "quarkus-run.jar"));
}

// ---------------------------------------------------------------------------------------------
// JDK
// ---------------------------------------------------------------------------------------------

interface Jdk {
  home: string;
  major: number;
}

/**
 * Picks the JDK for a Keycloak version (KEYCLOAK_JAVA_HOME overrides).
 *
 * Keycloak's "Supported Configurations" guide (26.x) lists OpenJDK 17, 21 and 25 and recommends the
 * newest, 25. Keycloak 26.7.3 prints no deprecation warning on 17 and was verified here to start on
 * both the system JDK 17 and Temurin 25 (same start time), so for 26.7+ we prefer 25, then 21, then
 * 17. Older releases (22.x - 26.6) are not known to be supported on 25; for them 21, then 17,
 * which every Keycloak from 22 on supports.
 */
export function pickJdk(version: string, log: (l: string) => void = defaultLog): Jdk {
  const forced = process.env.KEYCLOAK_JAVA_HOME;
  if (forced) {
    const jdk = describeJdk(forced);
    if (!jdk) throw new Error(`KEYCLOAK_JAVA_HOME=${forced} has no bin/java`);
    return jdk;
  }
  const [maj = 0, min = 0] = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const preference = maj > 26 || (maj === 26 && min >= 7) ? [25, 21, 17] : [21, 17];
  const found = findJdks();
  for (const want of preference) {
    const jdk = found.find((j) => j.major === want);
    if (jdk) return jdk;
  }
  const fallback = found.filter((j) => j.major >= 17).sort((a, b) => b.major - a.major)[0];
  if (!fallback) {
    throw new Error(`no JDK >= 17 found for Keycloak ${version} (looked in $JAVA_HOME, /usr/lib/jvm, PATH); set KEYCLOAK_JAVA_HOME`);
  }
  log(`no preferred JDK (${preference.join("/")}) for Keycloak ${version}; using JDK ${fallback.major} at ${fallback.home}`);
  return fallback;
}

function findJdks(): Jdk[] {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  for (const base of ["/usr/lib/jvm", "/usr/java", "/opt/java"]) {
    try {
      for (const e of fs.readdirSync(base)) candidates.push(path.join(base, e));
    } catch {
      /* absent */
    }
  }
  const onPath = spawnSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).stdout.trim();
  if (onPath) {
    try {
      candidates.push(path.dirname(path.dirname(fs.realpathSync(onPath))));
    } catch {
      /* dangling */
    }
  }
  const seen = new Set<string>();
  const out: Jdk[] = [];
  for (const c of candidates) {
    const jdk = describeJdk(c);
    if (!jdk || seen.has(jdk.home)) continue;
    seen.add(jdk.home);
    out.push(jdk);
  }
  return out;
}

function describeJdk(home: string): Jdk | undefined {
  try {
    const real = fs.realpathSync(home);
    if (!fs.existsSync(path.join(real, "bin", "java"))) return undefined;
    let major = 0;
    try {
      const m = /^JAVA_VERSION="(\d+)(?:\.(\d+))?/m.exec(fs.readFileSync(path.join(real, "release"), "utf8"));
      if (m) major = m[1] === "1" ? Number(m[2]) : Number(m[1]);
    } catch {
      const v = spawnSync(path.join(real, "bin", "java"), ["-version"], { encoding: "utf8" });
      const m = /version "(\d+)(?:\.(\d+))?/.exec(v.stderr ?? "");
      if (m) major = m[1] === "1" ? Number(m[2]) : Number(m[1]);
    }
    return { home: real, major };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Launch
// ---------------------------------------------------------------------------------------------

class PortClashError extends Error {}

/** A persistent server asked for another port than the one it was made on: it does not move. */
export class PortMismatchError extends Error {
  constructor(
    readonly dir: string,
    readonly recordedPort: number,
    readonly askedPort: number,
  ) {
    super(
      `the Keycloak in ${dir} was made on port ${recordedPort} (its clients and stacks know it at http://127.0.0.1:${recordedPort}) ` +
        `and does not move to port ${askedPort}: leave the port out, or delete ${dir} (with the server stopped) for a new server on port ${askedPort}`,
    );
  }
}

/**
 * Build-time options: they decide Quarkus' augmentation and thereby the snapshot key.
 * client-secret-rotation is a preview feature in 26.7 (on by default from 26.8); the client-policies
 * e2e suite exercises its `secret-rotation` executor.
 */
const BUILD_ARGS = ["--db=dev-mem", "--features=client-secret-rotation"];
/** The same for a persistent server: the file database. A snapshot of its own (the key hashes these). */
const PERSISTENT_BUILD_ARGS = ["--db=dev-file"];

async function launch(
  version: string,
  dist: string,
  jdk: Jdk,
  log: (l: string) => void,
  https?: HttpsOptions,
  persistent?: { dir: string; port: number },
): Promise<KeycloakServer> {
  const t0 = Date.now();
  let instance: string;
  let logFile: string;
  if (persistent) {
    instance = path.join(persistent.dir, "home");
    logFile = path.join(persistent.dir, "keycloak.log");
  } else {
    const runsDir = path.join(os.tmpdir(), "kcreg-keycloak");
    fs.mkdirSync(runsDir, { recursive: true });
    pruneOldRuns(runsDir);
    const stamp = `${version}-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}-${randomBytes(2).toString("hex")}`;
    instance = path.join(runsDir, stamp);
    logFile = path.join(runsDir, `${stamp}.log`);
  }

  const major = Number.parseInt(version, 10) || 0;
  const buildArgs = persistent ? PERSISTENT_BUILD_ARGS : BUILD_ARGS;
  // The property name stays BUILD_ARGS so that the dev-mem key (and its cached snapshot) is unchanged.
  const snapshotKey = createHash("sha256").update(JSON.stringify({ BUILD_ARGS: buildArgs, java: jdk.major })).digest("hex").slice(0, 16);
  const snapshot = path.join(cacheDir("keycloak", version), "augmented", snapshotKey);
  const hadSnapshot = fs.existsSync(snapshot);
  if (persistent) refreshInstance(dist, instance, hadSnapshot ? snapshot : undefined);
  else makeInstance(dist, instance, hadSnapshot ? snapshot : undefined);

  const port = persistent?.port ?? (await freePort());
  const args = ["start-dev", `--http-port=${port}`, "--http-host=127.0.0.1", ...buildArgs];
  // H2 drops an in-memory database when its last connection closes, and the pool retires idle
  // connections: a dev-mem server left idle for a few minutes (a long e2e stretch between two compat
  // suites) answered every request with 500 "Table ... not found (this database is empty)". Keep the
  // database for the process' lifetime, and one connection open. Runtime options: the snapshot is unchanged.
  //
  // H2 also gives up on a row lock after 2 s: concurrent registrations with one initial access token
  // wait for the lock on its row while another registration's transaction holds it, and a slow one
  // (a service-account client, which creates a user) held it longer, so some answered 500 "Database
  // operation failed" (MVStoreException "... is locked by tx 3 and can not be updated by tx 4 within
  // allocated time interval 2000 ms"). A production database waits; so does the bed's H2 now.
  const lockTimeout = "LOCK_TIMEOUT=60000";
  args.push(persistent ? `--db-url-properties=;${lockTimeout}` : `--db-url-properties=;DB_CLOSE_DELAY=-1;${lockTimeout}`);
  if (!persistent) args.push("--db-pool-min-size=1");
  // Keycloak >= 25 has a management interface (default port 9000; in 26 it only listens when
  // health or metrics are on, but move it anyway so parallel servers can never clash). 24 and
  // older reject the option.
  if (major >= 25) args.push(`--http-management-port=${await freePort()}`);
  let httpsUrl: string | undefined;
  if (https) {
    const httpsPort = await freePort();
    httpsUrl = `https://${https.host ?? "127.0.0.1"}:${httpsPort}`;
    // --http-host also binds the HTTPS listener. The hostname makes every issuer the HTTPS URL.
    args.push(
      `--https-port=${httpsPort}`,
      `--https-certificate-file=${path.resolve(https.certificateFile)}`,
      `--https-certificate-key-file=${path.resolve(https.keyFile)}`,
      `--hostname=${httpsUrl}`,
    );
  }

  const adminUsername = "admin";
  const adminPassword = "admin";
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("KC_") && !k.startsWith("KEYCLOAK_") && k !== "JAVA_HOME" && k !== "JAVA") env[k] = v;
  }
  env.JAVA_HOME = jdk.home;
  if (major >= 26 || major === 0) {
    env.KC_BOOTSTRAP_ADMIN_USERNAME = adminUsername;
    env.KC_BOOTSTRAP_ADMIN_PASSWORD = adminPassword;
  } else {
    env.KEYCLOAK_ADMIN = adminUsername; // before 26
    env.KEYCLOAK_ADMIN_PASSWORD = adminPassword;
  }

  log(`starting Keycloak ${version} on JDK ${jdk.major} at http://127.0.0.1:${port} (log: ${logFile})`);
  const out = fs.openSync(logFile, persistent ? "w" : "a");
  let child: ChildProcess;
  try {
    // detached => setsid(): Keycloak gets its own process group (pgid = pid), which we kill as a whole.
    child = spawn(path.join(instance, "bin", "kc.sh"), args, { cwd: instance, env, detached: true, stdio: ["ignore", out, out] });
  } finally {
    fs.closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) {
    if (!persistent) fs.rmSync(instance, { recursive: true, force: true });
    throw new Error(`could not spawn ${path.join(instance, "bin", "kc.sh")}`);
  }
  child.unref();
  let exitCode: number | string | undefined;
  child.on("exit", (code, signal) => {
    exitCode = code ?? signal ?? "unknown";
  });
  child.on("error", () => {
    exitCode = exitCode ?? "spawn error";
  });
  // A persistent server's directory holds its data: the watchdog must not remove it.
  const guard = guardServerGroup(pid, persistent ? undefined : instance, "SIGTERM", "Keycloak");

  let ready = false;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await guard.stop(20_000);
      if (persistent) {
        if (ready) writeRecord(persistent.dir, { version, port });
        log(`Keycloak (pid ${pid}) stopped; its data stays in ${persistent.dir}`);
      } else {
        fs.rmSync(instance, { recursive: true, force: true });
        log(`Keycloak (pid ${pid}) stopped`);
      }
    })());

  const url = `http://127.0.0.1:${port}`;
  // A persistent server's first start also creates the database schema (on a busy 2-core machine,
  // with the augmentation, more than 180 s): it gets longer.
  const timeoutMs = Number(process.env.KEYCLOAK_START_TIMEOUT_MS) || (persistent ? 600_000 : 180_000);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      const logTail = tail(readFileSafe(logFile), 40);
      if (/already bound|Address already in use/i.test(logTail)) throw new PortClashError(`port ${port} taken`);
      throw new Error(`Keycloak exited (${exitCode}) before answering; last lines of ${logFile}:\n${logTail}`);
    }
    if ((await probe(`${url}/realms/master`)) === 200) {
      if (groupListensOn(pid, port)) break;
      // Another server took the port first (a concurrent start picked the same free port) and answered for ours.
      await stop();
      throw new PortClashError(`port ${port} is served by another process`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Keycloak did not answer within ${timeoutMs / 1000} s; last lines of ${logFile}:\n${tail(readFileSafe(logFile), 40)}`);
    }
    await sleep(500);
  }
  log(`Keycloak ${version} ready at ${url}${httpsUrl ? ` and ${httpsUrl}` : ""} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!hadSnapshot) saveSnapshot(path.join(instance, "lib", "quarkus"), snapshot);
  if (persistent) {
    // The bootstrap admin only exists if Keycloak created it on the first start; check it is still admin/admin.
    const status = await adminLoginStatus(url, adminUsername, adminPassword);
    if (status !== 200) {
      await stop();
      throw new Error(`the Keycloak in ${persistent.dir} refuses ${adminUsername}/${adminPassword} (${status}); delete ${persistent.dir} for a new server`);
    }
    ready = true;
    writeRecord(persistent.dir, { version, port, pid, pidStart: procStartTime(pid) });
  }

  return {
    url,
    adminUsername,
    adminPassword,
    version,
    javaHome: jdk.home,
    external: false,
    pid,
    logFile,
    ...(httpsUrl ? { httpsUrl } : {}),
    ...(persistent ? { persistent: { dir: persistent.dir, alreadyRunning: false } } : {}),
    stop,
  };
}

/**
 * The instance directory: bin/*.sh, conf/, lib/quarkus-run.jar and lib/quarkus/ are copies (kc.sh
 * finds its home from its own real path, and Quarkus writes lib/quarkus next to the *real* path of
 * quarkus-run.jar); everything big is a symlink into the cached distribution; data/ is new.
 */
function makeInstance(dist: string, instance: string, snapshot: string | undefined): void {
  fs.mkdirSync(instance);
  populateInstance(dist, instance, snapshot);
  fs.mkdirSync(path.join(instance, "data"));
  fs.chmodSync(path.join(instance, "bin", "kc.sh"), 0o755);
}

/**
 * A persistent instance: everything but `data/` (the database) is made anew, as in
 * {@link makeInstance}, so it follows the cached distribution and snapshot. Without a snapshot
 * (none saved yet) the instance's own Quarkus build is kept: an earlier start that timed out may
 * well have finished the augmentation. (fs.rmSync removes symlinks, never what they point to.)
 */
function refreshInstance(dist: string, instance: string, snapshot: string | undefined): void {
  fs.mkdirSync(instance, { recursive: true });
  const ownBuild = path.join(instance, "lib", "quarkus");
  const kept = !snapshot && fs.existsSync(ownBuild) ? `${instance}.quarkus-${process.pid}` : undefined;
  fs.rmSync(`${instance}.quarkus-${process.pid}`, { recursive: true, force: true });
  if (kept) fs.renameSync(ownBuild, kept);
  for (const e of fs.readdirSync(instance)) if (e !== "data") fs.rmSync(path.join(instance, e), { recursive: true, force: true });
  populateInstance(dist, instance, kept ?? snapshot);
  if (kept) fs.rmSync(kept, { recursive: true, force: true });
  fs.mkdirSync(path.join(instance, "data"), { recursive: true });
  fs.chmodSync(path.join(instance, "bin", "kc.sh"), 0o755);
}

function populateInstance(dist: string, instance: string, snapshot: string | undefined): void {
  for (const entry of fs.readdirSync(dist, { withFileTypes: true })) {
    const src = path.join(dist, entry.name);
    const dst = path.join(instance, entry.name);
    if (entry.name === "data") continue;
    if (entry.name === "conf") {
      fs.cpSync(src, dst, { recursive: true });
    } else if (entry.name === "bin" || entry.name === "lib") {
      fs.mkdirSync(dst);
      for (const sub of fs.readdirSync(src, { withFileTypes: true })) {
        const s = path.join(src, sub.name);
        const d = path.join(dst, sub.name);
        if (entry.name === "lib" && sub.name === "quarkus") fs.cpSync(snapshot ?? s, d, { recursive: true });
        else if (sub.isFile()) fs.copyFileSync(s, d, fs.constants.COPYFILE_FICLONE);
        else fs.symlinkSync(s, d);
      }
    } else {
      fs.symlinkSync(src, dst);
    }
  }
}

function saveSnapshot(from: string, to: string): void {
  try {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    const tmp = fs.mkdtempSync(`${to}.tmp-`);
    fs.cpSync(from, tmp, { recursive: true });
    try {
      fs.renameSync(tmp, to);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another process saved it first
    }
  } catch {
    /* only an optimisation */
  }
}

function pruneOldRuns(runsDir: string): void {
  const cutoff = Date.now() - 3 * 24 * 3600_000;
  for (const e of fs.readdirSync(runsDir)) {
    const p = path.join(runsDir, e);
    try {
      if (fs.statSync(p).mtimeMs < cutoff) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* raced with another pruner */
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------


/** True when nothing listens on 127.0.0.1:`port` (we could bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A port for a new persistent server (one without a record yet): the first from
 * {@link PERSISTENT_DEFAULT_PORT} that is free now and that no other persistent server has claimed.
 * A persistent server keeps its port while stopped (its clients know it by its URL), so a port free
 * now may still belong to another directory's server: each start claims its port in
 * `cacheDir("persistent-ports")/<port>.json`, naming its directory. A claim stands while that
 * directory's record names the port, or, before its first start has written a record, for
 * {@link CLAIM_PENDING_MS}; a claim whose directory was deleted or moved to another port is taken over.
 */
export async function claimNewPort(dir: string, log: (l: string) => void, from = PERSISTENT_DEFAULT_PORT): Promise<number> {
  return withClaims(log, async (claims) => {
    for (let port = from; port < from + 100; port++) {
      const claimFile = path.join(claims, `${port}.json`);
      const holder = claimHolder(claimFile, port);
      if (holder !== undefined && holder !== dir) continue;
      if (!(await portFree(port))) continue;
      writeJsonAtomically(claimFile, { dir });
      return port;
    }
    throw new Error(
      `no free port in ${from}-${from + 99} on 127.0.0.1 that another persistent Keycloak ` +
        `has not claimed (claims in ${claims}); delete the directories of servers you no longer need`,
    );
  });
}

/** Runs `fn` on the claims directory, under its lock (one process reads and writes claims at a time). */
async function withClaims<T>(log: (l: string) => void, fn: (claims: string) => Promise<T>): Promise<T> {
  const claims = cacheDir("persistent-ports");
  fs.mkdirSync(claims, { recursive: true });
  return withLock(path.join(claims, ".lock"), log, () => fn(claims));
}

/**
 * Claims the recorded (or given) port of a server (one made before claims existed, or whose claim was
 * cleaned away with the cache). Returns the directory of another server that holds the claim, in
 * which case the caller refuses to start and names it; undefined when the port is this directory's.
 */
export async function claimRecordedPort(dir: string, port: number, log: (l: string) => void): Promise<string | undefined> {
  return withClaims(log, async (claims) => {
    const claimFile = path.join(claims, `${port}.json`);
    const holder = claimHolder(claimFile, port);
    if (holder !== undefined && holder !== dir) return holder;
    if (holder === undefined) writeJsonAtomically(claimFile, { dir });
    return undefined;
  });
}

/** How long a claim whose directory has no record yet stands (a first start, schema creation included). */
const CLAIM_PENDING_MS = 15 * 60_000;

/** The directory that holds a claim on `port`, or undefined when nobody does (no claim, or a stale one). */
function claimHolder(claimFile: string, port: number): string | undefined {
  let claim: { dir?: unknown };
  let mtimeMs: number;
  try {
    claim = JSON.parse(fs.readFileSync(claimFile, "utf8")) as { dir?: unknown };
    mtimeMs = fs.statSync(claimFile).mtimeMs;
  } catch {
    return undefined;
  }
  if (typeof claim.dir !== "string" || !fs.existsSync(claim.dir)) return undefined;
  const record = readRecord(claim.dir);
  if (record) return record.port === port ? claim.dir : undefined;
  return Date.now() - mtimeMs < CLAIM_PENDING_MS ? claim.dir : undefined;
}

async function probe(url: string): Promise<number | string> {
  try {
    const res = await axios.get(url, { timeout: 3000, validateStatus: () => true, maxRedirects: 0 });
    return res.status;
  } catch (e) {
    return (e as { code?: string }).code ?? "error";
  }
}

function describeError(data: unknown): string {
  if (data && typeof data === "object") {
    const d = data as { error?: unknown; error_description?: unknown };
    return [d.error, d.error_description].filter((x) => typeof x === "string").join(": ");
  }
  return "";
}



