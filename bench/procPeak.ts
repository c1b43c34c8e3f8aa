import * as fs from "node:fs";

/**
 * Peak memory of a process tree (Linux): polls `/proc/<pid>/status` of the root and all its
 * descendants (found through `/proc/<pid>/task/<tid>/children`) and keeps each process' VmHWM, the
 * kernel's own high-water mark of its resident set. VmHWM never decreases, so a poll only has to
 * come before the process exits; growth in a process' last interval can be missed.
 *
 * Also keeps each process' `wchar` (/proc/<pid>/io), the bytes it wrote, as of the last poll: for the
 * engine that is mostly the checkpoint, which the file backend rewrites whole after each step.
 *
 * And each process' CPU time (utime + stime of /proc/<pid>/stat) as of the last poll, and when a poll
 * first saw it. A process that exits between polls loses at most its last 100 ms of CPU time.
 *
 * Processes are told apart by their command line: the `pulumi` CLI (the engine) is the root; the
 * engine starts `pulumi-language-nodejs` (the language host), which starts `node .../cmd/run` (the
 * program), and `pulumi-resource-pulumi-nodejs` (the dynamic provider), see scripts/engine/.
 */
export type Role = "engine" | "language host" | "program" | "provider" | "other";

export interface ProcessPeak {
  pid: number;
  role: Role;
  peakRssKiB: number;
  /** `wchar` of /proc/<pid>/io at the last poll: bytes passed to write() and the like (files, pipes, sockets). */
  writtenBytes: number;
  /** CPU time (user + system, /proc/<pid>/stat) at the last poll, in seconds. */
  cpuSeconds: number;
  /** When a poll first saw the process (ms since the epoch). */
  firstSeenAt: number;
}

/** Per role: the largest peak among its processes, how many processes there were, and the bytes they wrote. */
export type PeaksByRole = Partial<Record<Role, { peakRssKiB: number; processes: number; writtenBytes?: number; cpuSeconds?: number; firstSeenAt?: number }>>;

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** utime + stime of /proc/<pid>/stat in seconds; the fields after the command name, which may hold spaces. */
export function cpuSecondsOf(stat: string | undefined): number | undefined {
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]), stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : undefined;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined; // gone
  }
}

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    for (const c of (read(`/proc/${pid}/task/${tid}/children`) ?? "").split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

function roleOf(pid: number, root: number): Role {
  if (pid === root) return "engine";
  const cmd = (read(`/proc/${pid}/cmdline`) ?? "").split("\0").join(" ");
  // The dynamic provider: Pulumi's `pulumi-resource-pulumi-nodejs` shell script and the node process it
  // starts (`node .../@pulumi/pulumi/cmd/dynamic-provider`); the plugin's launcher and its node.
  if (/pulumi-resource-(pulumi-nodejs|keycloak-registration)|[\\/]cmd[\\/]dynamic-provider\b/.test(cmd)) return "provider";
  if (cmd.includes("pulumi-language-nodejs")) return "language host";
  if (/[\\/]cmd[\\/]run\b/.test(cmd)) return "program";
  return "other";
}

export interface TreeSampler {
  /** Takes a last sample and stops. */
  stop(): ProcessPeak[];
}

export function sampleTree(root: number, everyMs = 100): TreeSampler {
  const seen = new Map<number, ProcessPeak>();
  const tick = () => {
    const queue = [root];
    const visited = new Set<number>();
    while (queue.length) {
      const pid = queue.shift()!;
      if (visited.has(pid)) continue;
      visited.add(pid);
      const status = read(`/proc/${pid}/status`);
      if (!status) continue;
      const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      let entry = seen.get(pid);
      if (!entry) {
        entry = { pid, role: roleOf(pid, root), peakRssKiB: 0, writtenBytes: 0, cpuSeconds: 0, firstSeenAt: Date.now() };
        seen.set(pid, entry);
      }
      // A node launcher re-reads its cmdline once it has exec'd; classify again until it is known.
      if (entry.role === "other") entry.role = roleOf(pid, root);
      entry.peakRssKiB = Math.max(entry.peakRssKiB, hwm);
      const wchar = Number(/^wchar:\s+(\d+)/m.exec(read(`/proc/${pid}/io`) ?? "")?.[1] ?? 0);
      entry.writtenBytes = Math.max(entry.writtenBytes, wchar);
      entry.cpuSeconds = Math.max(entry.cpuSeconds, cpuSecondsOf(read(`/proc/${pid}/stat`)) ?? 0);
      queue.push(...childrenOf(pid));
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return [...seen.values()];
    },
  };
}

export function peaksByRole(peaks: ProcessPeak[]): PeaksByRole {
  const out: PeaksByRole = {};
  for (const p of peaks) {
    const r = (out[p.role] ??= { peakRssKiB: 0, processes: 0, writtenBytes: 0, cpuSeconds: 0 });
    r.processes++;
    r.peakRssKiB = Math.max(r.peakRssKiB, p.peakRssKiB);
    r.writtenBytes = (r.writtenBytes ?? 0) + p.writtenBytes;
    r.cpuSeconds = (r.cpuSeconds ?? 0) + p.cpuSeconds;
    r.firstSeenAt = Math.min(r.firstSeenAt ?? Infinity, p.firstSeenAt);
  }
  return out;
}
