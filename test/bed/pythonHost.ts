import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { cacheDir } from "./cache";
import { withLock } from "./util";

/**
 * Python programs for e2e tests: a virtualenv with Pulumi's Python SDK from PyPI and this repository's
 * generated SDK (sdk/python), and a language host of our own, `pulumi-language-python`
 * (scripts/engine/python-language-host.py), since Pulumi's (a Go module) is not available from the
 * module proxy here. Cached in `~/.cache/pulumi-keycloak-registration/python/`: the base virtualenv is
 * made once per Python minor and SDK version, a small one per version of sdk/python.
 *
 * Put `binDir` on the PATH of the `pulumi` commands; a program's project points its `virtualenv`
 * option at `venv` (e.g. a link to {@link PythonBed.venv}), as Pulumi's own Python projects do.
 */
export const PULUMI_PYTHON_SDK_VERSION = "3.272.0";
const MIN_PYTHON: [number, number] = [3, 9];

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const HOST_SOURCE = path.join(REPO_ROOT, "scripts", "engine", "python-language-host.py");
export const GENERATED_SDK_DIR = path.join(REPO_ROOT, "sdk", "python");

export interface PythonBed {
  /** Holds `pulumi-language-python`; prepend to PATH. */
  binDir: string;
  /** The virtualenv for programs: the generated SDK, and `pulumi` from the base virtualenv. */
  venv: string;
  /** Its interpreter. */
  python: string;
  /** e.g. "3.11.7". */
  pythonVersion: string;
  /** Versions installed in the virtualenv, by distribution name. */
  packages: Record<string, string>;
}

function baseInterpreter(): { python: string; version: string } {
  const python = process.env.KCREG_PYTHON ?? "python3";
  const r = spawnSync(python, ["-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"], { encoding: "utf8" });
  const hint = `Install Python >= ${MIN_PYTHON.join(".")} with venv (e.g. apt-get install python3 python3-venv), or set KCREG_PYTHON.`;
  if (r.error || r.status !== 0) throw new Error(`test bed: ${python} does not run (${r.error?.message ?? r.stderr.trim()}). ${hint}`);
  const version = r.stdout.trim();
  const [major, minor] = version.split(".").map(Number);
  if (major! < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor! < MIN_PYTHON[1])) throw new Error(`test bed: ${python} is Python ${version}. ${hint}`);
  return { python, version };
}

function run(cmd: string, args: string[], log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
    let output = "";
    const onData = (c: Buffer) => {
      output += c.toString("utf8");
      for (const line of c.toString("utf8").split(/\r?\n/)) if (line) log(`  ${line}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(new Error(`test bed: could not run ${cmd}: ${e.message}`)));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`test bed: \`${cmd} ${args.join(" ")}\` failed (exit ${code}):\n${output.slice(-4000)}`))));
  });
}

/** A digest of every file under `dir` (names and contents), to tell whether the installed copy is current. */
export function treeDigest(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === "__pycache__" || e.name === "build" || e.name.endsWith(".egg-info")) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        h.update(path.relative(dir, p)).update("\0").update(fs.readFileSync(p)).update("\0");
      }
    }
  };
  walk(dir);
  return h.digest("hex");
}

function installedPackages(python: string): Record<string, string> {
  const code = "import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))";
  const r = spawnSync(python, ["-c", code], { encoding: "utf8" });
  return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, string>) : {};
}

function writeIfChanged(dest: string, content: string, mode: number): void {
  if (fs.existsSync(dest) && fs.readFileSync(dest, "utf8") === content) return;
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, dest); // running hosts keep their inode
}

/**
 * Finds or makes the virtualenvs and the language host. The base virtualenv holds `pulumi` (and runs
 * the host); each version of `sdkDir` (default sdk/python) gets a small virtualenv of its own,
 * `sdk/<digest>`, holding that SDK and seeing the base's packages through a .pth file: made once,
 * never changed, so test runs of different checkouts on one machine do not swap SDKs under each other.
 */
export async function ensurePythonBed(opts: { log?: (line: string) => void; sdkDir?: string } = {}): Promise<PythonBed> {
  const log = opts.log ?? (() => undefined);
  const sdkDir = opts.sdkDir ?? GENERATED_SDK_DIR;
  if (!fs.existsSync(path.join(sdkDir, "pyproject.toml"))) {
    throw new Error(`test bed: ${sdkDir} holds no generated Python SDK (pyproject.toml); run \`npm run sdk\``);
  }
  const base = baseInterpreter();
  const minor = base.version.split(".").slice(0, 2).join(".");
  const root = cacheDir("python", `pulumi-${PULUMI_PYTHON_SDK_VERSION}-py${minor}`);
  const baseVenv = path.join(root, "venv");
  const basePython = path.join(baseVenv, "bin", "python");
  const sitePackages = (venv: string) => path.join(venv, "lib", `python${minor}`, "site-packages");
  const venv = path.join(root, "sdk", treeDigest(sdkDir).slice(0, 16));
  const python = path.join(venv, "bin", "python");
  fs.mkdirSync(path.join(root, "sdk"), { recursive: true });

  await withLock(path.join(root, ".lock"), log, async () => {
    const ready = path.join(root, "pulumi-installed");
    if (!fs.existsSync(ready) || !fs.existsSync(basePython)) {
      const started = Date.now();
      log(`test bed: making ${baseVenv} with pulumi==${PULUMI_PYTHON_SDK_VERSION} (Python ${base.version})`);
      fs.rmSync(baseVenv, { recursive: true, force: true });
      await run(base.python, ["-m", "venv", baseVenv], log);
      await run(basePython, ["-m", "pip", "install", "--quiet", `pulumi==${PULUMI_PYTHON_SDK_VERSION}`], log);
      fs.writeFileSync(ready, JSON.stringify({ seconds: (Date.now() - started) / 1000, at: new Date().toISOString() }) + "\n");
    }
    if (fs.existsSync(path.join(venv, "ready"))) return;
    log(`test bed: installing the generated SDK ${sdkDir} into ${venv}`);
    const tmp = fs.mkdtempSync(path.join(root, "sdk", ".tmp-"));
    // A copy of the SDK: pip builds in the source tree and would leave build/ and *.egg-info behind.
    const copy = fs.mkdtempSync(path.join(root, "sdk", ".src-"));
    try {
      await run(base.python, ["-m", "venv", "--without-pip", tmp], log);
      fs.writeFileSync(path.join(sitePackages(tmp), "kcreg-bed-base.pth"), `${sitePackages(baseVenv)}\n`);
      fs.cpSync(sdkDir, copy, { recursive: true });
      await run(basePython, ["-m", "pip", "install", "--quiet", "--no-deps", "--target", sitePackages(tmp), copy], log);
      fs.writeFileSync(path.join(tmp, "ready"), `${path.resolve(sdkDir)}\n`);
      fs.renameSync(tmp, venv);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  // The host: a copy of the checkout's script, started by a launcher under the virtualenv's Python.
  const binDir = path.join(root, "bin");
  fs.mkdirSync(binDir, { recursive: true });
  const hostCopy = path.join(binDir, "python-language-host.py");
  writeIfChanged(hostCopy, fs.readFileSync(HOST_SOURCE, "utf8"), 0o644);
  writeIfChanged(path.join(binDir, "pulumi-language-python"), `#!/bin/sh\nexec "${basePython}" -u "${hostCopy}" "$@"\n`, 0o755);
  return { binDir, venv, python, pythonVersion: base.version, packages: installedPackages(python) };
}
