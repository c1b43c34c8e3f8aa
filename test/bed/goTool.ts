import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { cacheDir } from "./cache";
import { withLock } from "./util";

/**
 * A Go command the test bed builds from the Go module proxy, once per machine, like the Pulumi CLI
 * (test/bed/pulumiEngine.ts): a wrapper module generated in `cacheDir(name, version, "build")`
 * requires the modules, `go mod tidy` resolves the rest, `go install` puts the binary in
 * `cacheDir(name, version, "bin")`, and build-info.json records how long it took. A file lock makes
 * concurrent callers wait for one build.
 */
export interface GoToolSpec {
  /** Cache directory name, e.g. "pulumi-yaml". */
  name: string;
  /** Cache key, e.g. "v1.25.0"; change it when the requires or sources change. */
  version: string;
  /** `module@version` lines of the wrapper's go.mod. */
  requires: string[];
  replaces?: string[];
  /** The package to install (an import path), or "." for the wrapper's own main package. */
  pkg: string;
  /** The binary `go install` produces (the last element of `pkg`, or the wrapper module's). */
  binary: string;
  /** Extra files of the wrapper module (e.g. main.go), by name. */
  files?: Record<string, string>;
  ldflags?: string;
  /** Minimum Go toolchain, e.g. "1.24.7". */
  minGo: string;
}

export interface GoTool {
  /** Absolute path of the binary. */
  binary: string;
  binDir: string;
  /** True when this call built it. */
  built: boolean;
  /** Wall time of the build that produced the cached binary, if this cache built it. */
  buildSeconds?: number;
}

export interface BuildInfo {
  name: string;
  version: string;
  go: string;
  seconds: number;
  builtAt: string;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function findGo(spec: GoToolSpec): { go: string; version: string } {
  const hint = `Install Go >= ${spec.minGo} (https://go.dev/dl/) so the test bed can build ${spec.name} ${spec.version}.`;
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
  if (r.error) throw new Error(`test bed: Go is not installed (no \`go\` on PATH). ${hint}`);
  const m = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(r.stdout ?? "");
  if (r.status !== 0 || !m) throw new Error(`test bed: \`go env GOVERSION\` failed (${(r.stderr ?? "").trim()}). ${hint}`);
  const have = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  const want = spec.minGo.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > (want[i] ?? 0)) break;
    if ((have[i] ?? 0) < (want[i] ?? 0)) throw new Error(`test bed: Go ${have.join(".")} is too old. ${hint}`);
  }
  return { go: "go", version: have.join(".") };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const onData = (buf: Buffer) => {
      for (const line of buf.toString("utf8").split(/\r?\n/)) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 60) tail.shift();
        log(`  ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(new Error(`test bed: could not run ${cmd}: ${e.message}`)));
    child.on("close", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`test bed: \`${cmd} ${args.join(" ")}\` failed (${signal ?? `exit ${code}`}) in ${cwd}:\n${tail.join("\n")}`)),
    );
  });
}

export function goToolDir(spec: Pick<GoToolSpec, "name" | "version">): string {
  return cacheDir(spec.name, spec.version);
}

export function readBuildInfo(spec: Pick<GoToolSpec, "name" | "version">): BuildInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(goToolDir(spec), "build-info.json"), "utf8")) as BuildInfo;
  } catch {
    return undefined;
  }
}

/** The cached binary, or a fresh build of it. Throws, naming what is missing, when it cannot be built. */
export async function ensureGoTool(spec: GoToolSpec, log: (l: string) => void = () => undefined): Promise<GoTool> {
  const dir = goToolDir(spec);
  const binDir = path.join(dir, "bin");
  const binary = path.join(binDir, spec.binary);
  const cached = (): GoTool | undefined =>
    isExecutable(binary) ? { binary, binDir, built: false, buildSeconds: readBuildInfo(spec)?.seconds } : undefined;
  const found = cached();
  if (found) return found;
  fs.mkdirSync(dir, { recursive: true });
  return withLock(path.join(dir, ".lock"), log, async () => {
    const again = cached(); // built by another process while we waited
    if (again) return again;
    const { go, version: goVersion } = findGo(spec);
    const buildDir = path.join(dir, "build");
    const gobin = path.join(dir, `gobin-${process.pid}`);
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.rmSync(gobin, { recursive: true, force: true });
    fs.mkdirSync(buildDir, { recursive: true });
    const module = `kcreg.local/${spec.name}`;
    fs.writeFileSync(
      path.join(buildDir, "go.mod"),
      [
        `// Generated by the test bed (test/bed/goTool.ts): builds ${spec.name} ${spec.version}.`,
        `module ${module}`,
        "",
        "go 1.24",
        "",
        "require (",
        ...spec.requires.map((r) => `\t${r.replace("@", " ")}`),
        ")",
        "",
        ...(spec.replaces ?? []).map((r) => `replace ${r}`),
        "",
      ].join("\n"),
    );
    const files = { ...(spec.files ?? {}) };
    // A package from a dependency: a tools.go keeps it in the module graph for `go mod tidy`.
    if (spec.pkg !== ".") files["tools.go"] = `//go:build tools\n\npackage tools\n\nimport _ "${spec.pkg}"\n`;
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(buildDir, name), content);

    const env = { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: [process.env.GOFLAGS ?? "", "-buildvcs=false"].join(" ").trim(), GOBIN: gobin };
    const started = Date.now();
    log(`test bed: building ${spec.name} ${spec.version} with go${goVersion} in ${buildDir} (minutes the first time)`);
    await run(go, ["mod", "tidy"], buildDir, env, log);
    await run(go, ["install", ...(spec.ldflags ? ["-ldflags", spec.ldflags] : []), spec.pkg], buildDir, env, log);
    const produced = path.join(gobin, spec.binary);
    if (!isExecutable(produced)) throw new Error(`test bed: go install finished but ${produced} is missing`);
    fs.mkdirSync(binDir, { recursive: true });
    fs.renameSync(produced, binary);
    fs.rmSync(gobin, { recursive: true, force: true });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const info: BuildInfo = { name: spec.name, version: spec.version, go: goVersion, seconds, builtAt: new Date().toISOString() };
    fs.writeFileSync(path.join(dir, "build-info.json"), JSON.stringify(info, null, 2) + "\n");
    log(`test bed: built ${binary} in ${seconds} s`);
    return { binary, binDir, built: true, buildSeconds: seconds };
  });
}
