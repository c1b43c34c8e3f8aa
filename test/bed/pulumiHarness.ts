import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { productNode } from "./node";
import { ensurePulumiEngine, type PulumiEngine } from "./pulumiEngine";

/**
 * Drives the real Pulumi CLI against a program directory, for tests.
 *
 * Every stack gets its own temporary directory (outside the repository) holding a `file://` backend
 * and a PULUMI_HOME, plus a random passphrase: no account, no network, no shared state between
 * stacks. The stack's config file is `Pulumi.<stack>.yaml` in the program dir. `remove()` deletes all of it.
 * With `backendUrl` (e.g. `postgres://...`) the state goes there instead of the `file://` backend
 * (`remove()` leaves that backend alone).
 *
 * Every command runs under the Node.js the test selects (test/bed/node.ts: first on PATH, so the
 * language host, the program and Pulumi's dynamic-provider launcher all find it). Processes a command
 * leaves behind are stopped when it ends: Pulumi's dynamic provider does not watch the engine, so
 * after the CLI is killed it would live on. They get {@link ORPHAN_GRACE_MS} to finish the requests
 * they had sent (as a provider does when a real CLI crashes), then SIGKILL.
 *
 * The program directory should live inside the repository (e.g. `test/.tmp/<name>/`, see
 * {@link makeProgramDir}) so that `require("@pulumi/pulumi")` resolves to the repository's node_modules.
 * It needs a Pulumi.yaml with `runtime: nodejs`; give it `main: index.js` (or a package.json of its own
 * with `main`), otherwise @pulumi/pulumi's runner finds the repository's package.json and runs its `main`.
 */

export type ConfigValue = string | { value: string; secret: true };

/** How long the processes of a CLI that was killed may go on (a provider finishing its requests) before they are stopped. */
export const ORPHAN_GRACE_MS = 1_500;
/**
 * Marks every process a command starts (the environment is inherited by plugins and programs), to find
 * them afterwards: `<pid of the harness's process>-<random>`.
 */
export const RUN_MARKER = "KCREG_HARNESS_RUN";
const OWNED_RUN = new RegExp(`(?:^|\0)${RUN_MARKER}=(\\d+)-[0-9a-f]+(?:\0|$)`);

/** Whether a process runs: it exists and is no zombie (a killed process whose parent died too may stay one where PID 1 does not reap). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(fs.readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return false;
  }
}

/**
 * SIGKILLs what commands of a harness that is gone left behind: the processes whose run marker names a
 * process that no longer exists. A harness stops its commands' processes itself, also when a command
 * fails or times out; but when the test runner is killed outright (a CI job cancelled, SIGKILL), the
 * engine's plugins, which Pulumi starts in process groups of their own, and Pulumi's dynamic provider,
 * which does not watch the engine, would live on. The global setup (and the bench) sweep them at the
 * start of the next run. Returns the PIDs killed.
 */
