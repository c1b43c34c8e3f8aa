import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { cacheDir } from "./cache";

/**
 * The Pulumi engine for tests: the `pulumi` CLI plus the two plugins a Node.js program with dynamic
 * providers needs, all in one bin dir:
 *
 * - `pulumi`: found (PULUMI_ENGINE_BIN_DIR, or `pulumi` on PATH at a compatible version), else built from
 *   the Go module github.com/pulumi/pulumi/pkg/v3 at {@link PULUMI_CLI_VERSION} through a wrapper module
 *   generated in the cache dir (minutes, once per machine).
 * - `pulumi-language-nodejs`: our own language host (scripts/engine/language-host.js), since the Go
 *   module of Pulumi's host is not available from the module proxy here. It behaves as Pulumi's does
 *   where users can tell (TypeScript on by default, the same runner, config and flags).
 * - `pulumi-resource-pulumi-nodejs`: Pulumi's own launcher of the dynamic provider, the script at the
 *   root of the @pulumi/pulumi package (the one Pulumi's CLI distribution ships): it starts
 *   `node <@pulumi/pulumi/cmd/dynamic-provider>` as resolved from the program's directory.
 *
 * Both are copied into the bin dir on every call (cheap), so the cache stays correct for any checkout
 * and picks up edits. Like Pulumi's, the dynamic provider does not watch the engine: a provider whose
 * CLI was killed lives on, and the harness (pulumiHarness.ts) stops such orphans.
 */

/**
 * The CLI version we build: the newest whose source the Go module proxy serves here (pkg/v3 and sdk/v3
 * v3.276.0, the same as npm's newest @pulumi/pulumi). pkg and sdk are built in lockstep at this version.
 * (v3.260.0 was once answered 403, which had pinned the bed at v3.259.0.)
 */
export const PULUMI_CLI_VERSION = "v3.276.0";
/** Oldest `pulumi` found on PATH that we accept instead of building. */
export const MIN_COMPATIBLE_VERSION = "3.276.0";
/** Minimum Go toolchain: the `go` directive of pkg/v3@v3.276.0's go.mod. */
const MIN_GO = "1.26.6";
/** Non-local replace directives of pkg/v3's go.mod (its `../sdk` replace is local and not needed). */
const GO_REPLACES = ["github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"];

export interface PulumiEngine {
  /** Directory holding `pulumi`, `pulumi-language-nodejs`, `pulumi-resource-pulumi-nodejs`; prepend to PATH. */
  binDir: string;
  /** Absolute path of the CLI to run. */
  pulumi: string;
  /** `pulumi version` without the leading v, e.g. "3.276.0". */
  version: string;
  /** True when this call built the CLI. */
  built: boolean;
}

export interface EnsureOptions {
  log?: (line: string) => void;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");

const LAUNCHERS: ReadonlyArray<{ name: string; source: () => string }> = [
  { name: "pulumi-language-nodejs", source: () => path.join(REPO_ROOT, "scripts", "engine", "language-host.js") },
  // The SDK the repository installs (devDependencies); the script resolves the program's own SDK at run time.
  { name: "pulumi-resource-pulumi-nodejs", source: () => path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] })), "pulumi-resource-pulumi-nodejs") },
];

/** Environment for running `pulumi` without network or account: used for version checks here. */
function quietEnv(binDir: string, pulumiHome: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PULUMI_")) env[k] = v;
  env.PATH = [binDir, path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter);
  env.PULUMI_HOME = pulumiHome;
  env.PULUMI_SKIP_UPDATE_CHECK = "true";
  return env;
}

function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function versionAtLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (v[i]! !== min[i]!) return v[i]! > min[i]!;
  }
  return true;
}

