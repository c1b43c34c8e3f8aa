/**
 * The request layer against hostile loopback servers: a deadline that covers the whole answer, and
 * (further below) status handling that treats only the registration service's own answers as evidence.
 */
import { execFile } from "node:child_process";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { createPrivateCa, type PrivateCa } from "../bed/privateCa";
import {
  AmbiguousResponse,
  ClientNotFound,
  ClientPolicyRejected,
  CredentialsRejected,
  PolicyRejected,
  RealmNotFound,
  RegistrationAccessTokenRejected,
  RegistrationError,
  RequestForbidden,
  RequestTimedOut,
} from "../../provider/registration/errors";
import { serviceAccountToken } from "../../provider/registration/credentials";
import { send, type TokenKind } from "../../provider/registration/http";

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

/** A token-shaped fake: the messages must never carry it. */
const FAKE_RAT = "eyJhbGciOiJIUzUxMiJ9.eyJ0eXAiOiJSZWdpc3RyYXRpb25BY2Nlc3NUb2tlbiJ9.c2lnbmF0dXJlLW9mLWEtZmFrZQ";

interface Hostile {
  what: string;
  status: number;
  contentType?: string;
  body: string;
  token: TokenKind;
  method?: "GET" | "POST" | "PUT" | "DELETE";
  expected: new (...args: never[]) => RegistrationError;
  code: string;
  /** Phrases the message must carry. */
  says?: string[];
}

const HTML_404 = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p><hr><address>Apache Proxy</address></body></html>";
const JSON_TYPE = "application/json";

const HOSTILE: Hostile[] = [
  // 404: only the registration service's JSON error says the client is gone.
  { what: "Keycloak's own 404 for a missing client", status: 404, contentType: JSON_TYPE, body: '{"error":"invalid_request","error_description":"Client not found"}', token: "bearer token", expected: ClientNotFound, code: "client-not-found" },
  { what: "an HTML 404 page from a proxy", status: 404, contentType: "text/html", body: HTML_404, token: "registration access token", expected: AmbiguousResponse, code: "ambiguous-response", says: ["404 Not Found", "state was kept", "proxy"] },
  { what: "a plain-text 404", status: 404, contentType: "text/plain", body: "404 page not found", token: "registration access token", method: "DELETE", expected: AmbiguousResponse, code: "ambiguous-response", says: ["404 page not found", "state was kept"] },
  { what: "a JSON 404 of another kind of server (Spring's error body)", status: 404, contentType: JSON_TYPE, body: '{"timestamp":"2026-12-01T10:00:00Z","status":404,"error":"Not Found","path":"/realms/r"}', token: "registration access token", expected: AmbiguousResponse, code: "ambiguous-response" },
  { what: "Keycloak's 404 for a path it has no route for", status: 404, contentType: JSON_TYPE, body: '{"error":"HTTP 404 Not Found"}', token: "registration access token", expected: AmbiguousResponse, code: "ambiguous-response" },
  { what: "a JSON-looking 404 served as HTML", status: 404, contentType: "text/html", body: '{"error":"invalid_request","error_description":"Client not found"}', token: "bearer token", expected: AmbiguousResponse, code: "ambiguous-response" },
  { what: "Keycloak's 404 for a missing realm", status: 404, contentType: JSON_TYPE, body: '{"error":"Realm does not exist"}', token: "registration access token", expected: RealmNotFound, code: "realm-not-found", says: ["keeps its state", "pulumi state delete"] },
  // 401: a rejected token only when the answer is an OAuth error.
  { what: "Keycloak's 401 for a dead registration access token", status: 401, contentType: JSON_TYPE, body: '{"error":"invalid_token","error_description":"Not authorized to view client. Not valid token or client credentials provided."}', token: "registration access token", expected: RegistrationAccessTokenRejected, code: "registration-access-token-rejected" },
  { what: "an HTML 401 login page from a gateway", status: 401, contentType: "text/html; charset=utf-8", body: "<html><head><title>Sign in to Corp SSO</title></head><body>login</body></html>", token: "registration access token", expected: AmbiguousResponse, code: "ambiguous-response", says: ["Sign in to Corp SSO", "state was kept"] },
  // 403: never a rejected token, never "gone".
  { what: "an RFC 7592 server's 403 (no permission)", status: 403, contentType: JSON_TYPE, body: '{"error":"access_denied","error_description":"not allowed to manage this client"}', token: "registration access token", method: "DELETE", expected: RequestForbidden, code: "forbidden", says: ["no permission", "keeps its state"] },
  { what: "an HTML 403 from a proxy", status: 403, contentType: "text/html", body: "<html><head><title>Access Denied</title></head><body>blocked by policy</body></html>", token: "registration access token", expected: RequestForbidden, code: "forbidden", says: ["Access Denied", "proxy"] },
  { what: "Keycloak's 403 for an account without create-client", status: 403, contentType: JSON_TYPE, body: '{"error":"insufficient_scope","error_description":"Forbidden"}', token: "service-account token", method: "POST", expected: CredentialsRejected, code: "insufficient-scope", says: ["create-client"] },
  { what: "Keycloak's 403 for a client policy", status: 403, contentType: JSON_TYPE, body: '{"error":"insufficient_scope","error_description":"invalid_client_metadata"}', token: "initial access token", method: "POST", expected: ClientPolicyRejected, code: "client-policy-rejected", says: ["Realm settings > Client policies", "CLIENT_REGISTER_ERROR"] },
  { what: "Keycloak's 403 for a registration policy", status: 403, contentType: JSON_TYPE, body: '{"error":"insufficient_scope","error_description":"Policy \'Trusted Hosts\' rejected request to client-registration service. Details: Host not trusted."}', token: "anonymous", method: "POST", expected: PolicyRejected, code: "policy-rejected", says: ['"Trusted Hosts"'] },
];

