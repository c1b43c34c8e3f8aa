import { createHash } from "node:crypto";
import { Connection, realmUrl } from "./connection";
import { CredentialsRejected, RegistrationError } from "./errors";
import { send, TokenKind } from "./http";
import { registerSecret } from "./redact";

/**
 * How a create is authenticated. Reads, updates and deletes use the client's own registration
 * access token; these credentials only open the door to registering new clients (and, for a
 * service account with manage-clients, to recovery).
 */
export type CreateCredentials =
  | { kind: "initialAccessToken"; token: string }
  | { kind: "bearerToken"; token: string }
  | { kind: "serviceAccount"; clientId: string; clientSecret: string; realm?: string }
  | { kind: "anonymous" };

export interface BearerToken {
  kind: TokenKind;
  value: string;
}

/** A client's own registration access token, as a request's credential. */
export function registrationAccessToken(value: string): BearerToken {
  return { kind: "registration access token", value };
}

interface CachedToken {
  value: Promise<string>;
  expiresAt: number;
}

/** Service-account tokens, fetched once per provider process and reused until shortly before they expire. */
const serviceAccountTokens = new Map<string, CachedToken>();

export async function bearerFor(conn: Connection, creds: CreateCredentials): Promise<BearerToken> {
  switch (creds.kind) {
    case "initialAccessToken":
      return { kind: "initial access token", value: creds.token };
    case "bearerToken":
      return { kind: "bearer token", value: creds.token };
    case "anonymous":
      return { kind: "anonymous", value: "" };
    case "serviceAccount":
      return { kind: "service-account token", value: await serviceAccountToken(conn, creds) };
  }
}

export async function serviceAccountToken(
  conn: Connection,
  creds: { clientId: string; clientSecret: string; realm?: string },
): Promise<string> {
  const realm = creds.realm ?? conn.realm;
  // The secret is part of the key (hashed, never kept as is): a changed or wrong secret is never served a token fetched with another.
  const key = createHash("sha256").update(JSON.stringify([conn.serverUrl, realm, creds.clientId, creds.clientSecret])).digest("hex");
  const cached = serviceAccountTokens.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.value;

  const entry: CachedToken = { value: Promise.resolve(""), expiresAt: Number.POSITIVE_INFINITY };
  entry.value = (async () => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
    });
    try {
      const res = await send<{ access_token?: string; expires_in?: number }>(
        {
          method: "POST",
          url: `${realmUrl({ ...conn, realm })}/protocol/openid-connect/token`,
          body: form.toString(),
          contentType: "application/x-www-form-urlencoded",
          ctx: { operation: "fetch service-account token", serverUrl: conn.serverUrl, realm, clientId: creds.clientId },
        },
        conn.transport,
      );
      const token = res.data.access_token;
      if (!token) throw new Error("the token endpoint answered without an access_token");
      registerSecret(token);
      // Renew 30 s early so a token never expires between fetch and use.
      entry.expiresAt = Date.now() + Math.max(0, (res.data.expires_in ?? 60) - 30) * 1000;
      return token;
    } catch (e) {
      serviceAccountTokens.delete(key);
      if (e instanceof RegistrationError && e.status !== undefined && e.status < 500) {
        throw new CredentialsRejected(
          "service-account-rejected",
          { operation: "fetch service-account token", serverUrl: conn.serverUrl, realm, clientId: creds.clientId },
          `the token endpoint refused the service account (HTTP ${e.status}${e.serverDescription ? `, "${e.serverDescription}"` : ""})`,
          "Check the service account's clientId and clientSecret, that the client has Service accounts enabled, and that its service account has the realm-management role create-client or manage-clients",
          { status: e.status, serverError: e.serverError },
        );
      }
      throw e;
    }
  })();
  serviceAccountTokens.set(key, entry);
  return entry.value;
}
