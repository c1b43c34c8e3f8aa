/**
 * A test run killed outright (a CI job cancelled: SIGKILL to its process group) takes its `pulumi`
 * commands with it, but not the engine's plugins, which Pulumi starts in process groups of their own:
 * Pulumi's dynamic provider does not watch the engine and lives on. The next run's global setup stops
 * them (`sweepOrphanedRuns`). Here a separate "test runner" process starts an `up` through the harness
 * whose provider hangs in `create`; the runner's process group is SIGKILLed, the provider is seen still
 * running, and the sweep stops it and every other process of that run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeProgramDir, REPO_ROOT, RUN_MARKER, sweepOrphanedRuns } from "../bed/pulumiHarness";

const TSX_CLI = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const provider = {
  async create() {
    require("fs").writeFileSync(process.env.KCREG_ORPHAN_CREATING, String(process.pid));
    await new Promise(() => {});
  },
};
new pulumi.dynamic.Resource(provider, "hangs", {}, {}, "orphan", "Hang");
`;

const RUNNER = `import * as fs from "node:fs";
import { PulumiStack } from ${JSON.stringify(path.join(REPO_ROOT, "test", "bed", "pulumiHarness"))};
void (async () => {
  const stack = await PulumiStack.create({ programDir: process.env.KCREG_ORPHAN_PROGRAM! });
  fs.writeFileSync(process.env.KCREG_ORPHAN_ROOT!, JSON.stringify({ pid: process.pid, rootDir: stack.rootDir }));
  void stack.startUp().result.catch(() => {});
  setInterval(() => {}, 1000);
})();
`;

jest.setTimeout(5 * 60_000);

/** Live (not zombie) processes whose run marker names `owner` as the harness's process. */
function processesOf(owner: number): number[] {
  const needle = Buffer.from(`${RUN_MARKER}=${owner}-`);
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${entry}/stat`, "latin1"))) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("processes a killed test run's pulumi commands leave behind", () => {
  const programDir = makeProgramDir({ prefix: "orphan-sweep", files: { "index.js": PROGRAM, "runner.ts": RUNNER } });
  const creating = path.join(programDir, "creating");
  const rootFile = path.join(programDir, "root");
  let runner: ChildProcess | undefined;

  afterAll(() => {
    try {
      if (runner?.pid) process.kill(-runner.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    const started = fs.existsSync(rootFile) ? (JSON.parse(fs.readFileSync(rootFile, "utf8")) as { pid: number; rootDir: string }) : undefined;
    for (const pid of started ? processesOf(started.pid) : []) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
    if (started) fs.rmSync(started.rootDir, { recursive: true, force: true });
    fs.rmSync(programDir, { recursive: true, force: true });
  });

  test("the dynamic provider outlives the killed runner and its CLI; the sweep stops it and the rest of the run", async () => {
    let stderr = "";
    runner = spawn(process.execPath, [TSX_CLI, path.join(programDir, "runner.ts")], {
      env: { ...process.env, KCREG_ORPHAN_PROGRAM: programDir, KCREG_ORPHAN_ROOT: rootFile, KCREG_ORPHAN_CREATING: creating },
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    runner.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const runnerGroup = runner.pid!;
    const runnerExited = new Promise((r) => runner!.once("exit", r));
    await until("the provider's create", () => fs.existsSync(creating) && fs.readFileSync(creating, "utf8") !== "", 120_000).catch((e: Error) => {
      throw new Error(`${e.message}; the runner's stderr: ${stderr.slice(-1000)}`);
    });
    const provider = Number(fs.readFileSync(creating, "utf8"));
    // The harness's process (tsx runs the script in a child of its own, in the same process group).
    const harness = (JSON.parse(fs.readFileSync(rootFile, "utf8")) as { pid: number }).pid;
    expect(processesOf(harness)).toContain(provider);

    // A cancelled CI job: SIGKILL to the runner's process group, which holds the `pulumi` CLI it started.
    process.kill(-runnerGroup, "SIGKILL");
    await runnerExited;
    await new Promise((r) => setTimeout(r, 1000));
    const left = processesOf(harness);
    expect(left).toContain(provider);

    const killed = sweepOrphanedRuns();
    expect(killed).toEqual(expect.arrayContaining(left));
    await until("the swept processes to end", () => processesOf(harness).length === 0, 10_000);
    expect(processesOf(harness)).toEqual([]);
  });
});
