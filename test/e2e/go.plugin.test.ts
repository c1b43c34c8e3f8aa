import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ensureGoBed } from "../bed/goHost";
import { describePluginLifecycle } from "./yamlPythonScenario";

/**
 * Go: examples/go, as committed, through the generated Go SDK (sdk/go), the bed's Go language host
 * (which builds the program with `go build` on every run) and the provider plugin from its tarball.
 * The copy's go.mod points its replace of the SDK at this checkout's sdk/go.
 */
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE_DIR = path.join(REPO_ROOT, "examples", "go");
const SDK_MODULE = "pulumi-keycloak-registration/sdk/go";

/**
 * `go build` of the example where it is committed, go.mod and go.sum as they are (-mod=readonly):
 * compiles the SDK and its dependencies into Go's build cache once, so the stack's builds only link.
 */
function buildExample(log: (line: string) => void): Promise<void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-go-example-"));
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const child = spawn("go", ["build", "-o", path.join(out, "program"), "."], {
      cwd: EXAMPLE_DIR,
      env: { ...process.env, GOFLAGS: "-mod=readonly -buildvcs=false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      fs.rmSync(out, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`go build of examples/go failed (exit ${code}):\n${output}`));
      else {
        log(`test bed: examples/go builds (-mod=readonly) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        resolve();
      }
    });
  });
}

describePluginLifecycle({
  name: "go",
  example: "go",
  prepare: async (log) => {
    const bed = await ensureGoBed({ log });
    await buildExample(log);
    return {
      binDir: bed.binDir,
      finish: (programDir) => {
        const edit = spawnSync("go", ["mod", "edit", `-replace=${SDK_MODULE}=${path.join(REPO_ROOT, "sdk", "go")}`], { cwd: programDir, encoding: "utf8" });
        if (edit.status !== 0) throw new Error(`go mod edit in ${programDir} failed: ${edit.error?.message ?? edit.stderr}`);
      },
    };
  },
});
