/**
 * What pulumi commands of a killed test run leave behind (the engine's plugins live in process groups
 * of their own, Pulumi's dynamic provider does not watch the engine) is stopped at the start of the next
 * run: `sweepOrphanedRuns` kills the processes whose run marker names a harness process that is gone,
 * and nothing else. Stand-in processes carry the marker as a command's processes do; each is started in
 * a process group of its own, as the engine starts plugins, and every group is killed at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { RUN_MARKER, sweepOrphanedRuns } from "../bed/pulumiHarness";

const started: ChildProcess[] = [];

/** A process that sleeps until killed, in a process group of its own, with `env` added. */
function sleeper(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000); process.stdout.write('ready')"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "ignore"],
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout!.once("data", () => resolve(child));
  });
}

/** The PID of a process that has exited, so no process by that PID is running (unless reused at once). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return child.pid!;
}

const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", r)));

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  for (const child of started) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

describe("processes left by pulumi commands of a killed test run", () => {
  test("those whose harness process is gone are killed; those of a live harness and unmarked ones are left alone", async () => {
    const gone = await deadPid();
    expect(running(gone)).toBe(false);
    const orphan = await sleeper({ [RUN_MARKER]: `${gone}-0123456789abcdef` });
    const ofLiveHarness = await sleeper({ [RUN_MARKER]: `${process.pid}-0123456789abcdef` });
    const unmarked = await sleeper({});
    const lines: string[] = [];

    const killed = sweepOrphanedRuns((l) => lines.push(l));

    expect(killed).toContain(orphan.pid);
    expect(killed).not.toContain(ofLiveHarness.pid);
    expect(killed).not.toContain(unmarked.pid);
    await exited(orphan);
    expect(orphan.signalCode).toBe("SIGKILL");
    expect(running(ofLiveHarness.pid!)).toBe(true);
    expect(running(unmarked.pid!)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`pids ${killed.join(", ")}`);
  });

  test("a marker without the harness's PID (an older form) is not the sweep's to judge", async () => {
    const older = await sleeper({ [RUN_MARKER]: "0123456789abcdef" });
    expect(sweepOrphanedRuns()).not.toContain(older.pid);
    expect(running(older.pid!)).toBe(true);
  });
});