export function sweepOrphanedRuns(log: (line: string) => void = () => {}): number[] {
  const killed: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let owner: number;
    try {
      const m = OWNED_RUN.exec(fs.readFileSync(`/proc/${entry}/environ`, "latin1"));
      if (!m) continue;
      owner = Number(m[1]);
    } catch {
      continue; // gone, or not ours to read
    }
    if (alive(owner)) continue;
    try {
      process.kill(Number(entry), "SIGKILL");
      killed.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  if (killed.length) log(`stopped ${killed.length} process(es) left by pulumi commands of a test run that was killed (pids ${killed.join(", ")})`);
  return killed;
}

/** PIDs of the live processes whose environment holds `RUN_MARKER=<id>` (Linux /proc). */
function processesOfRun(id: string): number[] {
  const needle = Buffer.from(`${RUN_MARKER}=${id}\0`);
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** Waits up to `graceMs` for the processes of run `id` to exit by themselves, then SIGKILLs the rest; returns how many were killed. */
async function stopProcessesOfRun(id: string, graceMs: number): Promise<number> {
  const deadline = Date.now() + graceMs;
  let left = processesOfRun(id);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesOfRun(id);
  }
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  return left.length;
}

export interface StackOptions {
  programDir: string;
  /** Default: a random `t-xxxxxxxx` (stacks in one program dir must not collide). */
  stackName?: string;
  config?: Record<string, ConfigValue>;
  /** Extra environment for every command of this stack (after the harness' own, so it can override). */
  env?: Record<string, string>;
  /** Receives every line the commands print, prefixed with the command; default: nothing. */
  log?: (line: string) => void;
  /** Default: ensurePulumiEngine() (once per process). */
  engine?: PulumiEngine;
  /**
   * State backend URL for PULUMI_BACKEND_URL, e.g. `postgres://user@127.0.0.1:5432/db?sslmode=disable`
   * (credentials are better given through `env`, e.g. PGPASSWORD). Default: the `file://` backend in
   * the stack's temporary directory.
   */
  backendUrl?: string;
}

export interface CommandOptions {
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
  /** Abort → the CLI process gets `killSignal` (default SIGKILL). */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
  /**
   * Run the CLI in its own process group and deliver `killSignal` (abort or timeout) to the whole group:
   * plugins and the program die at once. Default false: only the CLI process is signalled, as when the
   * CLI itself crashes (our plugin launchers then exit within ~3 s, once the engine's port is gone).
   */
  killProcessGroup?: boolean;
  /** Default 10 minutes; on expiry the process is killed and the command fails. */
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Appended to the command line. */
  args?: string[];
  /** Values on the command line that are secret: masked in `CommandResult.args` and in errors. */
  secretValues?: string[];
  /** Written to stdin, which is then closed. */
  stdin?: string;
  /** Called with each chunk of output as it arrives (e.g. to kill `up` at a given point). */
  onOutput?: (chunk: string, stream: "stdout" | "stderr") => void;
  /** Called once the CLI process has been spawned. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface CommandResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Processes the command left running that the harness had to kill (see {@link ORPHAN_GRACE_MS}). */
  orphansKilled: number;
  /** Parsed stdout for commands run with --json (undefined if it does not parse). */
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class PulumiCommandError extends Error {
  constructor(readonly result: CommandResult) {
    super(
      `pulumi ${result.args.join(" ")} failed (${result.signal ?? `exit ${result.code}`}) after ${result.durationMs} ms\n` +
        `--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`,
    );
    this.name = "PulumiCommandError";
  }
}

function tail(s: string, max = 6000): string {
  return s.length > max ? `...${s.slice(-max)}` : s;
}

let enginePromise: Promise<PulumiEngine> | undefined;
/** The engine, ensured once per process. */
export function getPulumiEngine(log?: (line: string) => void): Promise<PulumiEngine> {
  enginePromise ??= ensurePulumiEngine({ log });
  enginePromise.catch(() => (enginePromise = undefined));
  return enginePromise;
}

/** The repository root (this file is test/bed/pulumiHarness.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Creates `test/.tmp/<prefix>-<random>/` in the repository with a Pulumi.yaml (`runtime: nodejs`,
 * `main: index.js`), a minimal package.json and the given files (a Pulumi.yaml among them replaces
 * the default). Returns its path.
 */
export function makeProgramDir(opts: { prefix: string; project?: string; files: Record<string, string> }): string {
  const dir = path.join(REPO_ROOT, "test", ".tmp", `${opts.prefix}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(dir, { recursive: true });
  const project = opts.project ?? opts.prefix.replace(/[^A-Za-z0-9_.-]/g, "-");
  const files: Record<string, string> = {
    // Pulumi's defaults: TypeScript support on, as for any `runtime: nodejs` project.
    "Pulumi.yaml": [`name: ${project}`, "runtime: nodejs", "main: index.js", ""].join("\n"),
    "package.json": JSON.stringify({ name: project, private: true, main: "index.js" }, null, 2) + "\n",
    ...opts.files,
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export class PulumiStack {
  /** Environment every command runs with (PATH, backend, passphrase, PULUMI_HOME, ...). */
  readonly env: Record<string, string>;
  /** PULUMI_BACKEND_URL of every command (`file://<rootDir>/backend` unless StackOptions.backendUrl). */
  readonly backendUrl: string;
  private readonly running = new Set<ChildProcess>();
  /** Marker ids of the commands still running (see {@link processesOfRun}). */
  private readonly runs = new Set<string>();
  /** True after a destroy that succeeded, until the next command that can create resources. */
  private empty = true;

  private constructor(
    readonly engine: PulumiEngine,
    readonly programDir: string,
    readonly stackName: string,
    /** Temporary directory holding backend/ and home/. */
    readonly rootDir: string,
    readonly passphrase: string,
    extraEnv: Record<string, string>,
    private readonly log: (line: string) => void,
    backendUrl?: string,
  ) {
    this.backendUrl = backendUrl ?? `file://${this.backendDir}`;
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      // Nothing from an outer Pulumi run (PULUMI_CONFIG, PULUMI_ACCESS_TOKEN, PULUMI_BACKEND_URL...) leaks in.
      if (v !== undefined && !k.startsWith("PULUMI_")) base[k] = v;
    }
    this.env = {
      ...base,
      PATH: [engine.binDir, productNode().binDir, process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_CONFIG_PASSPHRASE: passphrase,
      PULUMI_HOME: path.join(rootDir, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      PULUMI_SELF_MANAGED_STATE_NO_LEGACY_WARNING: "true",
      ...extraEnv,
    };
  }

  get backendDir(): string {
    return path.join(this.rootDir, "backend");
  }

  /**
   * The stack's config file, `Pulumi.<stack>.yaml` in the program dir (where `stack init` puts the
   * passphrase salt; `stack output`/`export` have no --config-file flag). `remove()` deletes it.
   */
  get configFile(): string {
    return path.join(this.programDir, `Pulumi.${this.stackName}.yaml`);
  }

  static async create(opts: StackOptions): Promise<PulumiStack> {
    const programDir = path.resolve(opts.programDir);
    if (!fs.existsSync(path.join(programDir, "Pulumi.yaml")) && !fs.existsSync(path.join(programDir, "Pulumi.yml"))) {
      throw new Error(`PulumiStack: ${programDir} has no Pulumi.yaml`);
    }
    const log = opts.log ?? (() => undefined);
    const engine = opts.engine ?? (await getPulumiEngine(log));
    const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-pulumi-"));
    fs.mkdirSync(path.join(rootDir, "backend"));
    fs.mkdirSync(path.join(rootDir, "home"));
    const stackName = opts.stackName ?? `t-${randomBytes(4).toString("hex")}`;
    const stack = new PulumiStack(
      engine,
      programDir,
      stackName,
      rootDir,
      randomBytes(24).toString("base64url"),
      opts.env ?? {},
      log,
      opts.backendUrl,
    );
    try {
      await stack.run(["stack", "init", stackName]);
      if (opts.config && Object.keys(opts.config).length) await stack.setAllConfig(opts.config);
    } catch (e) {
      stack.remove();
      throw e;
    }
    return stack;
  }

  // ----------------------------------------------------------------------------------------------
  // Commands.

  /**
   * Starts `pulumi --non-interactive --color never <args>` in the program dir; returns the process and
   * a promise of its result. Add `--stack <name>` yourself where the command takes it.
   */
  start(args: string[], opts: CommandOptions = {}): { child: ChildProcess; result: Promise<CommandResult> } {
    const fullArgs = ["--non-interactive", "--color", "never", ...args, ...(opts.args ?? [])];
    const masked = (text: string) => (opts.secretValues ?? []).reduce((t, v) => (v ? t.split(v).join("[secret]") : t), text);
    const shownArgs = fullArgs.map(masked);
    const started = Date.now();
    const run = `${process.pid}-${randomBytes(8).toString("hex")}`;
    this.runs.add(run);
    if (["up", "update", "import"].includes(args[0] ?? "") || (args[0] === "stack" && args[1] === "import")) this.empty = false;
    const wholeDestroy = args[0] === "destroy" && !fullArgs.includes("--target");
    const child = spawn(this.engine.pulumi, fullArgs, {
      cwd: this.programDir,
      env: { ...this.env, ...(opts.env ?? {}), [RUN_MARKER]: run },
      stdio: ["pipe", "pipe", "pipe"],
      detached: opts.killProcessGroup === true,
    });
    this.running.add(child);
    opts.onSpawn?.(child);
    const killSignal = opts.killSignal ?? "SIGKILL";
    const kill = () => {
      try {
        if (opts.killProcessGroup && child.pid) process.kill(-child.pid, killSignal);
        else child.kill(killSignal);
      } catch {
        /* already gone */
      }
    };
    const onAbort = () => kill();
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(kill);
      else opts.signal.addEventListener("abort", onAbort, { once: true });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs ?? 10 * 60_000);

    let stdout = "";
    let stderr = "";
    const prefix = `[pulumi ${args.slice(0, 2).join(" ")}]`;
    const pending: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
    const logChunk = (stream: "stdout" | "stderr", chunk: string, flush = false) => {
      pending[stream] += chunk;
      const lines = pending[stream].split(/\r?\n/);
      pending[stream] = flush ? "" : (lines.pop() ?? "");
      for (const line of lines) if (line || flush) this.log(`${prefix} ${line}`);
    };
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (c: string) => {
      stdout += c;
      logChunk("stdout", c);
      opts.onOutput?.(c, "stdout");
    });
    child.stderr!.on("data", (c: string) => {
      stderr += c;
      logChunk("stderr", c);
      opts.onOutput?.(c, "stderr");
    });
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.stdin ?? "");

    const result = new Promise<CommandResult>((resolve, reject) => {
      child.on("error", (e) => {
        clearTimeout(timer);
        this.running.delete(child);
        reject(new Error(`PulumiStack: could not run ${this.engine.pulumi}: ${e.message}`));
      });
      child.on("close", async (code, signal) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.running.delete(child);
        logChunk("stdout", "", true);
        logChunk("stderr", "", true);
        const durationMs = Date.now() - started;
        // A CLI that exited by itself has stopped its plugins; one that was killed has not.
        const orphansKilled = await stopProcessesOfRun(run, signal ? ORPHAN_GRACE_MS : 0);
        this.runs.delete(run);
        const res: CommandResult = { args: shownArgs, code, signal, stdout, stderr, durationMs, orphansKilled };
        if (wholeDestroy && code === 0) this.empty = true;
        if (fullArgs.includes("--json") || (args[0] === "stack" && args[1] === "export")) {
          try {
            res.json = JSON.parse(stdout);
          } catch {
            /* not JSON (e.g. the command failed early) */
          }
        }
        if (timedOut) {
          res.stderr += `\n[harness] killed after the ${opts.timeoutMs ?? 600000} ms timeout\n`;
          reject(new PulumiCommandError(res));
        } else if (code !== 0 && !opts.allowFailure) reject(new PulumiCommandError(res));
        else resolve(res);
      });
    });
    return { child, result };
  }

  /** Runs `pulumi <args>` (see {@link start}) and waits for it. */
  run(args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
    return this.start(args, opts).result;
  }

  private stackArgs(): string[] {
    return ["--stack", this.stackName];
  }

  /** `pulumi up --yes --skip-preview`; `json: true` adds --json (engine events are then in `json`). */
  up(opts: CommandOptions & { json?: boolean; refresh?: boolean; targets?: string[] } = {}): Promise<CommandResult> {
    return this.run(["up", "--yes", "--skip-preview", ...this.stackArgs(), ...this.common(opts)], opts);
  }

  /** Like {@link up} but returns at once with the process, e.g. to kill it mid-run. */
  startUp(opts: CommandOptions & { json?: boolean; refresh?: boolean; targets?: string[] } = {}) {
    return this.start(["up", "--yes", "--skip-preview", ...this.stackArgs(), ...this.common(opts)], opts);
  }

  /** `pulumi preview --diff --json`: `json` holds {steps, changeSummary, diagnostics, ...}. */
  preview(opts: CommandOptions & { refresh?: boolean; targets?: string[]; expectNoChanges?: boolean } = {}): Promise<CommandResult> {
    const args = ["preview", "--diff", "--json", ...this.stackArgs(), ...this.common(opts)];
    if (opts.expectNoChanges) args.push("--expect-no-changes");
    return this.run(args, opts);
  }

  /** `pulumi refresh --yes --skip-preview`. */
  refresh(opts: CommandOptions & { json?: boolean; clearPendingCreates?: boolean } = {}): Promise<CommandResult> {
    const args = ["refresh", "--yes", "--skip-preview", ...this.stackArgs()];
    if (opts.json) args.push("--json");
    if (opts.clearPendingCreates) args.push("--clear-pending-creates");
    return this.run(args, opts);
  }

  /** `pulumi destroy --yes --skip-preview`. */
  destroy(opts: CommandOptions & { json?: boolean; targets?: string[] } = {}): Promise<CommandResult> {
    return this.run(["destroy", "--yes", "--skip-preview", ...this.stackArgs(), ...this.common(opts)], opts);
  }

  private common(opts: { json?: boolean; refresh?: boolean; targets?: string[] }): string[] {
    const a: string[] = [];
    if (opts.json) a.push("--json");
    if (opts.refresh) a.push("--refresh");
    for (const t of opts.targets ?? []) a.push("--target", t);
    return a;
  }

  /** Stack outputs; secrets show as "[secret]" unless `showSecrets`. */
  async outputs(opts: { showSecrets?: boolean } = {}): Promise<Record<string, unknown>> {
    const args = ["stack", "output", "--json", "--stack", this.stackName];
    if (opts.showSecrets) args.push("--show-secrets");
    const res = await this.run(args);
    return (res.json ?? {}) as Record<string, unknown>;
  }

  /** `pulumi stack export`: the checkpoint (secrets stay encrypted unless `showSecrets`). */
  async exportState(opts: { showSecrets?: boolean } = {}): Promise<{ raw: string; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const args = ["stack", "export", "--stack", this.stackName];
    if (opts.showSecrets) args.push("--show-secrets");
    const res = await this.run(args);
    return { raw: res.stdout, json: JSON.parse(res.stdout) };
  }

  /** `pulumi stack import` of a (possibly edited) export. */
  async importState(state: string | object, opts: CommandOptions = {}): Promise<CommandResult> {
    const file = path.join(this.rootDir, `import-${Date.now()}.json`);
    fs.writeFileSync(file, typeof state === "string" ? state : JSON.stringify(state));
    try {
      return await this.run(["stack", "import", "--stack", this.stackName, "--file", file], opts);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** The resources of the current checkpoint (deployment.resources), [] when there are none. */
  async resources(): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const { json } = await this.exportState();
    return (json?.deployment?.resources ?? []) as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  /** `pulumi config set [--secret] [--path] <key>` with the value on stdin (never on the command line). */
  async setConfig(key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): Promise<void> {
    const args = ["config", "set", ...this.stackArgs(), opts.secret ? "--secret" : "--plaintext"];
    if (opts.path) args.push("--path");
    args.push(key);
    await this.run(args, { stdin: value });
  }

  /**
   * Sets several config values in one `pulumi config set-all`. Its values go on the command line (it
   * reads no stdin), so secret ones are masked in the result and in errors.
   */
  async setAllConfig(config: Record<string, ConfigValue>): Promise<void> {
    const args: string[] = [];
    const secretValues: string[] = [];
    for (const [key, v] of Object.entries(config)) {
      if (typeof v === "string") args.push("--plaintext", `${key}=${v}`);
      else {
        args.push("--secret", `${key}=${v.value}`);
        secretValues.push(v.value);
      }
    }
    if (args.length) await this.run(["config", "set-all", ...this.stackArgs(), ...args], { secretValues });
  }

  async removeConfig(key: string): Promise<void> {
    await this.run(["config", "rm", ...this.stackArgs(), key]);
  }

  /**
   * Removes the file backend's lock of this stack: after a CLI was killed mid-update the next command
   * would otherwise refuse with "the stack is currently locked".
   */
  clearLocks(): void {
    if (!this.backendUrl.startsWith("file://")) {
      throw new Error("PulumiStack.clearLocks() only knows the file:// backend; run `pulumi cancel --yes --stack <name>` for others");
    }
    fs.rmSync(path.join(this.backendDir, ".pulumi", "locks"), { recursive: true, force: true });
  }

  /** True when the stack holds nothing: new, or a whole destroy succeeded and nothing ran since that could create resources. */
  get destroyed(): boolean {
    return this.empty;
  }

  /** The end of a test's stack: `destroy` unless the test's own last destroy succeeded, then {@link remove}. */
  async teardown(): Promise<void> {
    try {
      if (!this.empty) await this.destroy({ allowFailure: true });
    } finally {
      this.remove();
    }
  }

  /** Kills the commands still running (and everything they started) and deletes the backend, PULUMI_HOME and the stack config file. */
  remove(): void {
    for (const child of this.running) {
      try {
        child.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }
    this.running.clear();
    for (const run of this.runs) for (const pid of processesOfRun(run)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    this.runs.clear();
    fs.rmSync(this.rootDir, { recursive: true, force: true });
    fs.rmSync(this.configFile, { force: true });
  }
}