test("a URL that does not parse fails as a RegistrationError, whatever the proxy settings", async () => {
  const saved = process.env.HTTPS_PROXY;
  process.env.HTTPS_PROXY = "http://127.0.0.1:1";
  try {
    const e = await failure(send({ method: "GET", url: "https://[not-a-host/realms/r", ctx }, { retries: 0 }));
    expect(e.message).toContain('could not read client "c" in realm "hostile"');
  } finally {
    if (saved === undefined) delete process.env.HTTPS_PROXY;
    else process.env.HTTPS_PROXY = saved;
  }
});

describe("only the registration service's own answers are evidence", () => {
  test.each(HOSTILE)("$what → $expected.name", async (c) => {
    server.handle((_req, res) => res.writeHead(c.status, c.contentType ? { "Content-Type": c.contentType } : {}).end(c.body));
    const before = server.requests;
    const method = c.method ?? "GET";
    const e = await failure(
      send(
        {
          method,
          url: `${server.url}/realms/hostile/clients-registrations/default/c`,
          token: { kind: c.token, value: FAKE_RAT },
          body: method === "POST" || method === "PUT" ? { clientId: "c" } : undefined,
          ctx: { ...ctx, operation: method === "POST" ? "create" : method === "DELETE" ? "delete" : "read", serverUrl: server.url },
        },
        { retries: 0 },
      ),
    );
    expect(e.constructor).toBe(c.expected);
    expect(e.code).toBe(c.code);
    expect(e.status).toBe(c.status);
    for (const phrase of c.says ?? []) expect(e.message).toContain(phrase);
    expect(e.message).not.toContain(FAKE_RAT);
    expect(e.message).toContain(`realm "hostile" at ${server.url}`);
    // A refusal or an answer that a role would not fix never advises one.
    if ([ClientPolicyRejected, RequestForbidden, AmbiguousResponse, RealmNotFound, PolicyRejected].includes(c.expected as never)) expect(e.message).not.toMatch(/\brole\b/i);
    expect(server.requests - before).toBe(1);
  });
});

