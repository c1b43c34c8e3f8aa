import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fault-injecting HTTP proxy on 127.0.0.1 that sits between the provider and Keycloak: the
 * provider is simply given the proxy's URL as its serverUrl. Every request is counted; rules decide
 * which requests fail and how.
 *
 * The proxy rewrites `Host` to the upstream's, so Keycloak issues tokens for its own URL and the same
 * tokens work through the proxy and directly (Keycloak checks a token's issuer against the request's host).
 */

export type Fault =
  /** Destroy the connection before anything is forwarded: the server never sees the request. */
  | { kind: "reset" }
  /** Forward the request and wait for the whole answer, then destroy the connection: the server did the work, the client never hears. */
  | { kind: "drop-response" }
  /** Hold the request for `ms` (past the client's timeout), then forward it if the client is still there. */
  | { kind: "delay"; ms: number }
  /** Answer this status at once (e.g. 502 or 503) without forwarding. */
  | { kind: "status"; status: number };

export interface FaultRule {
  /** Matches any method when left out. */
  method?: string;
  /** Matched against the path with its query string; a string means "the path contains it". */
  path?: RegExp | string;
  fault: Fault;
  /** How many matching requests get the fault (default: every one). */
  times?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** The fault injected, if any. */
  fault?: Fault["kind"];
}

export interface FaultProxy {
  /** The proxy's base URL, e.g. http://127.0.0.1:41234: give it to the provider as serverUrl. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly SeenRequest[];
  /** How many faults were injected since the proxy started (never reset). */
  readonly faultsInjected: number;
  /** Adds a rule; rules are tried in the order they were added, the first with times left wins. */
  addRule(rule: FaultRule): void;
  /** Removes all rules (requests and counters stay). */
  clearRules(): void;
  /** Forgets the requests seen so far (not `faultsInjected`). */
  clearRequests(): void;
  /** Requests matching a method and a path pattern. */
  count(method?: string, path?: RegExp | string): number;
  close(): Promise<void>;
}

function matches(rule: { method?: string; path?: RegExp | string }, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === "string" ? path.includes(rule.path) : rule.path.test(path);
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: Array<FaultRule & { left: number }> = [];
  const requests: SeenRequest[] = [];
  let faultsInjected = 0;
  const sockets = new Set<import("node:net").Socket>();

  const server = http.createServer((req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const rule = rules.find((r) => r.left > 0 && matches(r, method, path));
    const seen: SeenRequest = { method, path };
    requests.push(seen);
    if (rule) {
      rule.left--;
      faultsInjected++;
      seen.fault = rule.fault.kind;
    }
    const fault = rule?.fault;

    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      req.resume();
      res.writeHead(fault.status, { "Content-Type": "text/html" });
      res.end(`<html><body>${fault.status} injected by the test proxy</body></html>`);
      return;
    }

    const forward = () => {
      if (req.socket.destroyed) return;
      const headers = { ...req.headers, host: target.host };
      const upstreamReq = http.request(
        { host: target.hostname, port: target.port, method, path, headers },
        (upstreamRes) => {
          if (fault?.kind === "drop-response") {
            // Let the server finish (read its whole answer), then hang up on the client.
            upstreamRes.resume();
            upstreamRes.on("end", () => req.socket.destroy());
            return;
          }
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on("error", () => req.socket.destroy());
      req.pipe(upstreamReq);
    };
    if (fault?.kind === "delay") {
      // Buffer the body meanwhile so it can still be forwarded.
      req.pause();
      setTimeout(forward, fault.ms).unref();
    } else {
      forward();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (s) => {
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
    get faultsInjected() {
      return faultsInjected;
    },
    addRule(rule) {
      rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clearRules() {
      rules.length = 0;
    },
    clearRequests() {
      requests.length = 0;
    },
    count(method, path) {
      return requests.filter((r) => matches({ method, path }, r.method, r.path)).length;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
