/**
 * Loopback servers that play hostile or broken peers for the trust-boundary suite (issue 11):
 *
 * - {@link startForeignServer}: a server on another origin that nothing should ever call. It answers
 *   like a willing registration server, so a provider that strays there would carry on unnoticed.
 * - {@link startHostileRegistrationServer}: an RFC 7591/7592 server that names a client URI on a foreign
 *   origin or on http:// (its TLS port also speaks plain HTTP, so a downgrade reaches it and is counted),
 *   moves the URI in an update's answer, or answers as a proxy would (HTML 404, 403).
 * - {@link startKeycloakFront}: a tampering front of the real Keycloak: forwards everything (Host
 *   rewritten, so tokens work through it and directly), but can trickle an answer, fail a GET once a
 *   write went through, answer a proxy's HTML page, reset, or rewrite an answer.
 *
 * Every server counts every request and records which credentials reached it. A shared
 * {@link CredentialLedger} knows for which origin each credential was issued: the fronts and the
 * hostile server enter the tokens and secrets their answers carry, the test enters the ones it
 * configures. A known credential seen at any other origin is a violation, counted at the server that
 * received it. Values are never recorded or printed, only their labels.
 */
import { createHash, randomBytes } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type { AddressInfo } from "node:net";

// ---------------------------------------------------------------------------------------------
// The ledger: which credential was issued for which origin, and where each one arrived.
// ---------------------------------------------------------------------------------------------

export interface Violation {
  /** The credential's label (never its value). */
  label: string;
  /** The bases (origins, or origins with a path) it was issued for. */
  issuedFor: string[];
  /** The server and origin it reached. */
  server: string;
  origin: string;
  method: string;
  path: string;
}

export class CredentialLedger {
  private readonly issued = new Map<string, { label: string; bases: Set<string> }>();
  private readonly counters = new Map<string, number>();
  /** Every known credential that reached a URL outside the bases it was issued for. */
  readonly violations: Violation[] = [];

  /**
   * Records that `value` was issued for `base`: an origin (scheme://host:port, every path on it) or an
   * origin with a path (http://127.0.0.1:1234/kc-a: that path and below only, as behind a gateway that
   * routes paths to different servers). Short values are ignored: they cannot be issued secrets.
   */
  issue(label: string, value: unknown, base: string): void {
    if (typeof value !== "string" || value.length < 16) return;
    const entry = this.issued.get(value);
    if (entry) {
      entry.bases.add(base);
      return;
    }
    const n = (this.counters.get(label) ?? 0) + 1;
    this.counters.set(label, n);
    this.issued.set(value, { label: n === 1 ? label : `${label} #${n}`, bases: new Set([base]) });
  }

  /** The label of a known value, or undefined. */
  labelOf(value: string | undefined): string | undefined {
    return value === undefined ? undefined : this.issued.get(value)?.label;
  }

  /** Where `value` may go, or undefined when it is not known. */
  originsOf(value: string): string[] | undefined {
    const e = this.issued.get(value);
    return e ? [...e.bases] : undefined;
  }