describe("caCertificate adds a private CA to what Node already trusts", () => {
  const cas: PrivateCa[] = [];
  const servers: https.Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    for (const ca of cas) ca.remove();
  });

  async function tlsServer(ca: PrivateCa, name: string): Promise<string> {
    const cert = ca.issue(name, { ip: ["127.0.0.1"] });
    const server = https.createServer({ cert: cert.certificatePem, key: cert.keyPem }, (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end('{"ok":true}'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  /** Runs `send` in a fresh Node process (NODE_EXTRA_CA_CERTS is read at start-up) and reports what each URL gave. */
  function sendFromChild(env: Record<string, string>, caCertificate: string | undefined, urls: string[]): Promise<string[]> {
    const script = `
      const { send } = require(${JSON.stringify(path.resolve(__dirname, "../../provider/registration/http.ts"))});
      (async () => {
        const out = [];
        for (const url of JSON.parse(process.env.URLS)) {
          const r = await send({ method: "GET", url, ctx: { operation: "read", serverUrl: url, realm: "ca" } }, { retries: 0, caCertificate: process.env.CA_PEM || undefined })
            .then((res) => "ok " + res.status, (e) => e.constructor.name + " " + (e.message.match(/\\(([A-Z_]+)\\)/) || [])[1]);
          out.push(r);
        }
        process.stdout.write(JSON.stringify(out));
      })();`;
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ["-r", "tsx/cjs", "-e", script],
        { cwd: path.resolve(__dirname, "../.."), env: { ...process.env, ...env, URLS: JSON.stringify(urls), CA_PEM: caCertificate ?? "" }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as string[])),
      );
    });
  }

  test("with NODE_EXTRA_CA_CERTS naming CA A and caCertificate naming CA B, servers of A and of B are trusted, a server of CA C is not", async () => {
    const [a, b, c] = ["extra", "configured", "unrelated"].map((n) => createPrivateCa(`kcreg ${n} CA`));
    cas.push(a!, b!, c!);
    const urls = [await tlsServer(a!, "by-extra"), await tlsServer(b!, "by-configured"), await tlsServer(c!, "by-unrelated")];
    expect(await sendFromChild({ NODE_EXTRA_CA_CERTS: a!.caCertificateFile }, b!.caCertificatePem, urls)).toEqual([
      "ok 200",
      "ok 200",
      "TlsFailure UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ]);
    // Without caCertificate Node's own store (with NODE_EXTRA_CA_CERTS) decides alone.
    expect(await sendFromChild({ NODE_EXTRA_CA_CERTS: a!.caCertificateFile }, undefined, urls)).toEqual([
      "ok 200",
      "TlsFailure UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "TlsFailure UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ]);
  });
});

describe("the service-account token cache", () => {
  test("is keyed with the secret too: a changed or wrong secret is never served the token fetched with another", async () => {
    const accepted = new Set(["first-secret-0a1b2c"]);
    let issued = 0;
    const asked: string[] = [];
    server.handle((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const secret = new URLSearchParams(body).get("client_secret") ?? "";
        asked.push(`${req.url} ${secret}`);
        if (!accepted.has(secret)) {
          res.writeHead(401, { "Content-Type": "application/json" }).end('{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}');
          return;
        }
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ access_token: `token-${++issued}-for-${secret}`, expires_in: 300 }));
      });
    });
    const conn = { serverUrl: server.url, realm: "cache", transport: { retries: 0 } };
    const account = (clientSecret: string) => ({ clientId: "deployer", clientSecret });

    expect(await serviceAccountToken(conn, account("first-secret-0a1b2c"))).toBe("token-1-for-first-secret-0a1b2c");
    expect(await serviceAccountToken(conn, account("first-secret-0a1b2c"))).toBe("token-1-for-first-secret-0a1b2c");
    expect(asked).toEqual(["/realms/cache/protocol/openid-connect/token first-secret-0a1b2c"]);

    // A wrong secret goes to the token endpoint and is refused there, whatever is cached.
    const e = await failure(serviceAccountToken(conn, account("wrong-secret-9z8y7x")));
    expect(e).toBeInstanceOf(CredentialsRejected);
    expect(e.code).toBe("service-account-rejected");
    expect(e.message).not.toContain("wrong-secret-9z8y7x");
    expect(asked).toHaveLength(2);

    // The secret was rotated: the new one gets a token of its own.
    accepted.add("second-secret-3d4e5f");
    expect(await serviceAccountToken(conn, account("second-secret-3d4e5f"))).toBe("token-2-for-second-secret-3d4e5f");
    expect(await serviceAccountToken(conn, account("second-secret-3d4e5f"))).toBe("token-2-for-second-secret-3d4e5f");
    expect(asked).toHaveLength(3);
  });
});
