/**
 * The port of a new persistent Keycloak (the demo's): a stopped server keeps its port (its clients
 * know it by URL), so a new server must not take a port that is free only because the server that
 * claimed it is stopped. Two demo runs from different directories at the same time (CI runs the
 * demo suite under two Node.js versions) once collided this way. No Keycloak is started here: the
 * claims live in a temporary cache directory, the ports in a range the operating system just
 * handed out.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { claimNewPort, claimRecordedPort, writeRecord } from "../bed/keycloak";
import { freePort } from "../bed/util";

describe("persistent Keycloak ports: claimed per directory, kept while stopped", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-ports-"));
  const saved = process.env.KCREG_CACHE_DIR;
  const quiet = (): void => {};
  let from: number;
  const serverDir = (name: string): string => {
    const d = path.join(root, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };

  beforeAll(async () => {
    process.env.KCREG_CACHE_DIR = path.join(root, "cache");
    // A free port from the kernel's ephemeral range, so the 100 above it are most likely free too.
    from = await freePort();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.KCREG_CACHE_DIR;
    else process.env.KCREG_CACHE_DIR = saved;
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("a stopped server's recorded port is not handed to another directory; the claim names its directory", async () => {
    const a = serverDir("a");
    const pa = await claimNewPort(a, quiet, from);
    writeRecord(a, { version: "26.7.3", port: pa }); // first start done, server stopped: pa is free again
    const b = serverDir("b");
    const pb = await claimNewPort(b, quiet, from);
    expect(pb).not.toBe(pa);
    expect(JSON.parse(fs.readFileSync(path.join(root, "cache", "persistent-ports", `${pa}.json`), "utf8"))).toEqual({ dir: a });
    expect(JSON.parse(fs.readFileSync(path.join(root, "cache", "persistent-ports", `${pb}.json`), "utf8"))).toEqual({ dir: b });
  });

  test("a first start still in progress (a claim, no record yet) keeps its port", async () => {
    const c = serverDir("c");
    const pc = await claimNewPort(c, quiet, from);
    const d = serverDir("d");
    expect(await claimNewPort(d, quiet, from)).not.toBe(pc);
    // The same directory asking again (an interrupted first start retried) gets its own claim back.
    expect(await claimNewPort(c, quiet, from)).toBe(pc);
  });

  test("a claim whose directory was deleted, or whose server moved to another port, is taken over", async () => {
    const e = serverDir("e");
    const pe = await claimNewPort(e, quiet, from + 50);
    writeRecord(e, { version: "26.7.3", port: pe });
    fs.rmSync(e, { recursive: true });
    const f = serverDir("f");
    expect(await claimNewPort(f, quiet, from + 50)).toBe(pe);

    writeRecord(f, { version: "26.7.3", port: pe + 7 }); // f now records another port: its claim on pe is stale
    const g = serverDir("g");
    expect(await claimNewPort(g, quiet, from + 50)).toBe(pe);
  });

  test("a port taken by another program is skipped", async () => {
    const start = from + 80;
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(start, "127.0.0.1", resolve));
    try {
      expect(await claimNewPort(serverDir("h"), quiet, start)).toBe(start + 1);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  test("a recorded port claimed by another directory's server is refused, naming that directory", async () => {
    const i = serverDir("i");
    const pi = await claimNewPort(i, quiet, from + 90);
    writeRecord(i, { version: "26.7.3", port: pi });
    const j = serverDir("j");
    expect(await claimRecordedPort(j, pi, quiet)).toBe(i);
    // Its own recorded port, unclaimed (a server older than claims): claimed for it.
    expect(await claimRecordedPort(j, pi + 3, quiet)).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(path.join(root, "cache", "persistent-ports", `${pi + 3}.json`), "utf8"))).toEqual({ dir: j });
  });
});