  /**
   * The labels of the known credentials in one request's headers and body, as received by `server`
   * at `origin` for `path`; each one issued for no base that holds `origin` + `path` is recorded as a
   * violation.
   */
  inspect(server: string, origin: string, method: string, path: string, text: string): string[] {
    const found: string[] = [];
    const url = origin + path.replace(/[?#].*$/, "");
    for (const [value, { label, bases }] of this.issued) {
      if (!text.includes(value)) continue;
      found.push(label);
      if (![...bases].some((b) => url === b || url.startsWith(`${b}/`))) this.violations.push({ label, issuedFor: [...bases], server, origin, method, path });
    }
    return found;
  }

  /** The labels of the known credentials that appear in `text` (e.g. an error message: should be none). */
  labelsIn(text: string): string[] {
    return [...this.issued].filter(([value]) => text.includes(value)).map(([, e]) => e.label);
  }

  /** How many known credentials there are. */
  get size(): number {
    return this.issued.size;
  }
}

// ---------------------------------------------------------------------------------------------
// What every server records.
// ---------------------------------------------------------------------------------------------

export interface RecordedRequest {
  server: string;
  /** scheme://host:port the request arrived at. */
  origin: string;
  method: string;
  /** Path with its query string. */
  path: string;
  /** Labels of the ledger's credentials found in the headers or the body. */
  credentials: string[];
  /** Whether an Authorization header was sent (its value is never kept). */
  authorization: boolean;
  /** What the server did instead of (or on top of) answering normally. */
  action?: string;
  /** The status answered. */
  status?: number;
}

interface RequestMatch {
  method?: string;
  /** A string means "the path contains it". */
  path?: RegExp | string;
}

function matches(m: RequestMatch, method: string, path: string): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  return typeof m.path === "string" ? path.includes(m.path) : m.path.test(path);
}

export interface RequestLog {
  /** Every request received, in order (since the last clearRequests). */
  readonly requests: readonly RecordedRequest[];
  /** Requests matching a method and a path pattern. */
  count(method?: string, path?: RegExp | string): number;
  clearRequests(): void;
}

function requestLog(): RequestLog & { push(r: RecordedRequest): void } {
  const requests: RecordedRequest[] = [];
  return {
    requests,
    push: (r) => void requests.push(r),
    count: (method, path) => requests.filter((r) => matches({ method, path }, r.method, r.path)).length,
    clearRequests: () => void (requests.length = 0),
  };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** All header values and the body, as one text to search credentials in (Basic credentials decoded). */
function requestText(req: http.IncomingMessage, body: Buffer): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value ?? ""]) {
      parts.push(v);
      if (name === "authorization" && /^basic /i.test(v)) parts.push(Buffer.from(v.slice(6), "base64").toString("utf8"));
    }
  }
  const text = body.toString("utf8");
  parts.push(text);
  // A form value may arrive percent-encoded.
  try {
    parts.push(decodeURIComponent(text.replace(/\+/g, " ")));
  } catch {
    /* not a form */
  }
  return parts.join("\n");
}

type AsyncListener = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** A handler whose failure (a client that hung up mid-body, say) cuts the connection instead of escaping as an unhandled rejection. */
function guarded(handler: AsyncListener): http.RequestListener {
  return (req, res) => void handler(req, res).catch(() => req.socket.destroy());
}

/** A stoppable HTTP listener on 127.0.0.1 (all connections are cut on close). */
async function listen(handler: AsyncListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(guarded(handler));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const HTML = (status: number, what: string) => `<!DOCTYPE html><html><head><title>${status}</title></head><body><h1>${status}</h1><p>${what}</p></body></html>`;

// ---------------------------------------------------------------------------------------------
// The foreign server.
// ---------------------------------------------------------------------------------------------

export interface ForeignServer extends RequestLog {
  url: string;
  origin: string;
  close(): Promise<void>;
}

/**
 * A server on another origin (another port) that no request should ever reach. It answers like a
 * willing registration server (JSON client metadata, 204 on DELETE), so a provider that strayed
 * there would not notice: only the count tells.
 */
export async function startForeignServer(ledger: CredentialLedger, name = "foreign server"): Promise<ForeignServer> {
  const log = requestLog();
  let origin = "";
  const server = await listen(async (req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const body = await readBody(req);
    const credentials = ledger.inspect(name, origin, method, path, requestText(req, body));
    const status = method === "DELETE" ? 204 : method === "POST" ? 201 : 200;
    log.push({ server: name, origin, method, path, credentials, authorization: req.headers.authorization !== undefined, status });
    if (status === 204) {
      res.writeHead(204).end();
      return;
    }
    const id = /\/([^/?]+)(?:\?|$)/.exec(path)?.[1] ?? "foreign";
    res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ client_id: decodeURIComponent(id), client_name: "served by the foreign server" }));
  });
  origin = `http://127.0.0.1:${server.port}`;
  return { ...log, requests: log.requests, url: origin, origin, close: server.close };
}

// ---------------------------------------------------------------------------------------------
// The hostile RFC 7591/7592 server.
// ---------------------------------------------------------------------------------------------

/** A canned answer to a request on a client's URI, instead of the real one. */
export type CannedAnswer =
  /** A reverse proxy's HTML page: says nothing about the client. */
  | "proxy-html-404"
  | "proxy-html-403"
  /** A proxy's own login wall: a 401 that is not the registration service's. */
  | "proxy-html-401"
  /** The registration service's own JSON errors. */
  | "json-401"
  | "json-403"
  | "json-404";

