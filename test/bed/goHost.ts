import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { cacheDir } from "./cache";
import { productNode } from "./node";

/**
 * Go programs for e2e tests: a language host of our own, `pulumi-language-go`
 * (scripts/engine/go-language-host.js, run by the product Node), since Pulumi's (the Go module
 * github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3) is not served by the module proxy here. The
 * host builds each program with the `go` on PATH, which must be at least the `go` directive of the
 * generated SDK's go.mod (sdk/go). Cached in `~/.cache/pulumi-keycloak-registration/go-host/<digest>/bin`,
 * one directory per host script, Node and @pulumi/pulumi (whose gRPC stubs the host loads), so
 * checkouts and Node versions never rewrite a launcher under a running engine.
 *
 * Put `binDir` on the PATH of the `pulumi` commands.
 */
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const HOST_SOURCE = path.join(REPO_ROOT, "scripts", "engine", "go-language-host.js");
const SDK_GO_MOD = path.join(REPO_ROOT, "sdk", "go", "go.mod");

export interface GoBed {
  /** Holds `pulumi-language-go`; prepend to PATH. */
  binDir: string;
  /** `go env GOVERSION` without the prefix, e.g. "1.26.8". */
  goVersion: string;
}

function parseVersion(text: string): number[] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function atLeast(have: number[], want: number[]): boolean {
  for (let i = 0; i < 3; i++) if ((have[i] ?? 0) !== (want[i] ?? 0)) return (have[i] ?? 0) > (want[i] ?? 0);
  return true;
}

/** The local Go toolchain's version; throws, naming what to install, when it is missing or too old. */
function checkGo(): string {
  const minGo = /^go (\S+)$/m.exec(fs.readFileSync(SDK_GO_MOD, "utf8"))?.[1] ?? "1.24";
  const hint = `Install Go >= ${minGo} (https://go.dev/dl/; the \`go\` directive of sdk/go/go.mod) to run the Go programs of the test bed.`;
  // GOTOOLCHAIN=local: the toolchain on PATH, not one it would download.
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
  if (r.error) throw new Error(`test bed: Go is not installed (no \`go\` on PATH: ${r.error.message}). ${hint}`);
  const have = parseVersion(r.stdout ?? "");
  if (r.status !== 0 || !have) throw new Error(`test bed: \`go env GOVERSION\` failed (${(r.stderr ?? "").trim()}). ${hint}`);
  if (!atLeast(have, parseVersion(minGo)!)) throw new Error(`test bed: Go ${have.join(".")} is too old. ${hint}`);
  return have.join(".");
}

function writeIfChanged(dest: string, content: string, mode: number): void {
  if (fs.existsSync(dest) && fs.readFileSync(dest, "utf8") === content) return;
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, dest); // running hosts keep their inode
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Checks Go and installs the language host; cheap after the first call. */
export async function ensureGoBed(opts: { log?: (line: string) => void } = {}): Promise<GoBed> {
  const log = opts.log ?? (() => undefined);
  const goVersion = checkGo();
  const { node, version: nodeVersion } = productNode();
  const pulumiSdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] }));
  const source = fs.readFileSync(HOST_SOURCE, "utf8");
  const digest = createHash("sha256").update(source).update("\0").update(node).update("\0").update(pulumiSdk).digest("hex").slice(0, 16);
  const binDir = cacheDir("go-host", digest, "bin");
  fs.mkdirSync(binDir, { recursive: true });
  const hostCopy = path.join(binDir, "go-language-host.js");
  writeIfChanged(hostCopy, source, 0o644);
  const launcher = `#!/bin/sh\nexec ${shellQuote(node)} ${shellQuote(hostCopy)} ${shellQuote(`-kcreg-pulumi-sdk=${pulumiSdk}`)} "$@"\n`;
  writeIfChanged(path.join(binDir, "pulumi-language-go"), launcher, 0o755);
  log(`test bed: pulumi-language-go in ${binDir} (go${goVersion}, Node ${nodeVersion})`);
  return { binDir, goVersion };
}
