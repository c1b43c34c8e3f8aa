/**
 * Benchmark (issue 7): N clients through `pulumi up`, against the raw floor (the same registrations as
 * plain HTTP requests at Pulumi's default parallelism) and Keycloak's own `kcreg.sh`, for several N in
 * one run.
 *
 *   npm run bench                                   # --clients 10,100,500 --kcreg 10,100
 *   npm run bench -- --clients 5,20 --kcreg 3       # a quick run
 *
 * Flags: --clients <list> (default 10,100,500); --kcreg <list> (default 10,100; 0 skips kcreg.sh);
 * --parallel <n> (passed to every pulumi command; default: Pulumi's own default, which the raw floor
 * then matches); --auth iat|service-account (how the provider registers; default iat, an initial
 * access token); --package-from <dir> (a built checkout whose package.json and dist/provider are
 * benchmarked, e.g. to compare two versions; default this repository); --out <file> (default
 * BENCHMARKS.md); --chart <file> (default bench/time-vs-n.svg); --skip-checkpoints (runs every pulumi
 * command with PULUMI_SKIP_CHECKPOINTS=true: the file backend then writes the checkpoint once, at the
 * end, instead of after every step; to measure what the checkpoint rewrites cost).
 *
 * For each N: `pulumi up` creating N clients; no-op `preview` and `up`; `up` with one client changed;
 * `up` changing all N; `refresh`; the state (`pulumi stack export` and the backend's file, broken down
 * per client); `destroy`. Every pulumi command is timed, the HTTP requests and TCP connections reaching
 * Keycloak are counted at a loopback proxy (bench/proxy.ts), and the peak RSS of the engine, language
 * host, program and dynamic-provider processes is sampled from /proc (bench/procPeak.ts). The raw floor
 * (bench/rawClient.ts) runs in a process of its own through the same proxy. Then `kcreg.sh create` for
 * each kcreg N (plus update and delete for the smallest).
 *
 * Uses the test bed: KEYCLOAK_URL (admin KEYCLOAK_ADMIN_USERNAME / KEYCLOAK_ADMIN_PASSWORD) or a
 * Keycloak it starts, a realm of its own, and the Pulumi engine. The program loads
 * `pulumi-keycloak-registration` from a real copy in `bench/.tmp/node_modules/` (package.json and
 * dist/provider, copied at the start; @pulumi/pulumi is copied beside it), as an installed package
 * would be, not through a symlink; bench/.tmp is removed at the end.
 * Writes `.bench/<timestamp>.json`, BENCHMARKS.md and bench/time-vs-n.svg.
 *
 * Issue 13: at each N the same steps also run through the provider plugin (npm run plugin:pack, found
 * through the project's `plugins.providers`), and Pulumi's own floor (`up` and `destroy` of N dynamic
 * resources that do no I/O) is measured; `--front-doors dynamic` leaves both out. Then, for the time
 * target of issue 13, `--rounds R` rounds (default 5; 0 skips them) at N = 100 of the four contenders
 * (dynamic provider, plugin, Pulumi floor, raw floor) and, beside them, Pulumi's floor given a client's
 * shape (bench/programs.ts; not part of the verdict), each round in a rotated order, with the request
 * window seen at the proxy and the CPU seconds of every process (Keycloak's JVM included); the verdict
 * is the median of the rounds' ratios (see frontDoorRounds).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureKeycloakDist, pickJdk, startKeycloak } from "../test/bed/keycloak";
import { getPulumiEngine, PulumiStack, REPO_ROOT, sweepOrphanedRuns, type CommandOptions, type CommandResult, type ConfigValue } from "../test/bed/pulumiHarness";
import { DEFAULT_NODE_MAJOR, ensureNode, nodeEnvVar } from "../test/bed/node";
import { createTestRealm, type TestRealm } from "../test/bed/realm";
import { renderChart } from "./chart";
import { cpuSecondsOf, peaksByRole, sampleTree, type PeaksByRole, type TreeSampler } from "./procPeak";
import { byKind, requestWindow, startCountingProxy, type CountingProxy } from "./proxy";
import { render, type Results, type RoundFigures, type Row, type StateFigures } from "./report";
import { stateFigures } from "./stateSize";
import { FLOOR_PROGRAM, SHAPED_FLOOR_PROGRAM, SHAPED_FLOOR_PROVIDER } from "./programs";
import { packPlugin } from "../scripts/plugin-pack";

const PACKAGE = "pulumi-keycloak-registration";
const TMP = path.join(REPO_ROOT, "bench", ".tmp");

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { KeycloakClient } = require("${PACKAGE}");
const config = new pulumi.Config("bench");
const count = Number(config.require("count"));
const description = config.require("description");
// "Change one of N clients": only client 0 reads bench:firstDescription.
const first = config.get("firstDescription") ?? description;
for (let i = 0; i < count; i++) {
  new KeycloakClient("c" + i, { clientId: "bench-" + i, description: i === 0 ? first : description, redirectUris: ["https://app" + i + ".example.com/*"], publicClient: i % 2 === 0 });
}
`;

/** The same clients through the provider plugin: a program that knows the resource only by its type token. */
const PLUGIN_PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config("bench");
const count = Number(config.require("count"));
const description = config.require("description");
const first = config.get("firstDescription") ?? description;
for (let i = 0; i < count; i++) {
  new pulumi.CustomResource("keycloak-registration:index:KeycloakClient", "c" + i, { clientId: "bench-" + i, description: i === 0 ? first : description, redirectUris: ["https://app" + i + ".example.com/*"], publicClient: i % 2 === 0 });
}
`;

type FrontDoor = "dynamic" | "plugin";

/** The N of issue 13's time target, where the front-door rounds run. */
const ROUNDS_N = 100;

function listArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const list = (process.argv[i + 1] ?? "").split(",").map(Number).filter((n) => Number.isInteger(n) && n >= 0);
  if (!list.length) throw new Error(`--${name} takes a comma-separated list of numbers, e.g. --${name} 10,100`);
  return [...new Set(list.filter((n) => n > 0))].sort((a, b) => a - b);
}

function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const rows: Row[] = [];

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * A real copy of the package (package.json + dist/provider) in bench/.tmp/node_modules, so that the
 * program and the serialized provider load it from a path inside node_modules, as a user's would;
 * beside it a copy of @pulumi/pulumi, as in a user's project: Pulumi's closure serializer looks the
 * package's package.json up by resolving the package's name from @pulumi/pulumi's own directory
 * (getPackageDefinition in runtime/closure/package.js), which fails from the repository's
 * node_modules, and then stores a deep `require(".../dist/...")` that the package's "exports" forbid.
 * Every other dependency (axios, zod, typescript, grpc) resolves upward, from the repository's node_modules.
 */
function installPackageCopy(from: string): string {
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const pulumiCopy = path.join(TMP, "node_modules", "@pulumi", "pulumi");
  fs.rmSync(pulumiCopy, { recursive: true, force: true });
  fs.cpSync(pulumiDir, pulumiCopy, { recursive: true, dereference: true });
  const dist = path.join(from, "dist", "provider");
  if (!fs.existsSync(path.join(dist, "index.js"))) throw new Error(`${dist} is missing: run \`npm run build\` first (npm run bench does)`);
  const dir = path.join(TMP, "node_modules", PACKAGE);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "dist"), { recursive: true });
  fs.copyFileSync(path.join(from, "package.json"), path.join(dir, "package.json"));
  fs.cpSync(dist, path.join(dir, "dist", "provider"), { recursive: true });
  return dir;
}