export interface HostileBehaviour {
  /**
   * Where a create's answer says the client lives: here (default), on the foreign server, here over
   * http:// (with TLS on), or on this origin under another service's path (`/another-tenant/reg/<id>`,
   * outside the endpoint's directory when the server was started with a `prefix`).
   */
  clientUri?: "self" | "foreign" | "http" | "sibling";
  /** An update's answer names a registration_client_uri on the foreign server (the update itself is applied and the token rotated). */
  moveOnUpdate?: boolean;
  /** A read's answer carries a new registration access token (RFC 7592 §2.1 allows a server to rotate it on a read) and names a registration_client_uri on the foreign server. */
  moveOnRead?: boolean;
  read?: CannedAnswer;
  update?: CannedAnswer;
  delete?: CannedAnswer;
}

export interface HostileClient {
  clientId: string;
  metadata: Record<string, unknown>;
  registrationAccessToken: string;
}

export interface HostileRegistrationServer extends RequestLog {
  /** RFC 7591 registration endpoint, e.g. https://127.0.0.1:41234/reg */
  registrationEndpoint: string;
  /** The endpoint's origin: the only one its tokens are issued for. */
  origin: string;
  /** With TLS on: the same host and port over plain http (a downgrade lands here and is counted). */
  plainOrigin?: string;
  /** The initial access token every registration must present. */
  initialAccessToken: string;
  /** Mutable: how the server misbehaves from the next request on. */
  behaviour: HostileBehaviour;
  getClient(clientId: string): HostileClient | undefined;
  listClientIds(): string[];
  /** Whether `token` is the client's current registration access token. */
  tokenWorks(clientId: string, token: string | undefined): boolean;
  close(): Promise<void>;
}

function canned(answer: CannedAnswer): { status: number; contentType: string; body: string } {
  switch (answer) {
    case "proxy-html-404":
      return { status: 404, contentType: "text/html", body: HTML(404, "Not Found (nginx)") };
    case "proxy-html-403":
      return { status: 403, contentType: "text/html", body: HTML(403, "Forbidden (nginx)") };
    case "proxy-html-401":
      return { status: 401, contentType: "text/html", body: HTML(401, "Authorization Required (nginx)") };
    case "json-401":
      return { status: 401, contentType: "application/json", body: JSON.stringify({ error: "invalid_token", error_description: "unknown client or token" }) };
    case "json-403":
      return { status: 403, contentType: "application/json", body: JSON.stringify({ error: "access_denied", error_description: "not allowed to manage this client" }) };
    case "json-404":
      return { status: 404, contentType: "application/json", body: JSON.stringify({ error: "invalid_client", error_description: "client not found" }) };
  }
}

/**
 * An RFC 7591/7592 registration server on 127.0.0.1 that misbehaves as {@link HostileBehaviour} says.
 * With `tls`, its port speaks HTTPS and plain HTTP alike (the first byte decides), so a request the
 * provider downgraded to http:// still arrives, at origin http://127.0.0.1:<port>, and is counted.
 * Registration access tokens rotate on every update.
 */