/** Runs `<pulumi> version`; returns "3.x.y" or undefined when it does not run. */
function pulumiVersion(pulumi: string, binDir: string): string | undefined {
  const home = cacheDir("pulumi", "home");
  fs.mkdirSync(home, { recursive: true });
  const r = spawnSync(pulumi, ["version"], { env: quietEnv(binDir, home), encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) return undefined;
  const v = parseVersion(r.stdout);
  return v ? v.join(".") : undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function which(name: string, exclude: string[] = []): string | undefined {
  const excluded = new Set(exclude.map((d) => path.resolve(d)));
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir || excluded.has(path.resolve(dir))) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** Writes a file atomically (write to a temp name, rename), executable. */
function writeExecutable(dest: string, content: string | Buffer): void {
  const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(tmp, content, { mode: 0o755 });
  fs.renameSync(tmp, dest);
}

function installLaunchers(binDir: string, skip: ReadonlySet<string> = new Set()): void {
  fs.mkdirSync(binDir, { recursive: true });
  for (const { name, source } of LAUNCHERS) {
    if (skip.has(name)) continue;
    const file = source();
    if (!fs.existsSync(file)) throw new Error(`Pulumi engine: launcher source ${file} is missing from the checkout`);
    const content = fs.readFileSync(file);
    const dest = path.join(binDir, name);
    // Leave an identical file alone: concurrent callers and running engines keep a stable inode.
    if (fs.existsSync(dest) && fs.readFileSync(dest).equals(content) && isExecutable(dest)) continue;
    writeExecutable(dest, content);
  }
}

function symlinkForce(target: string, link: string): void {
  try {
    if (fs.readlinkSync(link) === target) return;
  } catch {
    /* missing or not a link */
  }
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

// ------------------------------------------------------------------------------------------------
// File lock: `<dir>/.lock` created with O_EXCL, holding our pid; a lock whose pid is dead is stale.

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function withLock<T>(lockFile: string, log: (l: string) => void, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  let announced = false;
  const started = Date.now();
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, "wx");
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: { pid?: number } = {};
      try {
        holder = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { pid?: number };
      } catch {
        // Being written right now, or garbage: garbage older than a minute is stale.
        try {
          if (Date.now() - fs.statSync(lockFile).mtimeMs > 60_000) fs.rmSync(lockFile, { force: true });
        } catch {
          /* gone */
        }
      }
      if (typeof holder.pid === "number" && !pidAlive(holder.pid)) {
        log(`Pulumi engine: removing stale lock ${lockFile} (pid ${holder.pid} is gone)`);
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (!announced) {
        log(`Pulumi engine: waiting for another process (pid ${holder.pid ?? "?"}) holding ${lockFile}`);
        announced = true;
      }
      if (Date.now() - started > 90 * 60_000) throw new Error(`Pulumi engine: timed out waiting for lock ${lockFile}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

// ------------------------------------------------------------------------------------------------
// Build.

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: (l: string) => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const onData = (buf: Buffer) => {
      for (const line of buf.toString("utf8").split(/\r?\n/)) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 60) tail.shift();
        opts.log(`  ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(new Error(`Pulumi engine: could not run ${cmd}: ${e.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `Pulumi engine: \`${cmd} ${args.join(" ")}\` failed (${signal ?? `exit ${code}`}) in ${opts.cwd}:\n${tail.join("\n")}`,
          ),
        );
    });
  });
}