function makeProgramDir(n: number, program = PROGRAM, pluginDir?: string, files: Record<string, string> = {}): string {
  const dir = path.join(TMP, `program-${n}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(dir, { recursive: true });
  // The plugin is found through the project's `plugins.providers` (the unpacked tarball of npm run plugin:pack).
  const plugins = pluginDir ? `plugins:\n  providers:\n    - name: keycloak-registration\n      path: ${JSON.stringify(pluginDir)}\n` : "";
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: bench\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n${plugins}`);
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "bench", private: true, main: "index.js" }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, "index.js"), program);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  // Resolved by a node started in the program directory, as the program's own require will (the bench
  // itself, inside the package's repository, would resolve the package to itself); and from
  // @pulumi/pulumi's directory, as Pulumi's closure serializer does.
  const script = [
    'const fs = require("fs"), path = require("path");',
    'const pulumi = fs.realpathSync(require.resolve("@pulumi/pulumi/package.json"));',
    `const pkg = fs.realpathSync(require.resolve(${JSON.stringify(PACKAGE)}));`,
    `const fromPulumi = fs.realpathSync(require.resolve(${JSON.stringify(PACKAGE)}, { paths: [path.dirname(pulumi)] }));`,
    "process.stdout.write(JSON.stringify({ pulumi, pkg, fromPulumi }));",
  ].join(" ");
  const check = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" });
  if (check.status !== 0) throw new Error(`cannot resolve ${PACKAGE} or @pulumi/pulumi from ${dir}: ${check.stderr.slice(0, 300)}`);
  const where = JSON.parse(check.stdout) as Record<string, string>;
  const inside = (p: string | undefined, name: string) => p?.startsWith(path.join(TMP, "node_modules", name) + path.sep);
  if (!inside(where.pkg, PACKAGE) || !inside(where.fromPulumi, PACKAGE) || !inside(where.pulumi, path.join("@pulumi", "pulumi"))) {
    throw new Error(`the program would not load the copies in bench/.tmp/node_modules: ${check.stdout}`);
  }
  return dir;
}

