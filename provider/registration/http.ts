import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import * as tls from "node:tls";
import type { AxiosError, AxiosInstance, AxiosStatic } from "axios";
import type { HttpsProxyAgent } from "https-proxy-agent";
import {
  AmbiguousResponse,
  ClientIdInUse,
  ClientIdModified,
  ClientNotFound,
  ClientPolicyRejected,
  CredentialsRejected,
  InitialAccessTokenExhausted,
  InitialAccessTokenRejected,
  InsecureProxyRoute,
  InvalidClientMetadata,
  PolicyRejected,
  RealmNotFound,
  RegistrationAccessTokenRejected,
  RegistrationError,
  RequestContext,
  RequestForbidden,
  RequestTimedOut,
  ServerFailure,
  ServerUnreachable,
  TlsFailure,
  UnexpectedResponse,
} from "./errors";
import { displayProxy, proxyFor, ProxyRoute, ProxySettingError } from "./proxy";

/** What kind of token authenticates a request; it decides how a 401 or 403 is explained. */
export type TokenKind =
  | "initial access token"
  | "registration access token"
  | "bearer token"
  | "service-account token"
  | "anonymous";

/** Transport settings shared by every request to one server. */
export interface TransportOptions {
  /**
   * Deadline of one attempt in milliseconds, from sending the request to the last byte of the answer
   * (default 30 000). A deadline, not an idle timeout: a server or proxy that trickles its answer is cut off.
   */
  timeoutMs?: number;
  /** PEM-encoded CA certificate(s) to trust in addition to Node's roots and NODE_EXTRA_CA_CERTS, for a private CA. */
  caCertificate?: string;
  /** How many times an idempotent request (GET, DELETE) is retried after a transient failure (default 3). */
  retries?: number;
}

export interface RegistrationRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  token?: { kind: TokenKind; value: string };
  body?: unknown;
  contentType?: string;
  ctx: RequestContext;
  /** Statuses besides 2xx that the caller interprets itself. */
  acceptStatuses?: number[];
}

export interface RegistrationResponse<T> {
  status: number;
  data: T;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const extraCertificatesByFile = new Map<string, string[]>();

/** The certificates of NODE_EXTRA_CA_CERTS: Node reads them at start-up but leaves them out of `tls.rootCertificates`. */
function extraCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  let certs = extraCertificatesByFile.get(file);
  if (!certs) {
    try {
      certs = fs.readFileSync(file, "utf8").match(PEM_CERTIFICATE) ?? [];
    } catch {
      // Node itself warns at start-up about an unreadable file and then goes on without it.
      certs = [];
    }
    extraCertificatesByFile.set(file, certs);
  }
  return certs;
}

/**
 * What a connection with a private CA trusts: Node's default store (its roots, NODE_EXTRA_CA_CERTS and,
 * where Node is told to, the system's) plus the private CA. Setting `ca` on an agent replaces the
 * default store, so everything it held is listed again. Node 22.15+ lists its whole default store;
 * older versions only their bundled roots, so NODE_EXTRA_CA_CERTS is read here as well.
 */
