/**
 * The request layer against hostile loopback servers: a deadline that covers the whole answer, and
 * (further below) status handling that treats only the registration service's own answers as evidence.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { RequestTimedOut, RegistrationError } from "../../provider/registration/errors";
import { send } from "../../provider/registration/http";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A loopback HTTP server whose answer each test sets; it counts requests and notes when each connection closed. */
async function hostileServer(): Promise<{ url: string; requests: number; closedAt: number[]; handle(h: Handler): void; close(): Promise<void> }> {
  let handler: Handler = (_req, res) => res.writeHead(500).end();
  const state = { requests: 0, closedAt: [] as number[] };
  const server = http.createServer((req, res) => {
    state.requests++;
    res.on("close", () => state.closedAt.push(Date.now()));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    closedAt: state.closedAt,
    handle: (h) => (handler = h),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let server: Awaited<ReturnType<typeof hostileServer>>;
const timers = new Set<NodeJS.Timeout>();
beforeAll(async () => {
  server = await hostileServer();
});
afterEach(() => {
  for (const t of timers) clearInterval(t);
  timers.clear();
});
afterAll(async () => server?.close());

const ctx = { operation: "read", serverUrl: "", realm: "hostile", clientId: "c" };

async function failure(p: Promise<unknown>): Promise<RegistrationError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RegistrationError);
  return e as RegistrationError;
}

/** Answers 200 at once, then one byte of JSON every 700 ms: 8 chunks, 5.6 s in all. */
const trickle: Handler = (_req, res) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  const chunks = `{"clientId":"c"}`.padEnd(8, " ").split("");
  res.write(chunks.shift()!);
  const t = setInterval(() => {
    if (res.destroyed) return clearInterval(t);
    const next = chunks.shift();
    if (next === undefined) {
      clearInterval(t);
      res.end();
    } else res.write(next);
  }, 700);
  timers.add(t);
};

describe("timeoutSeconds is a deadline for the whole request", () => {
  test.each(["POST", "GET"] as const)("a %s whose body trickles every 700 ms fails with RequestTimedOut after about 1 s, not after the trickle", async (method) => {
    server.handle(trickle);
    const before = server.requests;
    const started = Date.now();
    const e = await failure(send({ method, url: `${server.url}/trickle`, ctx: { ...ctx, serverUrl: server.url }, body: method === "POST" ? {} : undefined }, { timeoutMs: 1000, retries: 0 }));
    const elapsed = Date.now() - started;
    expect(e).toBeInstanceOf(RequestTimedOut);
    expect(e.code).toBe("timeout");
    expect(e.message).toContain("no answer within 1 s, the deadline for the whole request, body included");
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1600);
    expect(server.requests - before).toBe(1);
    // The connection was dropped at the deadline: the server saw it close long before its 5.6 s trickle ended.
    await new Promise((r) => setTimeout(r, 100));
    expect(server.closedAt.at(-1)! - started).toBeLessThan(1700);
  });

  test("an answer that completes inside the deadline is not cut off, though it took longer than one idle interval", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"clientId":');
      setTimeout(() => res.end('"c"}'), 700);
    });
    const res = await send<{ clientId: string }>({ method: "GET", url: `${server.url}/slow-but-in-time`, ctx: { ...ctx, serverUrl: server.url } }, { timeoutMs: 1000, retries: 0 });
    expect(res.data).toEqual({ clientId: "c" });
  });

  test("each retry of an idempotent request gets its own deadline", async () => {
    server.handle(trickle);
    const before = server.requests;
    const started = Date.now();
    const e = await failure(send({ method: "GET", url: `${server.url}/trickle`, ctx: { ...ctx, serverUrl: server.url } }, { timeoutMs: 1000, retries: 1 }));
    expect(e).toBeInstanceOf(RequestTimedOut);
    expect(server.requests - before).toBe(2);
    // Two deadlines and one backoff of 250 ms ± 25 %.
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