/** Pulumi's default --parallel, as the engine handed it to the language host (its debug log shows `--parallel N`). */
function parallelFromLanghostLog(file: string): number | undefined {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const m = /--parallel (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Where a command's wall time went, from the test bed's language-host debug log (KCREG_LANGHOST_LOG,
 * scripts/engine/): from the CLI's start to the program's start, the program's run (it ends when every
 * resource it registered is done), and from the program's exit to the CLI's. Seconds. When the
 * provider process started is added from the /proc sampler (its first sight of the process).
 */
function phasesFromLog(file: string, startedAt: number, endedAt: number): Row["phases"] {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const at = (re: RegExp) => {
    const line = text.split("\n").find((l) => re.test(l));
    const t = line ? Date.parse(line.slice(0, line.indexOf(" "))) : NaN;
    return Number.isFinite(t) ? (t - startedAt) / 1000 : undefined;
  };
  const spawned = at(/\] spawn /);
  const exited = at(/\] program exited/);
  if (spawned === undefined || exited === undefined) return {};
  return { startup: spawned, program: exited - spawned, wrapUp: (endedAt - startedAt) / 1000 - exited };
}

/**
 * CPU seconds (user + system) Keycloak's JVMs have used so far: every process on this machine whose
 * command line is Keycloak's (`kc.home.dir`), the bench's own or the one KEYCLOAK_URL points at. The
 * difference over a step is what Keycloak spent serving it (and anything else it served meanwhile).
 */
function keycloakCpu(): number {
  let total = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("kc.home.dir")) continue;
      total += cpuSecondsOf(fs.readFileSync(`/proc/${entry}/stat`, "utf8")) ?? 0;
    } catch {
      // gone, or not ours to read
    }
  }
  return total;
}

/** CPU seconds of the processes of one command, by role. */
function cpuLine(memory: PeaksByRole): string {
  return (["engine", "language host", "program", "provider"] as const).map((r) => `${r} ${(memory[r]?.cpuSeconds ?? 0).toFixed(1)}`).join(", ");
}

type AuthMode = "iat" | "service-account";

interface PulumiRunOptions {
  realm: TestRealm;
  proxy: CountingProxy;
  n: number;
  /** --parallel given to every command; undefined: Pulumi's default. */
  parallel?: number;
  /** Measure `up` of an empty program (Pulumi's fixed cost per command) at the end. */
  measureEmpty: boolean;
  auth: AuthMode;
  /** Extra environment for every pulumi command (e.g. PULUMI_SKIP_CHECKPOINTS). */
  env: Record<string, string>;
  /** The dynamic provider (rows "pulumi") or the provider plugin in `pluginDir` (rows "plugin"). */
  frontDoor: FrontDoor;
  pluginDir?: string;
}

