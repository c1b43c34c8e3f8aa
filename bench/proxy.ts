import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A counting HTTP proxy on 127.0.0.1 between a client (the provider, or the raw-API floor) and
 * Keycloak: every request and every TCP connection the client opens is counted. Upstream, the proxy
 * keeps its own connections alive, so it adds one loopback hop and nothing else. `Host` is rewritten
 * to Keycloak's, as test/bed/faultProxy.ts does, so tokens carry Keycloak's own issuer.
 */
export interface SeenRequest {
  method: string;
  path: string;
  status?: number;
  /** When the proxy received the request, and when it finished sending the answer (ms since the epoch). */
  at: number;
  doneAt?: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly requests: readonly SeenRequest[];
  /** TCP connections accepted since the last `reset()`. */
  readonly connections: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const requests: SeenRequest[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const seen: SeenRequest = { method: (req.method ?? "GET").toUpperCase(), path: req.url ?? "/", at: Date.now() };
    res.on("finish", () => (seen.doneAt = Date.now()));
    requests.push(seen);
    const upstreamReq = http.request(
      { host: target.hostname, port: target.port, method: seen.method, path: seen.path, headers: { ...req.headers, host: target.host }, agent },
      (upstreamRes) => {
        seen.status = upstreamRes.statusCode;
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", () => req.socket.destroy());
    req.pipe(upstreamReq);
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    reset() {
      requests.length = 0;
      connections = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Requests grouped as "METHOD kind", e.g. "POST registration", "GET existence probe". */
export function byKind(requests: readonly SeenRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) {
    const kind = r.path.includes("/protocol/openid-connect/auth")
      ? "existence probe"
      : r.path.includes("/protocol/openid-connect/token")
        ? "token"
        : r.path.includes("/admin/")
          ? "admin"
          : r.path.includes("/clients-registrations/")
            ? "registration"
            : "other";
    const key = `${r.method} ${kind}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** When the first request arrived and the last answer went out, relative to `since` (seconds), and the most requests in flight at once. */
export function requestWindow(requests: readonly SeenRequest[], since: number): { first: number; last: number; maxInFlight: number } | undefined {
  if (!requests.length) return undefined;
  const events = requests.flatMap((r) => [
    { t: r.at, d: 1 },
    { t: r.doneAt ?? r.at, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let inFlight = 0;
  let maxInFlight = 0;
  for (const e of events) maxInFlight = Math.max(maxInFlight, (inFlight += e.d));
  const first = Math.min(...requests.map((r) => r.at));
  const last = Math.max(...requests.map((r) => r.doneAt ?? r.at));
  return { first: (first - since) / 1000, last: (last - since) / 1000, maxInFlight };
}
