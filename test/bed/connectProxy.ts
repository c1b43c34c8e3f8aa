/**
 * A corporate proxy on 127.0.0.1 for the provider's proxy support: it opens CONNECT tunnels (and
 * counts them), keeps every byte that crosses it in either direction, and answers any plain
 * (absolute-form) HTTP request with 502 after noting it. Optional: it demands Proxy-Authorization,
 * or plays a TLS-intercepting proxy that presents its own certificate instead of tunnelling.
 */
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";

export interface ConnectProxy {
  /** e.g. http://127.0.0.1:41234: what HTTPS_PROXY is set to. */
  readonly url: string;
  /** Each CONNECT, in order: the target (host:port) and the request headers the proxy saw. */
  readonly connects: ReadonlyArray<{ target: string; headers: http.IncomingHttpHeaders }>;
  /** Plain HTTP requests (not tunnelled): the proxy could read them. */
  readonly plainRequests: ReadonlyArray<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  /** Every byte the proxy saw, both directions, request heads included. */
  seen(): Buffer;
  /** In intercept mode: what the client sent inside the TLS session the proxy terminated. */
  intercepted(): Buffer;
  /** Tunnel faithfully (default), or terminate TLS with this certificate like an inspecting proxy. */
  setMode(mode: "tunnel" | { intercept: { certificatePem: string; keyPem: string } }): void;
  /** Demand these proxy credentials (407 otherwise); undefined lets everyone through. */
  requireCredentials(credentials: { user: string; password: string } | undefined): void;
  /** Closes every open tunnel (clients' kept-alive sockets die with them) and forgets what was seen and counted. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const connects: Array<{ target: string; headers: http.IncomingHttpHeaders }> = [];
  const plainRequests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }> = [];
  let seen: Buffer[] = [];
  let intercepted: Buffer[] = [];
  let mode: Parameters<ConnectProxy["setMode"]>[0] = "tunnel";
  let credentials: { user: string; password: string } | undefined;
  const sockets = new Set<net.Socket>();

  const head = (req: http.IncomingMessage) => `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n${req.rawHeaders.map((v, i) => (i % 2 ? `${v}\r\n` : `${v}: `)).join("")}\r\n`;
  const authorized = (req: http.IncomingMessage) =>
    !credentials || req.headers["proxy-authorization"] === `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;

  const server = http.createServer((req, res) => {
    seen.push(Buffer.from(head(req)));
    plainRequests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.on("data", (d: Buffer) => seen.push(d));
    req.on("end", () => res.writeHead(502, { "Content-Type": "text/plain" }).end("this proxy forwards no plain HTTP"));
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, early: Buffer) => {
    seen.push(Buffer.from(head(req)));
    const target = req.url ?? "";
    connects.push({ target, headers: req.headers });
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (mode !== "tunnel") {
      const { certificatePem, keyPem } = mode.intercept;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      const terminated = new tls.TLSSocket(client, { isServer: true, cert: certificatePem, key: keyPem });
      terminated.on("data", (d: Buffer) => intercepted.push(d));
      terminated.on("error", () => client.destroy());
      return;
    }
    const [host, port] = splitTarget(target);
    const upstream = net.connect(port, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (early.length) {
        seen.push(early);
        upstream.write(early);
      }
      client.on("data", (d: Buffer) => seen.push(d));
      upstream.on("data", (d: Buffer) => seen.push(d));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    plainRequests,
    seen: () => Buffer.concat(seen),
    intercepted: () => Buffer.concat(intercepted),
    setMode: (m) => (mode = m),
    requireCredentials: (c) => (credentials = c),
    reset: async () => {
      await Promise.all([...sockets].map((s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : (s.once("close", () => resolve()), s.destroy())))));
      // Let the clients' agents see their sockets close before the next request picks one.
      await new Promise((r) => setTimeout(r, 20));
      connects.length = 0;
      plainRequests.length = 0;
      seen = [];
      intercepted = [];
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function splitTarget(target: string): [string, number] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  if (!m) throw new Error(`CONNECT target without a port: ${target}`);
  return [m[1]!, Number(m[2])];
}

/**
 * An HTTPS front for an HTTP server (the bed's Keycloak): TLS with the given certificate, every
 * request forwarded with `Host` rewritten to the upstream's (Keycloak checks a token's issuer against
 * it, so tokens issued directly work through the front). Counts requests and whether they carried Authorization.
 */
export interface TlsFront {
  readonly url: string;
  readonly requests: ReadonlyArray<{ method: string; path: string; authorization: boolean; proxyAuthorization: boolean }>;
  close(): Promise<void>;
}

export async function startTlsFront(upstream: string, certificate: { certificatePem: string; keyPem: string }): Promise<TlsFront> {
  const target = new URL(upstream);
  const requests: Array<{ method: string; path: string; authorization: boolean; proxyAuthorization: boolean }> = [];
  const server = https.createServer({ cert: certificate.certificatePem, key: certificate.keyPem }, (req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization !== undefined, proxyAuthorization: req.headers["proxy-authorization"] !== undefined });
    const forwarded = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => res.headersSent ? res.destroy() : res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