async function pulumiRun(o: PulumiRunOptions): Promise<{ state: StateFigures; parallel?: number }> {
  const { realm, proxy, n } = o;
  const tool: Row["tool"] = o.frontDoor === "plugin" ? "plugin" : "pulumi";
  const programDir = o.frontDoor === "plugin" ? makeProgramDir(n, PLUGIN_PROGRAM, o.pluginDir) : makeProgramDir(n);
  const credentials: Record<string, ConfigValue> = {};
  if (o.auth === "iat") {
    credentials["keycloak-registration:initialAccessToken"] = { value: await realm.createInitialAccessToken({ count: n + 5, expiration: 7200 }), secret: true };
  } else {
    const sa = await realm.createServiceAccount({ roles: ["create-client"] });
    credentials["keycloak-registration:serviceAccountClientId"] = sa.clientId;
    credentials["keycloak-registration:serviceAccountClientSecret"] = { value: sa.clientSecret, secret: true };
  }
  const stack = await PulumiStack.create({
    programDir,
    stackName: `bench-${o.frontDoor}-${n}`,
    config: {
      "keycloak-registration:serverUrl": proxy.url,
      "keycloak-registration:realm": realm.name,
      ...credentials,
      "bench:count": String(n),
      "bench:description": "v1",
    },
  });
  const langhostLog = path.join(TMP, `langhost-${n}-${randomBytes(4).toString("hex")}.log`);
  let parallel: number | undefined;
  let state: StateFigures | undefined;
  try {
    const parallelArgs = o.parallel ? ["--parallel", String(o.parallel)] : [];
    const step = async (name: string, command: (opts: CommandOptions) => Promise<CommandResult>, extra: CommandOptions = {}) => {
      proxy.reset();
      fs.rmSync(langhostLog, { force: true });
      let sampler: TreeSampler | undefined;
      const keycloakCpuBefore = keycloakCpu();
      const startedAt = Date.now();
      const start = process.hrtime.bigint();
      await command({
        ...extra,
        args: [...(extra.args ?? []), ...parallelArgs],
        env: { ...o.env, ...extra.env, KCREG_LANGHOST_LOG: langhostLog },
        onSpawn: (child) => (sampler = child.pid ? sampleTree(child.pid) : undefined),
      });
      const secs = seconds(start);
      const keycloakCpuSeconds = keycloakCpu() - keycloakCpuBefore;
      const memory: PeaksByRole = sampler ? peaksByRole(sampler.stop()) : {};
      const phases = phasesFromLog(langhostLog, startedAt, Date.now());
      const providerSeen = memory.provider?.firstSeenAt;
      if (phases && providerSeen !== undefined) phases.providerStartedAt = (providerSeen - startedAt) / 1000;
      parallel ??= parallelFromLanghostLog(langhostLog);
      const requests = byKind(proxy.requests);
      rows.push({ tool, step: name, clients: n, seconds: secs, requests, connections: proxy.connections, memory, phases, keycloakCpuSeconds });
      const mem = memory.provider ? `, provider peak RSS ${(memory.provider.peakRssKiB / 1024).toFixed(0)} MiB` : "";
      log(`N=${n} ${o.frontDoor === "plugin" ? "plugin" : "pulumi"} ${name}: ${secs.toFixed(1)} s, ${proxy.requests.length} requests over ${proxy.connections} connections${mem}; CPU s: ${cpuLine(memory)}, Keycloak ${keycloakCpuSeconds.toFixed(1)}`);
    };
    await step("up (create)", (opts) => stack.up(opts));
    await step("preview, no change", (opts) => stack.preview({ ...opts, expectNoChanges: true }));
    await step("up, no change", (opts) => stack.up({ ...opts, args: [...(opts.args ?? []), "--expect-no-changes"] }));
    await stack.setConfig("bench:firstDescription", "changed");
    await step("up, one client changed", (opts) => stack.up(opts));
    await stack.removeConfig("bench:firstDescription");
    await stack.setConfig("bench:description", "v2");
    await step("up (update all)", (opts) => stack.up(opts));
    await step("refresh", (opts) => stack.refresh(opts));
    state = stateFigures(n, await stack.exportState(), stack.backendDir, stack.stackName);
    log(`N=${n} state: ${state.fileBytes} bytes in the backend's file, ${state.perClient.total} bytes per client resource (compact JSON)`);
    await step("destroy", (opts) => stack.destroy(opts));
    if (o.measureEmpty) {
      await stack.setConfig("bench:count", "0");
      await step("up, empty program", (opts) => stack.up(opts));
      const last = rows[rows.length - 1]!;
      last.note = "no resources: the engine, the language host and the program, but no provider process";
    }
  } finally {
    await stack.destroy({ allowFailure: true });
    stack.remove();
    fs.rmSync(programDir, { recursive: true, force: true });
    fs.rmSync(langhostLog, { force: true });
  }
  return { state: state!, parallel };
}

type Contender = RoundFigures["order"][number];

/**
 * One `up` and one `destroy` of N clients (or N trivial resources for Pulumi's floor: dynamic
 * resources that do no I/O) on a fresh stack, timed, with the CPU seconds of the engine, program and
 * provider and of Keycloak during `up`.
 */
