import * as http from "node:http";
import * as https from "node:https";
import * as tls from "node:tls";
import axios, { AxiosError, AxiosInstance } from "axios";
import {
  ClientIdInUse,
  ClientIdModified,
  ClientNotFound,
  CredentialsRejected,
  InitialAccessTokenExhausted,
  InitialAccessTokenRejected,
  InvalidClientMetadata,
  PolicyRejected,
  RegistrationAccessTokenRejected,
  RegistrationError,
  RequestContext,
  RequestTimedOut,
  ServerFailure,
  ServerUnreachable,
  TlsFailure,
  UnexpectedResponse,
} from "./errors";

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
  /** PEM-encoded CA certificate(s) to trust in addition to Node's defaults, for a private CA. */
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

const clients = new Map<string, AxiosInstance>();

function transport(opts: TransportOptions): AxiosInstance {
  const key = opts.caCertificate ?? "";
  let client = clients.get(key);
  if (!client) {
    client = axios.create({
      // Keep-alive: hundreds of clients in one `pulumi up` share a few connections.
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new https.Agent({
        keepAlive: true,
        maxSockets: 16,
        // Setting `ca` replaces Node's trust store, so the private CA is added to the public roots.
        ...(opts.caCertificate ? { ca: [...tls.rootCertificates, opts.caCertificate] } : {}),
      }),
      validateStatus: () => true,
      maxRedirects: 0,
      // Keycloak's bodies are small; a runaway response is an error, not something to buffer.
      maxContentLength: 10 * 1024 * 1024,
      proxy: false,
    });
    clients.set(key, client);
  }
  return client;
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
      const res = await transport(opts).request({
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
      const err = errorFromResponse(req, res.status, data);
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
            `no answer within ${formatSeconds(deadlineMs)}, the deadline for the whole request, body included`,
            "Check that Keycloak is healthy and that nothing in between stalls the answer, or raise `keycloak-registration:timeoutSeconds`",
          )
        : errorFromTransport(req, e);
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

function parseBody(raw: unknown): unknown {
  if (typeof raw !== "string" || raw.length === 0) return raw ?? undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

interface OAuthError {
  error?: string;
  error_description?: string;
  errorMessage?: string;
}

function errorFromResponse(req: RegistrationRequest, status: number, data: unknown): RegistrationError {
  const body: OAuthError = typeof data === "object" && data !== null ? (data as OAuthError) : {};
  const serverError = body.error;
  const description = body.error_description ?? body.errorMessage ?? (typeof data === "string" ? data.slice(0, 200) : undefined);
  const details = { status, serverError, serverDescription: description };
  const ctx = req.ctx;
  const said = description ? ` (the server said: "${description}")` : "";
  const kind = req.token?.kind ?? "anonymous";

  if (status === 401 || (status === 403 && serverError !== "insufficient_scope")) {
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
      `Check that the ${kind} is valid for realm "${ctx.realm}" and that its user or service account has the realm-management role create-client (create only) or manage-clients`,
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
      "Fix the field named in Keycloak's message and run again",
      details,
    );
  }
  if (status === 404) {
    return new ClientNotFound(
      "client-not-found",
      ctx,
      `the client or the realm does not exist (HTTP 404)${said}`,
      "Check serverUrl and realm; a client deleted outside Pulumi is removed from the stack by `pulumi refresh` and registered again by `pulumi up`",
      details,
    );
  }
  if (status >= 500) {
    return new ServerFailure(
      "server-error",
      ctx,
      `the server answered HTTP ${status}${said}`,
      "This is a server-side failure; check Keycloak's log and run again. Nothing was changed in the stack",
      details,
    );
  }
  return new UnexpectedResponse(
    "unexpected-response",
    ctx,
    `the server answered HTTP ${status}${said}`,
    "Check that serverUrl points at Keycloak itself (not a proxy or login page) and that the realm exists",
    details,
  );
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

function errorFromTransport(req: RegistrationRequest, e: unknown): RegistrationError {
  const err = e as AxiosError & { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? "";
  const ctx = req.ctx;
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(err.message ?? "")) {
    return new TlsFailure(
      "tls",
      ctx,
      `the TLS connection failed (${code || "TLS error"})`,
      "If Keycloak uses a private CA, give its PEM certificate with `keycloak-registration:caCertificate` (or NODE_EXTRA_CA_CERTS); check that serverUrl's host name matches the certificate",
    );
  }
  if (code === "ETIMEDOUT" || code === "ECONNABORTED" || /timeout/i.test(err.message ?? "")) {
    return new RequestTimedOut("timeout", ctx, `the connection timed out (${code || "timeout"})`, "Check that Keycloak is healthy and reachable, or raise `keycloak-registration:timeoutSeconds`");
  }
  return new ServerUnreachable(
    "unreachable",
    ctx,
    `the server could not be reached (${code || "network error"})`,
    "Check serverUrl, that Keycloak is running and that this machine can reach it",
  );
}
