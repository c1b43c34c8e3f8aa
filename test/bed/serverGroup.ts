/**
 * Lifetime of the servers the test bed starts (Keycloak, PostgreSQL): each runs in a process group
 * of its own (spawned detached, pgid = pid) with a throw-away directory, and must not outlive the
 * process that started it, however that process ends:
 *
 * - `stop()` sends the server's shutdown signal, SIGKILL after a grace period, and waits until every
 *   member of the group is gone;
 * - a normal exit or SIGINT/SIGTERM/SIGHUP of the parent sends the shutdown signal to every group
 *   still running;
 * - a detached watchdog (its own session, so it outlives a SIGKILLed parent and ignores the
 *   terminal's Ctrl-C) polls the parent; once the parent is gone it stops the group (shutdown
 *   signal, SIGKILL after 15 s) and removes the directory. It exits by itself once the group is gone.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";

export interface GuardedServer {
  /** Stops the group (idempotent): shutdown signal, SIGKILL after `graceMs`; throws if it survives that. */
  stop(graceMs: number): Promise<void>;
}

/** Every group started by this process and not stopped yet, with its shutdown signal. */
const running = new Map<number, NodeJS.Signals>();
let hooksInstalled = false;

/**
 * Puts the process group `pgid` under guard: parent hooks and a watchdog that removes `dir` (if
 * given: a server whose data must survive passes none) once the group is gone. `what` names the
 * server in errors.
 */
export function guardServerGroup(pgid: number, dir: string | undefined, shutdownSignal: NodeJS.Signals, what: string): GuardedServer {
  running.set(pgid, shutdownSignal);
  installParentHooks();
  startWatchdog(pgid, dir, shutdownSignal);
  return {
    async stop(graceMs) {
      if (signalGroup(pgid, shutdownSignal) && !(await waitGroupGone(pgid, graceMs))) {
        signalGroup(pgid, "SIGKILL");
        if (!(await waitGroupGone(pgid, 10_000))) throw new Error(`${what} process group ${pgid} survived SIGKILL`);
      }
      running.delete(pgid);
    },
  };
}

function installParentHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Normal exit (also process.exit()): we cannot wait here; signal the groups, the watchdog
  // escalates to SIGKILL and removes the directories.
  process.on("exit", () => {
    for (const [pgid, sig] of running) signalGroup(pgid, sig);
  });
  for (const parentSignal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      for (const [pgid, sig] of running) signalGroup(pgid, sig);
      process.removeListener(parentSignal, handler);
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(parentSignal) === 0) process.kill(process.pid, parentSignal);
    };
    process.on(parentSignal, handler);
  }
}

/** Sends `sig` to the group; false when no member is left (signal 0 only asks). */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!signalGroup(pgid, 0)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !signalGroup(pgid, 0);
}

/**
 * True when a process of the group `pgid` listens on TCP `port` (Linux /proc): a server that answers
 * on its port may be another one that took the port first (two starts racing for the same free port).
 */
export function groupListensOn(pgid: number, port: number): boolean {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = fs.readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is field 9.
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === "0A") inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return false;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 5 (pgrp) comes after the parenthesised command name.
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      for (const fd of fs.readdirSync(`/proc/${entry}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return true;
      }
    } catch {
      /* gone */
    }
  }
  return false;
}

/** Start time of a process in clock ticks (Linux), to tell a PID from a later reuse of it. */
export function procStartTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "x";
  } catch {
    return "x";
  }
}

function startWatchdog(pgid: number, dir: string | undefined, shutdownSignal: NodeJS.Signals): void {
  const script = `
const fs = require("fs");
const [ppid, pstart, pgid, dir, sig] = process.argv.slice(1);
const startTime = (pid) => { try { const s = fs.readFileSync("/proc/" + pid + "/stat", "utf8"); return s.slice(s.lastIndexOf(")") + 2).split(" ")[19]; } catch { return "x"; } };
const alive = (pid) => { try { process.kill(pid, 0); } catch (e) { return e.code === "EPERM"; } return pstart === "x" || startTime(pid) === pstart; };
const groupAlive = () => { try { process.kill(-Number(pgid), 0); return true; } catch (e) { return e.code === "EPERM"; } };
const done = () => { try { if (dir) fs.rmSync(dir, { recursive: true, force: true }); } catch {} process.exit(0); };
const poll = setInterval(() => {
  if (!groupAlive()) done();
  if (alive(Number(ppid))) return;
  clearInterval(poll);
  try { process.kill(-Number(pgid), sig); } catch {}
  const t0 = Date.now();
  setInterval(() => {
    if (!groupAlive()) done();
    if (Date.now() - t0 > 15000) { try { process.kill(-Number(pgid), "SIGKILL"); } catch {} }
    if (Date.now() - t0 > 60000) process.exit(1);
  }, 200);
}, 500);
`;
  const wd = spawn(process.execPath, ["-e", script, String(process.pid), procStartTime(process.pid), String(pgid), dir ?? "", shutdownSignal], {
    detached: true,
    stdio: "ignore",
    env: {},
  });
  wd.unref();
}