async function upAndDestroy(
  contender: Exclude<Contender, "raw">,
  n: number,
  ctx: { realm: TestRealm; proxy: CountingProxy; parallel?: number; env: Record<string, string>; pluginDir?: string },
): Promise<{ up: number; destroy: number; cpu: RoundFigures["cpu"][Contender]; memory: PeaksByRole }> {
  const noIo = contender === "floor" || contender === "shaped";
  const program = { floor: FLOOR_PROGRAM, shaped: SHAPED_FLOOR_PROGRAM, plugin: PLUGIN_PROGRAM, dynamic: PROGRAM }[contender];
  const files: Record<string, string> = contender === "shaped" ? { "shapedProvider.js": SHAPED_FLOOR_PROVIDER } : {};
  const programDir = makeProgramDir(n, program, contender === "plugin" ? ctx.pluginDir : undefined, files);
  const config: Record<string, ConfigValue> = { "bench:count": String(n) };
  if (!noIo) {
    Object.assign(config, {
      "keycloak-registration:serverUrl": ctx.proxy.url,
      "keycloak-registration:realm": ctx.realm.name,
      "keycloak-registration:initialAccessToken": { value: await ctx.realm.createInitialAccessToken({ count: n + 5, expiration: 7200 }), secret: true },
      "bench:description": "v1",
    });
  }
  const stack = await PulumiStack.create({ programDir, stackName: `bench-round-${contender}-${n}`, config });
  const args = ctx.parallel ? ["--parallel", String(ctx.parallel)] : [];
  let destroyed = false;
  try {
    ctx.proxy.reset();
    let sampler: TreeSampler | undefined;
    const keycloakBefore = keycloakCpu();
    const startedAt = Date.now();
    let start = process.hrtime.bigint();
    await stack.up({ args, env: ctx.env, onSpawn: (child) => (sampler = child.pid ? sampleTree(child.pid) : undefined) });
    const up = seconds(start);
    const window = requestWindow(ctx.proxy.requests, startedAt);
    const keycloak = keycloakCpu() - keycloakBefore;
    const memory: PeaksByRole = sampler ? peaksByRole(sampler.stop()) : {};
    const posts = byKind(ctx.proxy.requests)["POST registration"] ?? 0;
    if (!noIo && posts !== n) throw new Error(`${contender} up of ${n} clients sent ${posts} registrations, expected ${n}`);
    start = process.hrtime.bigint();
    await stack.destroy({ args, env: ctx.env });
    const destroy = seconds(start);
    destroyed = true;
    const cpu = { engine: memory.engine?.cpuSeconds ?? 0, program: memory.program?.cpuSeconds ?? 0, provider: memory.provider?.cpuSeconds ?? 0, keycloak };
    const providerAt = memory.provider?.firstSeenAt === undefined ? undefined : (memory.provider.firstSeenAt - startedAt) / 1000;
    log(
      `  ${contender} up ${up.toFixed(2)} s: provider started at ${providerAt?.toFixed(2) ?? "-"} s` +
        (window ? `, requests from ${window.first.toFixed(2)} s to ${window.last.toFixed(2)} s, at most ${window.maxInFlight} in flight` : "") +
        `; CPU s: engine ${cpu.engine.toFixed(2)}, program ${cpu.program.toFixed(2)}, provider ${cpu.provider.toFixed(2)}, Keycloak ${keycloak.toFixed(2)}`,
    );
    return { up, destroy, cpu, memory };
  } finally {
    if (!destroyed) await stack.destroy({ allowFailure: true });
    stack.remove();
    fs.rmSync(programDir, { recursive: true, force: true });
  }
}

/**
 * The target of issue 13 compares wall times taken minutes apart on a shared 2-core machine, where one
 * `up` of 100 clients varied by ±30% between runs. So at N = 100 the four contenders (dynamic provider,
 * plugin, Pulumi's floor, raw floor) run `rounds` times, each round in a rotated order (no contender
 * always first or always after another), and the verdict is the median over rounds of each round's
 * ratio: a round's four figures share the machine's load at that moment. Each round also runs
 * Pulumi's floor given a client's shape ("shaped", bench/programs.ts), reported beside the verdict.
 */
async function frontDoorRounds(
  n: number,
  rounds: number,
  ctx: { realm: TestRealm; proxy: CountingProxy; parallel?: number; env: Record<string, string>; pluginDir: string; concurrency: number },
): Promise<RoundFigures[]> {
  const contenders: Contender[] = ["dynamic", "plugin", "floor", "raw", "shaped"];
  const out: RoundFigures[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    const figures: RoundFigures = { round: round + 1, order, load: os.loadavg()[0]!, up: {}, destroy: {}, cpu: {} };
    for (const contender of order) {
      if (contender === "raw") {
        const t = await rawRun(ctx.realm, ctx.proxy, n, ctx.concurrency, false);
        figures.up.raw = t.create;
        figures.destroy.raw = t.delete;
        figures.cpu.raw = { engine: 0, program: 0, provider: 0, keycloak: t.keycloakCpuSeconds };
      } else {
        const t = await upAndDestroy(contender, n, ctx);
        figures.up[contender] = t.up;
        figures.destroy[contender] = t.destroy;
        figures.cpu[contender] = t.cpu;
      }
    }
    const u = figures.up;
    const sum = u.floor! + u.raw!;
    log(
      `N=${n} round ${round + 1}/${rounds} (${order.join(", ")}): up dynamic ${u.dynamic!.toFixed(2)} s, plugin ${u.plugin!.toFixed(2)} s, ` +
        `Pulumi floor ${u.floor!.toFixed(2)} s + raw floor ${u.raw!.toFixed(2)} s = ${sum.toFixed(2)} s; ratios ${(u.dynamic! / sum).toFixed(2)} / ${(u.plugin! / sum).toFixed(2)}; ` +
        `floor of a client's shape ${u.shaped!.toFixed(2)} s`,
    );
    out.push(figures);
  }
  return out;
}