function checkGo(log: (l: string) => void): string {
  const go = which("go");
  const hint =
    `Install Go >= ${MIN_GO} (https://go.dev/dl/) so the test bed can build the Pulumi CLI ${PULUMI_CLI_VERSION}, ` +
    `or put a pulumi >= ${MIN_COMPATIBLE_VERSION} on PATH, or set PULUMI_ENGINE_BIN_DIR to a directory holding pulumi, ` +
    `pulumi-language-nodejs and pulumi-resource-pulumi-nodejs.`;
  if (!go) throw new Error(`Pulumi engine: Go is not installed (no \`go\` on PATH). ${hint}`);
  const r = spawnSync(go, ["env", "GOVERSION"], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
  const m = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(r.stdout ?? "");
  if (r.status !== 0 || !m) {
    throw new Error(`Pulumi engine: \`${go} env GOVERSION\` failed (${(r.stderr ?? "").trim()}). ${hint}`);
  }
  const goVer: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (!versionAtLeast(goVer, parseVersion(MIN_GO)!)) {
    throw new Error(`Pulumi engine: ${go} is Go ${goVer.join(".")}, too old to build the Pulumi CLI. ${hint}`);
  }
  log(`Pulumi engine: using ${go} (go${goVer.join(".")})`);
  return go;
}

async function buildCli(versionDir: string, log: (l: string) => void): Promise<void> {
  const go = checkGo(log);
  const buildDir = path.join(versionDir, "build");
  const binDir = path.join(versionDir, "bin");
  const gobin = path.join(versionDir, `gobin-${process.pid}`);
  fs.mkdirSync(buildDir, { recursive: true });
  fs.rmSync(gobin, { recursive: true, force: true });

  fs.writeFileSync(
    path.join(buildDir, "go.mod"),
    [
      "// Generated by test/bed/pulumiEngine.ts: builds the Pulumi CLI for the test bed.",
      "module kcreg.local/pulumi-engine",
      "",
      "go 1.26",
      "",
      "require (",
      `\tgithub.com/pulumi/pulumi/pkg/v3 ${PULUMI_CLI_VERSION}`,
      `\tgithub.com/pulumi/pulumi/sdk/v3 ${PULUMI_CLI_VERSION}`,
      ")",
      "",
      ...GO_REPLACES.map((r) => `replace ${r}`),
      "",
    ].join("\n"),
  );
  fs.writeFileSync(
    path.join(buildDir, "tools.go"),
    ["//go:build tools", "", "package tools", "", 'import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"', ""].join("\n"),
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOTOOLCHAIN: "local",
    GOFLAGS: [process.env.GOFLAGS ?? "", "-buildvcs=false"].join(" ").trim(),
    GOBIN: gobin,
  };
  const started = Date.now();
  log(`Pulumi engine: building the Pulumi CLI ${PULUMI_CLI_VERSION} in ${buildDir} (takes minutes the first time)`);
  await run(go, ["mod", "tidy"], { cwd: buildDir, env, log });
  await run(
    go,
    [
      "install",
      "-ldflags",
      `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_CLI_VERSION}`,
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    ],
    { cwd: buildDir, env, log },
  );
  const produced = path.join(gobin, "pulumi");
  if (!isExecutable(produced)) throw new Error(`Pulumi engine: go install finished but ${produced} is missing`);
  fs.mkdirSync(binDir, { recursive: true });
  fs.renameSync(produced, path.join(binDir, "pulumi"));
  fs.rmSync(gobin, { recursive: true, force: true });
  const seconds = Math.round((Date.now() - started) / 1000);
  fs.writeFileSync(
    path.join(versionDir, "build-info.json"),
    JSON.stringify({ version: PULUMI_CLI_VERSION, go, seconds, builtAt: new Date().toISOString() }, null, 2) + "\n",
  );
  log(`Pulumi engine: built ${path.join(binDir, "pulumi")} in ${seconds} s`);
}

// ------------------------------------------------------------------------------------------------

function fromExplicitBinDir(dir: string): PulumiEngine {
  const binDir = path.resolve(dir);
  const pulumi = path.join(binDir, "pulumi");
  const missing = ["pulumi", ...LAUNCHERS.map((l) => l.name)].filter((n) => !isExecutable(path.join(binDir, n)));
  if (missing.length) {
    throw new Error(`Pulumi engine: PULUMI_ENGINE_BIN_DIR=${dir} lacks executable ${missing.join(", ")}`);
  }
  const version = pulumiVersion(pulumi, binDir);
  if (!version) throw new Error(`Pulumi engine: \`${pulumi} version\` failed (PULUMI_ENGINE_BIN_DIR=${dir})`);
  return { binDir, pulumi, version, built: false };
}

function fromPath(ownBinDirs: string[], log: (l: string) => void): PulumiEngine | undefined {
  const found = which("pulumi", ownBinDirs);
  if (!found) return undefined;
  const real = fs.realpathSync(found);
  const version = pulumiVersion(real, path.dirname(real));
  const parsed = version ? parseVersion(version) : undefined;
  if (!parsed || parsed[0] !== 3 || !versionAtLeast(parsed, parseVersion(MIN_COMPATIBLE_VERSION)!)) {
    log(`Pulumi engine: ignoring ${found} (version ${version ?? "unknown"}; need 3.x >= ${MIN_COMPATIBLE_VERSION})`);
    return undefined;
  }
  // A bin dir of our own: a link to that CLI, its own language host if it has one, the bed's otherwise.
  const binDir = cacheDir("pulumi", "ambient", "bin");
  fs.mkdirSync(binDir, { recursive: true });
  symlinkForce(real, path.join(binDir, "pulumi"));
  const skip = new Set<string>();
  const ownHost = which("pulumi-language-nodejs", ownBinDirs);
  if (ownHost && path.dirname(ownHost) === path.dirname(found)) {
    symlinkForce(fs.realpathSync(ownHost), path.join(binDir, "pulumi-language-nodejs"));
    skip.add("pulumi-language-nodejs");
  }
  installLaunchers(binDir, skip);
  log(`Pulumi engine: using ${found} (v${version})${skip.size ? " with its own language host" : ""}`);
  return { binDir, pulumi: path.join(binDir, "pulumi"), version: version!, built: false };
}

/**
 * Finds or builds the Pulumi engine. Idempotent and safe to call from several processes at once (a
 * file lock in the cache dir makes the others wait for one build). Throws, naming what is missing,
 * when there is no usable CLI and none can be built.
 */
export async function ensurePulumiEngine(opts: EnsureOptions = {}): Promise<PulumiEngine> {
  const log = opts.log ?? (() => undefined);

  const explicit = process.env.PULUMI_ENGINE_BIN_DIR;
  if (explicit) return fromExplicitBinDir(explicit);

  const versionDir = cacheDir("pulumi", PULUMI_CLI_VERSION);
  const binDir = path.join(versionDir, "bin");
  const pulumi = path.join(binDir, "pulumi");

  const ambient = fromPath([binDir, cacheDir("pulumi", "ambient", "bin")], log);
  if (ambient) return ambient;

  const ready = (): PulumiEngine | undefined => {
    if (!isExecutable(pulumi)) return undefined;
    const version = pulumiVersion(pulumi, binDir);
    if (!version) {
      log(`Pulumi engine: ${pulumi} exists but does not run; rebuilding`);
      return undefined;
    }
    return { binDir, pulumi, version, built: false };
  };

  let engine = ready();
  if (!engine) {
    engine = await withLock(path.join(versionDir, ".lock"), log, async () => {
      const again = ready(); // someone else may have built it while we waited
      if (again) return again;
      fs.rmSync(pulumi, { force: true });
      await buildCli(versionDir, log);
      const version = pulumiVersion(pulumi, binDir);
      if (!version) throw new Error(`Pulumi engine: the freshly built ${pulumi} does not run \`pulumi version\``);
      return { binDir, pulumi, version, built: true };
    });
  }
  installLaunchers(binDir);
  return engine;
}

/** Reads the wall time of the last build, if this cache built the CLI. */
export function lastBuildInfo(): { version: string; seconds: number; builtAt: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(cacheDir("pulumi", PULUMI_CLI_VERSION), "build-info.json"), "utf8")) as {
      version: string;
      seconds: number;
      builtAt: string;
    };
  } catch {
    return undefined;
  }
}