export function trustedCertificates(caCertificate: string): string[] {
  const getCACertificates = (tls as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  const defaults = getCACertificates ? getCACertificates("default") : tls.rootCertificates;
  return [...new Set([...defaults, ...extraCertificates(), caCertificate])];
}

interface Route {
  /** The proxy the request goes through, or undefined for a direct connection. */
  proxy?: ProxyRoute;
}

type ConnectOptions = Parameters<HttpsProxyAgent<string>["connect"]>[1];

/**
 * axios (with what it loads: Node's fetch implementation, web streams, zlib) and https-proxy-agent
 * are loaded at the first request, not with the provider: a `preview` or `up` with nothing to send
 * (check and diff only) never pays for them.
 */
let axiosModule: AxiosStatic | undefined;
function axiosLib(): AxiosStatic {
  return (axiosModule ??= require("axios") as AxiosStatic);
}

let tunnellingAgentClass: (new (proxyUrl: URL, agentOptions: http.AgentOptions, tlsOptions: { ca?: string[] }) => http.Agent) | undefined;

/**
 * A CONNECT tunnel whose TLS session with the server trusts what a direct connection would.
 * HttpsProxyAgent drops the agent's own options when it opens the server's TLS session, so they are
 * handed to each connection here.
 */
function tunnellingAgent(proxyUrl: URL, agentOptions: http.AgentOptions, tlsOptions: { ca?: string[] }): http.Agent {
  if (!tunnellingAgentClass) {
    const { HttpsProxyAgent: Base } = require("https-proxy-agent") as typeof import("https-proxy-agent");
    tunnellingAgentClass = class TunnellingAgent extends Base<string> {
      constructor(
        proxyUrl: URL,
        agentOptions: http.AgentOptions,
        private readonly tlsOptions: { ca?: string[] },
      ) {
        super(proxyUrl, { ...agentOptions, ...tlsOptions });
      }

      override connect(req: http.ClientRequest, opts: ConnectOptions): Promise<net.Socket> {
        return super.connect(req, { ...opts, ...this.tlsOptions } as ConnectOptions);
      }
    };
  }
  return new tunnellingAgentClass(proxyUrl, agentOptions, tlsOptions);
}

const clients = new Map<string, AxiosInstance>();

function transport(opts: TransportOptions, route: Route): AxiosInstance {
  const proxyHref = route.proxy?.proxyUrl.href ?? "";
  const key = `${opts.caCertificate ?? ""}|${proxyHref}`;
  let client = clients.get(key);
  if (!client) {
    const tlsOptions = opts.caCertificate ? { ca: trustedCertificates(opts.caCertificate) } : {};
    // Keep-alive: hundreds of clients in one `pulumi up` share a few connections.
    const agentOptions = { keepAlive: true, maxSockets: 16 };
    client = axiosLib().create({
      httpAgent: new http.Agent(agentOptions),
      // Through a proxy: a CONNECT tunnel, TLS from this process to the server, verified as without one.
      httpsAgent: route.proxy ? tunnellingAgent(route.proxy.proxyUrl, agentOptions, tlsOptions) : new https.Agent({ ...agentOptions, ...tlsOptions }),
      validateStatus: () => true,
      maxRedirects: 0,
      // Keycloak's bodies are small; a runaway response is an error, not something to buffer.
      maxContentLength: 10 * 1024 * 1024,
      // The proxy is chosen here (proxy.ts), never by axios.
      proxy: false,
    });
    clients.set(key, client);
  }
  return client;
}

/** How a request reaches its server; refuses a route on which a token would cross a proxy in plaintext. */
function routeFor(req: RegistrationRequest): Route {
  // A URL that does not parse is left for axios to refuse, as any other unreachable server.
  if (!URL.canParse(req.url)) return {};
  const target = new URL(req.url);
  let proxy: ProxyRoute | undefined;
  try {
    proxy = proxyFor(target);
  } catch (e) {
    if (!(e instanceof ProxySettingError)) throw e;
    throw new UnexpectedResponse(
      "proxy-setting",
      req.ctx,
      `the proxy setting cannot be used: ${e.message}`,
      "Fix the variable (e.g. HTTPS_PROXY=http://proxy.example.com:3128), or unset it if this machine reaches the server directly",
    );
  }
  if (proxy && target.protocol === "http:") {
    throw new InsecureProxyRoute(
      "plaintext-through-proxy",
      req.ctx,
      `${proxy.variable} sends requests for ${target.origin} through the proxy ${displayProxy(proxy.proxyUrl)}, and over http:// the proxy would read the token and the client's secrets in plaintext; nothing was sent`,
      `Use an https:// serverUrl (the request then crosses the proxy inside a TLS tunnel), or add ${target.hostname} to NO_PROXY if this machine reaches the server directly`,
    );
  }
  return { proxy };
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH|ERR_OSSL)/;
const RETRYABLE_STATUS = new Set([502, 503, 504]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one request to a registration endpoint and turns every failure into a `RegistrationError`.
 * GET and DELETE are retried with bounded exponential backoff on network faults and 502/503/504;
 * POST and PUT are never retried, because a repeated create could register a second client and a
 * repeated update would present an already-rotated registration access token.
 */
export async function send<T>(req: RegistrationRequest, opts: TransportOptions = {}): Promise<RegistrationResponse<T>> {
  const idempotent = req.method === "GET" || req.method === "DELETE";
  const attempts = idempotent ? 1 + Math.max(0, opts.retries ?? 3) : 1;
  const route = routeFor(req);
  const deadlineMs = opts.timeoutMs ?? 30_000;
  let lastError: RegistrationError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(Math.min(4000, 250 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5));
    // axios's `timeout` restarts with every chunk; the deadline covers the whole exchange, body included.
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, deadlineMs);
    try {
      const headers: Record<string, string> = { Accept: "application/json" };
      if (req.token && req.token.kind !== "anonymous") headers.Authorization = `Bearer ${req.token.value}`;
      if (req.body !== undefined) headers["Content-Type"] = req.contentType ?? "application/json";
      const res = await transport(opts, route).request({
        method: req.method,
        url: req.url,
        headers,
        data: req.body === undefined ? undefined : typeof req.body === "string" ? req.body : JSON.stringify(req.body),
        // Parse ourselves: an HTML error page from a proxy must not become a confusing JSON error.
        responseType: "text",
        transformResponse: [(d: unknown) => d],
        signal: deadline.signal,
      });
      const data = parseBody(res.data);
      if ((res.status >= 200 && res.status < 300) || req.acceptStatuses?.includes(res.status)) return { status: res.status, data: data as T };
      const contentType = String(res.headers["content-type"] ?? "");
      const wwwAuthenticate = String(res.headers["www-authenticate"] ?? "");
      const err = errorFromResponse(req, { status: res.status, data, contentType, wwwAuthenticate }, route);
      if (idempotent && RETRYABLE_STATUS.has(res.status)) {
        lastError = err;
        continue;
      }
      throw err;
    } catch (e) {
      if (e instanceof RegistrationError) throw e;
      const err = timedOut
        ? new RequestTimedOut(
            "timeout",
            req.ctx,
            `no answer within ${formatSeconds(deadlineMs)}, the deadline for the whole request, body included${via(route)}`,
            "Check that Keycloak is healthy and that nothing in between stalls the answer, or raise `keycloak-registration:timeoutSeconds`",
          )
        : errorFromTransport(req, e, route);
      if (idempotent && !(err instanceof TlsFailure)) {
        lastError = err;
        continue;
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  throw lastError ?? new UnexpectedResponse("unexpected", req.ctx, "no attempt was made", "This is a bug; please report it");
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function via(route: Route): string {
  return route.proxy ? ` (through the proxy ${displayProxy(route.proxy.proxyUrl)} from ${route.proxy.variable})` : "";
}

function parseBody(raw: unknown): unknown {
  if (typeof raw !== "string" || raw.length === 0) return raw ?? undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

interface OAuthError {
  error?: unknown;
  error_description?: unknown;
  errorMessage?: unknown;
}

interface Answer {
  status: number;
  data: unknown;
  contentType: string;
  wwwAuthenticate: string;
}

/** RFC 6749 §5.2 error codes as servers spell them: `invalid_token`, `insufficient_scope`. */
const OAUTH_ERROR_CODE = /^[a-z][a-z0-9_]*$/;

/** RFC 7591 §3.2.2's error codes for a refused registration that point at a field (invalid_client_metadata: the server's message names it). */
const INVALID_METADATA_ADVICE: Record<string, string> = {
  invalid_redirect_uri: "Fix the redirect URIs (redirect_uris on OidcClient, redirectUris on KeycloakClient) as the server's message says, and run again",
  invalid_software_statement: "The software_statement is not a valid signed JWT for this server: fix it or leave it out, and run again",
  unapproved_software_statement: "The server does not accept this software_statement's issuer: ask its administrator, or leave it out, and run again",
};

/**
 * Keycloak 26.7.3's answers, seen live (GET/PUT/DELETE on `default`, `openid-connect` and `install`):
 * - a client that does not exist, asked with a manage-clients bearer token:
 *   404 application/json {"error":"invalid_request","error_description":"Client not found"};
 * - the same asked with a registration access token (another client's, or a dead one): 401
 *   {"error":"invalid_token","error_description":"Not authorized to view client. Not valid token or client credentials provided."}
 *   (DELETE: "... to update client. Maybe missing token or bad token type.");
 * - a realm that does not exist: 404 {"error":"Realm does not exist"};
 * - an unknown registration provider: 404 {"error":"Client registration provider not found"}; an unknown
 *   path under a realm: 404 {"error":"HTTP 404 Not Found"}; outside any realm: 404
 *   {"error":"Unable to find matching target resource method"}. None of these names a client.
 * - refusals: a registration policy: 403 {"error":"insufficient_scope","error_description":"Policy 'Trusted Hosts'
 *   rejected request to client-registration service. Details: Host not trusted."}; a client policy: 403
 *   insufficient_scope with only an OAuth code as description ("invalid_client_metadata" from
 *   secure-client-authenticator, pkce-enforcer, holder-of-key-enforcer, secure-client-uris, reject-implicit-grant;
 *   "invalid_registration" from consent-required, full-scope-disabled, secure-logout; "invalid_request" from
 *   secure-signature-algorithm, secure-redirect-uris-enforcer); a service account without create-client:
 *   403 {"error":"insufficient_scope","error_description":"Forbidden"}.
 * So only the registration service's JSON error is evidence that a client is gone; anything else keeps the state.
 */
function errorFromResponse(req: RegistrationRequest, answer: Answer, route: Route): RegistrationError {
  const { status, data } = answer;
  const json = /[/+]json\b/i.test(answer.contentType) && typeof data === "object" && data !== null && !Array.isArray(data);
  const body: OAuthError = json ? (data as OAuthError) : {};
  const serverError = typeof body.error === "string" ? body.error : undefined;
  const jsonDescription = typeof body.error_description === "string" ? body.error_description : typeof body.errorMessage === "string" ? body.errorMessage : undefined;
  // The registration service's own error: JSON whose `error` is an OAuth error code.
  const oauthError = serverError !== undefined && OAUTH_ERROR_CODE.test(serverError);
  const description = jsonDescription ?? (json ? serverError : describeNonJson(answer));
  const details = { status, serverError, serverDescription: description };
  const ctx = req.ctx;
  const said = description ? ` (the server said: "${description}")` : "";
  const kind = req.token?.kind ?? "anonymous";

  if (status === 401 && (oauthError || /^\s*bearer\b/i.test(answer.wwwAuthenticate))) {
    if (kind === "initial access token") {
      if (/no remaining count/i.test(description ?? "")) {
        return new InitialAccessTokenExhausted(
          "initial-access-token-exhausted",
          ctx,
          `the initial access token has no remaining count${said}`,
          "Create a new initial access token in the realm (Realm settings > Client registration > Initial access token) and set it with `pulumi config set --secret keycloak-registration:initialAccessToken <token>`; clients already registered keep working with their registration access tokens",
          details,
        );
      }
      return new InitialAccessTokenRejected(
        "initial-access-token-rejected",
        ctx,
        `the initial access token was rejected (HTTP ${status})${said}; it may have expired, been deleted, or belong to another realm`,
        "Create a new initial access token in this realm and set it with `pulumi config set --secret keycloak-registration:initialAccessToken <token>`",
        details,
      );
    }
    if (kind === "registration access token") {
      return new RegistrationAccessTokenRejected(
        "registration-access-token-rejected",
        ctx,
        `the stored registration access token was rejected (HTTP ${status})${said}; it was rotated by an update whose result was never saved, or revoked by an administrator`,
        "Configure a recovery service account with the manage-clients role (keycloak-registration:recoveryClientId / recoveryClientSecret) so a fresh token is issued automatically; or have an administrator run `kcreg.sh update-token <clientId>` (or POST /admin/realms/<realm>/clients/<id>/registration-access-token), then run `pulumi state delete <urn>`, give the resource `adopt: { registrationAccessToken: <new token> }` and run `pulumi up`",
        details,
      );
    }
    if (kind === "anonymous") {
      return new CredentialsRejected(
        "anonymous-rejected",
        ctx,
        `anonymous registration was refused (HTTP ${status})${said}`,
        "Configure an initial access token, a bearer token or a service account (see the README's auth modes), or ask a realm administrator to allow anonymous registration from this host",
        details,
      );
    }
    return new CredentialsRejected(
      "credentials-rejected",
      ctx,
      `the ${kind} was rejected (HTTP ${status})${said}`,
      `Check that the ${kind} is valid for realm "${ctx.realm}": it may have expired or come from another realm or server`,
      details,
    );
  }
  if (status === 403 && serverError === "insufficient_scope") {
    const m = /Policy '([^']+)' rejected request to client-registration service\.?\s*(?:Details:\s*(.*))?/i.exec(description ?? "");
    if (m) {
      const err = new PolicyRejected(
        "policy-rejected",
        ctx,
        `the client registration policy "${m[1]}" refused the request${m[2] ? `: ${m[2]}` : ""}`,
        policyHint(m[1] ?? "", m[2] ?? ""),
        details,
      );
      err.policyName = m[1];
      return err;
    }
    // Keycloak's answer when the account lacks the realm-management role: only a role fixes that.
    if ((kind === "bearer token" || kind === "service-account token") && (description === undefined || /^forbidden$/i.test(description))) {
      return new CredentialsRejected(
        "insufficient-scope",
        ctx,
        `the ${kind} lacks the rights for this request${said}`,
        ctx.operation === "create"
          ? "Give the account the realm-management role create-client (to register) or manage-clients"
          : "Use a token whose account has the realm-management role manage-clients, or the client's registration access token",
        details,
      );
    }
    // A client policy names neither itself nor the field: Keycloak answers only with an OAuth error code.
    if (description !== undefined && OAUTH_ERROR_CODE.test(description)) {
      const event = ctx.operation === "create" ? "CLIENT_REGISTER_ERROR" : ctx.operation === "update" ? "CLIENT_UPDATE_ERROR" : "CLIENT_REGISTER_ERROR or CLIENT_UPDATE_ERROR";
      return new ClientPolicyRejected(
        "client-policy-rejected",
        ctx,
        `a client policy of the realm refused this client's metadata (HTTP 403 insufficient_scope, "${description}"); Keycloak names neither the policy nor the field`,
        "The common executors judge these declared fields: the client authenticator (clientAuthenticatorType, token_endpoint_auth_method), " +
          "PKCE (pkce.code.challenge.method), redirect and other client URIs (redirectUris, rootUrl, baseUrl, adminUrl, post-logout redirect URIs), " +
          "consent (consentRequired), full scope (fullScopeAllowed), client scopes, signature algorithms (e.g. id.token.signed.response.alg) " +
          "and holder-of-key (tls.client.certificate.bound.access.tokens). Declare values the policy accepts, or ask a realm administrator to look " +
          `under Realm settings > Client policies for the policy whose conditions match this request (e.g. client-updater-context); with user events saved, the realm's ${event} event names the refused field in its client_policy_error_detail`,
        details,
      );
    }
  }
  if (status === 403) {
    // RFC 7592 §2: 403 means no permission for this request; it says nothing about the token's validity or the client's existence.
    return new RequestForbidden(
      "forbidden",
      ctx,
      `the server refused the request: no permission (HTTP 403${serverError ? ` ${serverError}` : ""})${said}${via(route)}`,
      json
        ? "Nothing was changed and the resource keeps its state; ask the server's administrator which rule refused it"
        : "This answer is not the registration service's own (no JSON error): nothing was changed and the resource keeps its state; check for a proxy or gateway in between (HTTPS_PROXY, NO_PROXY) and that serverUrl reaches the server directly",
      details,
    );
  }
  if (status === 401) {
    return ambiguous(req, answer, route, description, details);
  }
  if (status === 400 && /client identifier in use/i.test(description ?? "")) {
    return new ClientIdInUse(
      "client-id-in-use",
      ctx,
      "the clientId is already registered in this realm",
      "Choose another clientId; if the client is this resource's own (an earlier create whose answer was lost), configure a recovery service account (keycloak-registration:recoveryClientId / recoveryClientSecret) and run again to adopt it, or adopt it with `adopt: { registrationAccessToken }` (see the README, Import)",
      details,
    );
  }
  if (status === 400 && /client identifier modified/i.test(description ?? "")) {
    return new ClientIdModified(
      "client-id-modified",
      ctx,
      "Keycloak refused to change the clientId of an existing client",
      "A new clientId means a new client: this is a provider bug if you see it, please report it",
      details,
    );
  }
  if (status === 400) {
    return new InvalidClientMetadata(
      "invalid-client-metadata",
      ctx,
      `the server rejected the client definition${serverError ? ` (${serverError})` : ""}${said}`,
      INVALID_METADATA_ADVICE[serverError ?? ""] ?? "Fix the field named in the server's message and run again",
      details,
    );
  }
  if (status === 404 && oauthError) {
    return new ClientNotFound(
      "client-not-found",
      ctx,
      `the registration service says the client does not exist (HTTP 404)${said}`,
      "A client deleted outside Pulumi is removed from the stack by `pulumi refresh` and registered again by `pulumi up`",
      details,
    );
  }
  if (status === 404 && json && /^realm does not exist$/i.test(serverError ?? "")) {
    return new RealmNotFound(
      "realm-not-found",
      ctx,
      `Keycloak says the realm does not exist (HTTP 404)${said}`,
      "Check serverUrl and realm. The resource keeps its state: a missing realm is no proof that the client is gone (a wrong serverUrl or proxy route answers the same). If the realm was deleted on purpose, remove its clients from the stack with `pulumi state delete <urn>`",
      details,
    );
  }
  if (status === 404) {
    return ambiguous(req, answer, route, description, details);
  }
  if (status === 407) {
    return new UnexpectedResponse(
      "proxy-authentication-required",
      ctx,
      `the proxy asks for credentials (HTTP 407)${via(route)}`,
      "Give the proxy's credentials in the proxy variable (http://user:password@proxy.example.com:3128), or ask for this host to be exempt",
      details,
    );
  }
  if (status >= 500) {
    return new ServerFailure(
      "server-error",
      ctx,
      `the server answered HTTP ${status}${said}${via(route)}`,
      ctx.operation === "create"
        ? "This is a server-side failure; check Keycloak's log and run again. Keycloak may have registered the client before failing: if the next run says \"Client Identifier in use\", the recovery account takes it over (it carries this resource's ownership marker), or adopt it (see the README, Import). " +
          "A Keycloak in development mode (start-dev, H2 database) answers 500 \"Database operation failed\" when parallel registrations wait more than 2 s for a database lock: run `pulumi up --parallel 1` there, or start it with --db-url-properties=;LOCK_TIMEOUT=60000"
        : "This is a server-side failure; check Keycloak's log and run again. Nothing was changed in the stack",
      details,
    );
  }
  return new UnexpectedResponse(
    "unexpected-response",
    ctx,
    `the server answered HTTP ${status}${said}${via(route)}`,
    "Check that serverUrl points at Keycloak itself (not a proxy or login page) and that the realm exists",
    details,
  );
}

/** A 401 or 404 that the registration service did not write: it proves nothing, so the state is kept. */
function ambiguous(
  req: RegistrationRequest,
  answer: Answer,
  route: Route,
  description: string | undefined,
  details: { status: number; serverError?: string; serverDescription?: string },
): RegistrationError {
  const what = answer.contentType ? `a ${answer.contentType.split(";")[0]} answer` : "an answer without a content type";
  return new AmbiguousResponse(
    "ambiguous-response",
    req.ctx,
    `the server answered HTTP ${answer.status} with ${what} that is not the registration service's own JSON error${description ? ` ("${description}")` : ""}${via(route)}`,
    "This is no evidence that the client is gone or that its token was rejected, so the state was kept and nothing was changed. " +
      "Check for a proxy or gateway in between (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and that serverUrl reaches Keycloak itself",
    details,
  );
}

/** A short, token-free description of a non-JSON body: an HTML page's title, or the start of plain text. */
function describeNonJson(answer: Answer): string | undefined {
  if (typeof answer.data !== "string" || answer.data.length === 0) return undefined;
  const title = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(answer.data)?.[1]?.trim();
  if (title) return title;
  if (/<html|<!doctype/i.test(answer.data)) return undefined;
  return answer.data.slice(0, 200);
}

function policyHint(policy: string, details: string): string {
  const d = `${policy} ${details}`.toLowerCase();
  // Most specific first: "Full Scope Disabled" also says "scope", "clientScope" also starts with "clients".
  if (d.includes("full scope") || d.includes("fullscopeallowed")) return "The Full Scope Disabled policy forbids fullScopeAllowed=true; set fullScopeAllowed: false";
  if (d.includes("mapper")) return "Use only protocol mapper types the Allowed Protocol Mapper Types policy permits, or ask a realm administrator to allow them";
  if (d.includes("client scope") || d.includes("clientscope")) return "Use only the client scopes the Allowed Client Scopes policy permits (defaultClientScopes / optionalClientScopes), or ask a realm administrator to allow them";
  if (d.includes("consent")) return "The Consent Required policy forces consentRequired=true; set consentRequired: true or ask a realm administrator to change the policy";
  if (d.includes("max clients") || d.includes("maximum")) return "The realm reached its maximum number of clients; delete unused clients or ask a realm administrator to raise the Max Clients policy";
  if (d.includes("host")) return "Register from a host the realm's Trusted Hosts policy lists, and use redirect URIs on trusted hosts, or ask a realm administrator to add the host";
  return "Change the client so the policy accepts it, or ask a realm administrator to adjust the realm's client registration policies";
}

function errorFromTransport(req: RegistrationRequest, e: unknown, route: Route): RegistrationError {
  const err = e as AxiosError & { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? "";
  const ctx = req.ctx;
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(err.message ?? "")) {
    return new TlsFailure(
      "tls",
      ctx,
      `the TLS connection failed (${code || "TLS error"})${via(route)}`,
      "If Keycloak uses a private CA, give its PEM certificate with `keycloak-registration:caCertificate` (or NODE_EXTRA_CA_CERTS); check that serverUrl's host name matches the certificate",
    );
  }
  if (code === "ETIMEDOUT" || code === "ECONNABORTED" || /timeout/i.test(err.message ?? "")) {
    return new RequestTimedOut("timeout", ctx, `the connection timed out (${code || "timeout"})${via(route)}`, "Check that Keycloak is healthy and reachable, or raise `keycloak-registration:timeoutSeconds`");
  }
  return new ServerUnreachable(
    "unreachable",
    ctx,
    `the server could not be reached (${code || "network error"})${via(route)}`,
    route.proxy
      ? `Check serverUrl, that the proxy is running and lets this machine reach the server, or exempt the host with NO_PROXY`
      : "Check serverUrl, that Keycloak is running and that this machine can reach it",
  );
}