/** The raw floor in a process of its own (bench/rawClient.ts), through the same counting proxy. */
async function rawRun(realm: TestRealm, proxy: CountingProxy, n: number, concurrency: number, record = true): Promise<{ create: number; update: number; delete: number; keycloakCpuSeconds: number }> {
  const iat = await realm.createInitialAccessToken({ count: n + 5, expiration: 7200 });
  const url = `${proxy.url}/realms/${encodeURIComponent(realm.name)}/clients-registrations/default`;
  const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
  proxy.reset();
  const keycloakCpuBefore = keycloakCpu();
  const child = spawn(tsx, [path.join(__dirname, "rawClient.ts")], {
    env: { ...process.env, RAW_URL: url, RAW_TOKEN: iat, RAW_CLIENTS: String(n), RAW_CONCURRENCY: String(concurrency), RAW_PREFIX: `raw-${n}-${concurrency}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`raw client (N=${n}, ${concurrency} at a time) failed: ${err.slice(0, 500)}`);
  const t = JSON.parse(out) as { create: number; update: number; delete: number };
  const keycloakCpuSeconds = keycloakCpu() - keycloakCpuBefore;
  const counted = byKind(proxy.requests);
  const total = Object.values(counted).reduce((a, b) => a + b, 0);
  if (total !== 3 * n) throw new Error(`the proxy counted ${total} requests from the raw client, expected ${3 * n}`);
  if (!record) return { ...t, keycloakCpuSeconds };
  const count = (key: string) => ({ [key]: counted[key] ?? 0 });
  const note = `${proxy.connections} connections in all`;
  rows.push({ tool: "raw", step: "create", clients: n, concurrency, seconds: t.create, requests: count("POST registration") });
  rows.push({ tool: "raw", step: "update all", clients: n, concurrency, seconds: t.update, requests: count("PUT registration") });
  rows.push({ tool: "raw", step: "delete", clients: n, concurrency, seconds: t.delete, requests: count("DELETE registration"), note });
  log(`N=${n} raw (${concurrency} at a time): create ${t.create.toFixed(2)} s, update ${t.update.toFixed(2)} s, delete ${t.delete.toFixed(2)} s; Keycloak CPU s for all three: ${keycloakCpuSeconds.toFixed(1)}`);
  return { ...t, keycloakCpuSeconds };
}

/** `kcreg.sh create` for m clients, one command each, one after the other; `full`: update and delete them too. */
async function kcregRun(realm: TestRealm, version: string, m: number, full: boolean): Promise<void> {
  const dist = await ensureKeycloakDist(version, log);
  const jdk = pickJdk(version, log);
  const kcreg = path.join(dist, "bin", "kcreg.sh");
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-bench-"));
  const configFile = path.join(configDir, "kcreg.config");
  const iat = await realm.createInitialAccessToken({ count: m + 5, expiration: 7200 });
  const env = { ...process.env, JAVA_HOME: jdk.home, PATH: `${jdk.home}/bin:${process.env.PATH}` };
  const run = (args: string[]) => {
    const [command, ...rest] = args;
    const r = spawnSync(kcreg, [command!, "--config", configFile, ...rest], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`kcreg ${command} failed: ${r.stderr.replace(/eyJ[\w.-]+/g, "[token]").slice(0, 300)}`);
  };
  const common = ["--server", realm.server.url, "--realm", realm.name];
  const prefix = `kcreg-${m}`;
  try {
    let start = process.hrtime.bigint();
    for (let i = 0; i < m; i++) run(["create", ...common, "-t", iat, "-s", `clientId=${prefix}-${i}`, "-s", "description=v1", "-s", `redirectUris=["https://app${i}.example.com/*"]`, "-s", `publicClient=${i % 2 === 0}`]);
    rows.push({ tool: "kcreg", step: "create", clients: m, concurrency: 1, seconds: seconds(start), note: "one JVM per command; keeps each registration access token in its config file, in plaintext" });
    log(`N=${m} kcreg.sh create: ${rows[rows.length - 1]!.seconds.toFixed(1)} s`);
    if (!full) return;
    start = process.hrtime.bigint();
    for (let i = 0; i < m; i++) run(["update", `${prefix}-${i}`, ...common, "-s", "description=v2"]);
    rows.push({ tool: "kcreg", step: "update all", clients: m, concurrency: 1, seconds: seconds(start) });
    log(`N=${m} kcreg.sh update: ${rows[rows.length - 1]!.seconds.toFixed(1)} s`);
    start = process.hrtime.bigint();
    for (let i = 0; i < m; i++) run(["delete", `${prefix}-${i}`, ...common]);
    rows.push({ tool: "kcreg", step: "delete", clients: m, concurrency: 1, seconds: seconds(start) });
    log(`N=${m} kcreg.sh delete: ${rows[rows.length - 1]!.seconds.toFixed(1)} s`);
  } finally {
    // Clients left behind go with the realm.
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}

/**
 * Peak RSS of a bare node that only loads modules, to split the provider process' memory: node alone;
 * what Pulumi's cmd/dynamic-provider loads before any provider code (the runtime, which brings the
 * TypeScript compiler, gRPC and the protobuf stubs); and that plus this package's implementation.
 */
function moduleBaseline(): NonNullable<Results["moduleBaseline"]> {
  const pulumiRuntime = 'require("@pulumi/pulumi/runtime"); require("@pulumi/pulumi/proto/provider_grpc_pb"); require("@pulumi/pulumi/cmd/dynamic-provider/config");';
  const cases = [
    { label: "node alone", code: "" },
    { label: "+ what @pulumi/pulumi/cmd/dynamic-provider loads", code: pulumiRuntime },
    { label: `+ ${PACKAGE}/dynamic (the provider's implementation)`, code: `${pulumiRuntime} require("${PACKAGE}/dynamic");` },
    { label: `${PACKAGE}/dynamic alone`, code: `require("${PACKAGE}/dynamic");` },
  ];
  // A directory with a package.json of its own: from bench/.tmp, node would find the repository's
  // package.json and resolve the package's name to the repository itself.
  const cwd = path.join(TMP, "baseline");
  fs.mkdirSync(cwd, { recursive: true });
  fs.writeFileSync(path.join(cwd, "package.json"), '{ "name": "baseline", "private": true }\n');
  return cases.map(({ label, code }) => {
    const script = `${code} const s = require("fs").readFileSync("/proc/self/status", "utf8"); process.stdout.write(/VmHWM:\\s+(\\d+)/.exec(s)[1] + " " + Object.keys(require.cache).length);`;
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["-e", script], { cwd, encoding: "utf8" });
    const secs = seconds(start);
    if (r.status !== 0) throw new Error(`module baseline "${label}" failed: ${r.stderr.slice(0, 300)}`);
    const [kib, modules] = r.stdout.trim().split(" ").map(Number);
    return { label, peakRssKiB: kib!, modules: modules!, seconds: secs };
  });
}

/** Which build was benchmarked: the checkout's commit, and whether its provider sources differ from it. */
function packageSource(from: string): string {
  const git = (args: string[]) => spawnSync("git", args, { cwd: from, encoding: "utf8" });
  const head = git(["rev-parse", "--short", "HEAD"]);
  const name = from === REPO_ROOT ? "this repository" : from;
  if (head.status !== 0) return name;
  const dirty = git(["status", "--porcelain", "--", "provider", "package.json"]).stdout.trim() !== "";
  return `${name} at ${head.stdout.trim()}${dirty ? " with uncommitted changes to provider/ or package.json" : ""}`;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU";
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`;
}

async function main(): Promise<void> {
  const clients = listArg("clients", [10, 100, 500]);
  const kcregClients = listArg("kcreg", [10, 100]);
  const parallelArg = stringArg("parallel");
  const parallel = parallelArg === undefined ? undefined : Number(parallelArg);
  const out = path.resolve(REPO_ROOT, stringArg("out") ?? "BENCHMARKS.md");
  const chart = path.resolve(REPO_ROOT, stringArg("chart") ?? path.join("bench", "time-vs-n.svg"));
  const skipCheckpoints = process.argv.includes("--skip-checkpoints");
  const env: Record<string, string> = skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {};
  const auth = (stringArg("auth") ?? "iat") as AuthMode;
  // --front-doors dynamic skips the plugin and Pulumi's floor (the figures of issue 7 alone).
  const withPlugin = (stringArg("front-doors") ?? "dynamic,plugin").split(",").includes("plugin");
  // --rounds R: how many rounds of the front-door comparison at N = 100 (0 skips it).
  const rounds = Number(stringArg("rounds") ?? 5);
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error("--rounds takes a whole number, e.g. --rounds 5 (0 skips the comparison)");
  if (auth !== "iat" && auth !== "service-account") throw new Error("--auth takes iat or service-account");
  if (!clients.length) throw new Error("--clients needs at least one N > 0");

  fs.mkdirSync(TMP, { recursive: true });
  sweepOrphanedRuns(log);
  const packageFrom = path.resolve(stringArg("package-from") ?? REPO_ROOT);
  const packageDir = installPackageCopy(packageFrom);
  log(`${PACKAGE} copied from ${packageFrom} to ${path.relative(REPO_ROOT, packageDir)} (a real directory, not a link)`);
  const engine = await getPulumiEngine(log);
  // The product's Node (the programs, the dynamic provider and the plugin run on it), fetched on first use as the test bed does.
  const productNode = await ensureNode(DEFAULT_NODE_MAJOR, log);
  process.env[nodeEnvVar(DEFAULT_NODE_MAJOR)] = productNode.node;
  const plugin = withPlugin ? await packPlugin(path.join(TMP, "plugin")) : undefined;
  if (plugin) log(`provider plugin ${plugin.version} packed (npm run plugin:pack) into ${path.relative(REPO_ROOT, plugin.dir)}`);
  const server = await startKeycloak({ log });
  const realm = await createTestRealm(server, `bench-${Date.now().toString(36)}`);
  const proxy = await startCountingProxy(server.url);
  const states: StateFigures[] = [];
  const pluginStates: StateFigures[] = [];
  let roundFigures: RoundFigures[] | undefined;
  const load: Record<string, number> = {};
  let defaultParallel: number | undefined;
  let baseline: Results["moduleBaseline"];
  const started = new Date();
  try {
    for (const [i, n] of clients.entries()) {
      load[`before N=${n}`] = os.loadavg()[0]!;
      const r = await pulumiRun({ realm, proxy, n, parallel, measureEmpty: i === 0, auth, env, frontDoor: "dynamic" });
      states.push(r.state);
      defaultParallel ??= r.parallel;
      if (plugin) {
        pluginStates.push((await pulumiRun({ realm, proxy, n, parallel, measureEmpty: false, auth, env, frontDoor: "plugin", pluginDir: plugin.dir })).state);
        const floor = await upAndDestroy("floor", n, { realm, proxy, parallel, env });
        const note = "trivial dynamic resources: no I/O, no package";
        rows.push({ tool: "floor", step: "up (create)", clients: n, seconds: floor.up, memory: floor.memory, note }, { tool: "floor", step: "destroy", clients: n, seconds: floor.destroy, note });
        log(`N=${n} Pulumi floor: up ${floor.up.toFixed(1)} s, destroy ${floor.destroy.toFixed(1)} s`);
      }
      const concurrency = parallel ?? r.parallel ?? os.availableParallelism() * 4;
      await rawRun(realm, proxy, n, concurrency);
    }
    if (plugin && rounds > 0) {
      load[`before the front-door rounds`] = os.loadavg()[0]!;
      const concurrency = parallel ?? defaultParallel ?? os.availableParallelism() * 4;
      roundFigures = await frontDoorRounds(ROUNDS_N, rounds, { realm, proxy, parallel, env, pluginDir: plugin.dir, concurrency });
    }
    for (const [i, m] of kcregClients.entries()) {
      load[`before kcreg N=${m}`] = os.loadavg()[0]!;
      await kcregRun(realm, server.version, m, i === 0);
    }
    load.end = os.loadavg()[0]!;
    baseline = moduleBaseline();
  } finally {
    await proxy.close();
    await realm.remove();
    await server.stop();
    fs.rmSync(TMP, { recursive: true, force: true });
  }

  const pulumiSdk = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  const results: Results = {
    version: 2,
    date: started.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    clients,
    kcregClients,
    parallel: parallel ?? defaultParallel ?? os.availableParallelism() * 4,
    parallelSource: parallel ? "--parallel" : defaultParallel ? "Pulumi's default (the engine's --parallel to the language host)" : "assumed: 4 × cores",
    keycloak: server.version,
    pulumi: engine.version,
    pulumiSdk,
    node: `${productNode.version} (programs, the dynamic provider and the plugin; the bench itself on ${process.version.slice(1)})`,
    machine: machine(),
    loadAverage: load,
    package: packageSource(packageFrom),
    ...(skipCheckpoints ? { pulumiEnv: env } : {}),
    auth: auth === "iat" ? "initial access token" : "service account (client credentials)",
    moduleBaseline: baseline,
    rows,
    states,
    ...(plugin ? { pluginStates } : {}),
    ...(roundFigures ? { rounds: roundFigures } : {}),
  };
  fs.mkdirSync(path.join(REPO_ROOT, ".bench"), { recursive: true });
  const file = path.join(REPO_ROOT, ".bench", `${started.toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  fs.writeFileSync(chart, renderChart(results));
  const report = render(results, path.relative(path.dirname(out), chart));
  fs.writeFileSync(out, report);
  process.stdout.write(report);
  log(`figures written to ${path.relative(REPO_ROOT, file)}, ${path.relative(REPO_ROOT, out)} and ${path.relative(REPO_ROOT, chart)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