export async function startHostileRegistrationServer(opts: {
  ledger: CredentialLedger;
  /** Where "foreign" URIs point. */
  foreign: ForeignServer;
  tls?: { certificatePem: string; keyPem: string };
  name?: string;
  /** A path the endpoint sits under, as one service behind a path-routing gateway (`/tenant-a`: the endpoint is `/tenant-a/reg`). */
  prefix?: string;
}): Promise<HostileRegistrationServer> {
  const { ledger, foreign } = opts;
  const name = opts.name ?? "hostile registration server";
  const log = requestLog();
  const clients = new Map<string, HostileClient>();
  const initialAccessToken = randomBytes(24).toString("base64url");
  const behaviour: HostileBehaviour = {};
  let port = 0;
  const secureOrigin = () => `https://127.0.0.1:${port}`;
  const plainOrigin = () => `http://127.0.0.1:${port}`;
  const endpointOrigin = () => (opts.tls ? secureOrigin() : plainOrigin());
  const prefix = opts.prefix ?? "";

  const handler = (secure: boolean): AsyncListener => async (req, res) => {
    const origin = secure ? secureOrigin() : plainOrigin();
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const body = await readBody(req);
    const record: RecordedRequest = {
      server: name,
      origin,
      method,
      path,
      credentials: ledger.inspect(name, origin, method, path, requestText(req, body)),
      authorization: req.headers.authorization !== undefined,
    };
    log.push(record);
    const answer = (status: number, payload?: unknown, contentType = "application/json") => {
      record.status = status;
      if (payload === undefined) res.writeHead(status).end();
      else res.writeHead(status, { "Content-Type": contentType }).end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const rejectToken = () => answer(401, { error: "invalid_token", error_description: "the token is not valid for this request" });
    const issueToken = (clientId: string): string => {
      const token = randomBytes(32).toString("base64url");
      ledger.issue(`${name} registration access token`, token, endpointOrigin());
      const c = clients.get(clientId);
      if (c) c.registrationAccessToken = token;
      return token;
    };
    const uriOn = (where: "self" | "foreign" | "http" | "sibling", clientId: string) =>
      where === "sibling"
        ? `${endpointOrigin()}/another-tenant/reg/${encodeURIComponent(clientId)}`
        : `${where === "foreign" ? foreign.origin : where === "http" ? plainOrigin() : endpointOrigin()}${prefix}/reg/${encodeURIComponent(clientId)}`;
    let metadata: Record<string, unknown> = {};
    if (body.length) {
      try {
        metadata = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      } catch {
        answer(400, { error: "invalid_client_metadata", error_description: "the body is not JSON" });
        return;
      }
    }

    if (path === `${prefix}/reg` && method === "POST") {
      if (bearer !== initialAccessToken) return rejectToken();
      const clientId = `hostile-${randomBytes(6).toString("hex")}`;
      const { client_id: _requested, registration_access_token: _t, registration_client_uri: _u, ...declared } = metadata;
      const secret = randomBytes(24).toString("base64url");
      ledger.issue(`${name} client secret`, secret, endpointOrigin());
      clients.set(clientId, { clientId, metadata: { ...declared, client_secret: secret }, registrationAccessToken: "" });
      const token = issueToken(clientId);
      const where = behaviour.clientUri ?? "self";
      if (where !== "self") record.action = `client URI on ${where}`;
      return answer(201, {
        ...declared,
        client_id: clientId,
        client_secret: secret,
        client_secret_expires_at: 0,
        registration_access_token: token,
        registration_client_uri: uriOn(where, clientId),
      });
    }

    const m = path.startsWith(`${prefix}/reg/`) ? /^([^/?]+)$/.exec(path.slice(`${prefix}/reg/`.length)) : null;
    if (!m || !["GET", "PUT", "DELETE"].includes(method)) return answer(404, { error: "not_found" });
    const clientId = decodeURIComponent(m[1]!);
    const override = method === "GET" ? behaviour.read : method === "PUT" ? behaviour.update : behaviour.delete;
    if (override) {
      record.action = override;
      const c = canned(override);
      return answer(c.status, c.body, c.contentType);
    }
    const client = clients.get(clientId);
    // RFC 7592 §2: an unknown client and a wrong token both get 401.
    if (!client || bearer !== client.registrationAccessToken) return rejectToken();
    if (method === "DELETE") {
      clients.delete(clientId);
      return answer(204);
    }
    if (method === "PUT") {
      const { client_id: _id, registration_access_token: _t, registration_client_uri: _u, client_secret: _s, client_secret_expires_at: _e, ...declared } = metadata;
      client.metadata = { ...declared, client_secret: client.metadata.client_secret };
      const token = issueToken(clientId);
      if (behaviour.moveOnUpdate) record.action = "moved the client URI";
      return answer(200, {
        ...client.metadata,
        client_id: clientId,
        client_secret_expires_at: 0,
        registration_access_token: token,
        registration_client_uri: uriOn(behaviour.moveOnUpdate ? "foreign" : "self", clientId),
      });
    }
    if (behaviour.moveOnRead) {
      record.action = "rotated the token on a read and moved the client URI";
      return answer(200, { ...client.metadata, client_id: clientId, client_secret_expires_at: 0, registration_access_token: issueToken(clientId), registration_client_uri: uriOn("foreign", clientId) });
    }
    return answer(200, { ...client.metadata, client_id: clientId, client_secret_expires_at: 0, registration_client_uri: uriOn("self", clientId) });
  };

  const plain = http.createServer(guarded(handler(false)));
  const secure = opts.tls ? https.createServer({ cert: opts.tls.certificatePem, key: opts.tls.keyPem }, guarded(handler(true))) : undefined;
  const sockets = new Set<net.Socket>();
  // One port for both: a TLS ClientHello starts with 0x16.
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (secure && first[0] === 0x16 ? secure : plain).emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(0, "127.0.0.1", () => resolve());
  });
  port = (front.address() as AddressInfo).port;
  ledger.issue(`${name} initial access token`, initialAccessToken, endpointOrigin());

  return {
    ...log,
    requests: log.requests,
    registrationEndpoint: `${endpointOrigin()}${prefix}/reg`,
    origin: endpointOrigin(),
    plainOrigin: opts.tls ? plainOrigin() : undefined,
    initialAccessToken,
    behaviour,
    getClient: (clientId) => clients.get(clientId),
    listClientIds: () => [...clients.keys()],
    tokenWorks: (clientId, token) => token !== undefined && clients.get(clientId)?.registrationAccessToken === token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        plain.closeAllConnections();
        secure?.closeAllConnections();
        front.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The tampering front of Keycloak.
// ---------------------------------------------------------------------------------------------

export type FrontAction =
  /** Answer a reverse proxy's HTML page with this status; the request is not forwarded. */
  | { kind: "html"; status: number }
  /** Cut the connection before forwarding. */
  | { kind: "reset" }
  /** Forward, then send Keycloak's answer with its full Content-Length but one byte every `intervalMs`. */
  | { kind: "trickle"; intervalMs: number }
  /** Forward, then rewrite Keycloak's JSON answer. */
  | { kind: "edit"; edit: (body: Record<string, unknown>) => Record<string, unknown> };

export interface FrontRule extends RequestMatch {
  action: FrontAction;
  /** How many matching requests get the action (default: every one). */
  times?: number;
  /**
   * Only once a POST or PUT through the front was answered 2xx after the rule was added: e.g. the
   * `install` GET that follows a successful write.
   */
  afterWrite?: boolean;
}

export interface KeycloakFront extends RequestLog {
  /** Give this to the provider as serverUrl (with mounts: the first mount's). */
  url: string;
  origin: string;
  /** The serverUrl of Keycloak under one of the front's mounts. */
  urlAt(mount: string): string;
  /** How many actions were taken since the front started. */
  readonly actionsTaken: number;
  addRule(rule: FrontRule): void;
  clearRules(): void;
  close(): Promise<void>;
}

/** JSON fields of Keycloak's answers that carry a credential, entered in the ledger for the front's origin. */
const ISSUED_FIELDS = ["registrationAccessToken", "registration_access_token", "access_token", "refresh_token", "secret", "client_secret", "token"];

export interface FrontOptions {
  /**
   * Serve Keycloak under these path prefixes only (e.g. ["/kc-a", "/kc-b"]), as a gateway that routes
   * paths to different Keycloaks on one origin: the prefix is stripped before forwarding, credentials
   * in an answer are issued for the prefix they came through, and any other path is answered 404.
   */
  mounts?: string[];
}

/**
 * A front of the real Keycloak at `upstream` on its own loopback port (its own origin): the provider
 * is given the front's URL as serverUrl. Host is rewritten to the upstream's, so Keycloak issues
 * tokens for its own URL and they work through any front and directly.
 */
export async function startKeycloakFront(upstream: string, ledger: CredentialLedger, name = "Keycloak front", options: FrontOptions = {}): Promise<KeycloakFront> {
  const target = new URL(upstream);
  const log = requestLog();
  const rules: Array<FrontRule & { left: number; armed: boolean }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let actionsTaken = 0;
  let origin = "";

  const server = await listen(async (req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const body = await readBody(req);
    const record: RecordedRequest = {
      server: name,
      origin,
      method,
      path,
      credentials: ledger.inspect(name, origin, method, path, requestText(req, body)),
      authorization: req.headers.authorization !== undefined,
    };
    log.push(record);
    const mount = options.mounts?.find((m) => path === m || path.startsWith(`${m}/`) || path.startsWith(`${m}?`));
    if (options.mounts && mount === undefined) {
      record.status = 404;
      res.writeHead(404, { "Content-Type": "text/html" }).end(HTML(404, "no server is mounted at this path"));
      return;
    }
    const upstreamPath = mount === undefined ? path : path.slice(mount.length) || "/";
    const issuedFor = origin + (mount ?? "");
    const rule = rules.find((r) => r.left > 0 && r.armed && matches(r, method, path));
    if (rule) {
      rule.left--;
      actionsTaken++;
      record.action = rule.action.kind === "html" ? `html ${rule.action.status}` : rule.action.kind;
    }
    const action = rule?.action;

    if (action?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (action?.kind === "html") {
      record.status = action.status;
      res.writeHead(action.status, { "Content-Type": "text/html" }).end(HTML(action.status, "answered by a proxy in front of Keycloak"));
      return;
    }

    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host, "content-length": String(body.length) };
    delete headers["transfer-encoding"];
    const upstreamRes = await new Promise<http.IncomingMessage | undefined>((resolve) => {
      // A connection per request: a kept-alive socket Keycloak closed meanwhile would reset the provider's request.
      const r = http.request({ host: target.hostname, port: target.port, method, path: upstreamPath, headers, agent: false }, resolve);
      r.on("error", () => resolve(undefined));
      r.end(body);
    });
    if (!upstreamRes) {
      req.socket.destroy();
      return;
    }
    let answer = await readBody(upstreamRes);
    const status = upstreamRes.statusCode ?? 502;
    const json = /json/i.test(String(upstreamRes.headers["content-type"] ?? ""));
    if (json && answer.length) {
      try {
        let parsed = JSON.parse(answer.toString("utf8")) as unknown;
        if (action?.kind === "edit" && parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
          parsed = action.edit(parsed as Record<string, unknown>);
          answer = Buffer.from(JSON.stringify(parsed));
        }
        for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
          if (!item || typeof item !== "object") continue;
          for (const field of ISSUED_FIELDS) ledger.issue(`${field} from ${name}`, (item as Record<string, unknown>)[field], issuedFor);
        }
      } catch {
        /* not JSON after all: forwarded as is */
      }
    }
    if ((method === "POST" || method === "PUT") && status >= 200 && status < 300) {
      for (const r of rules) if (r.afterWrite) r.armed = true;
    }
    record.status = status;
    const outHeaders = { ...upstreamRes.headers, "content-length": String(answer.length) };
    delete outHeaders["transfer-encoding"];
    delete outHeaders.connection;
    res.writeHead(status, outHeaders);
    if (action?.kind !== "trickle") {
      res.end(answer);
      return;
    }
    let sent = 0;
    const tick = () => {
      if (res.destroyed || sent >= answer.length) {
        if (!res.destroyed) res.end();
        return;
      }
      res.write(answer.subarray(sent, sent + 1));
      sent++;
      const t = setTimeout(() => {
        timers.delete(t);
        tick();
      }, action.intervalMs);
      timers.add(t);
    };
    tick();
  });
  origin = `http://127.0.0.1:${server.port}`;

  return {
    ...log,
    requests: log.requests,
    url: origin + (options.mounts?.[0] ?? ""),
    origin,
    urlAt: (mount) => origin + mount,
    get actionsTaken() {
      return actionsTaken;
    },
    addRule(rule) {
      rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY, armed: !rule.afterWrite });
    },
    clearRules() {
      rules.length = 0;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return server.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Showing values in assertions without their secrets.
// ---------------------------------------------------------------------------------------------

const SECRET_KEYS = /^(registrationAccessToken|registration_access_token|clientSecret|client_secret|secret|adapterConfig|initialAccessToken|bearerToken|access_token|refresh_token)$/;

/**
 * A deep copy of `value` in which every secret-named field holds a digest of its value instead: two
 * copies still compare equal exactly when the secrets do, and a failed assertion prints no secret.
 */
export function withoutSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v)) as T;
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.test(k) && typeof v === "string" ? `[secret ${createHash("sha256").update(v).digest("hex").slice(0, 12)}]` : withoutSecrets(v);
  }
  return out as T;
}
