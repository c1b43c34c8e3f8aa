import { createHash } from "node:crypto";
import { Connection } from "./connection";
import { serviceAccountToken } from "./credentials";
import { send } from "./http";
import { registerSecret } from "./redact";

/** A service account with the realm-management role manage-clients, used only to recover lost tokens. */
export interface RecoveryCredentials {
  clientId: string;
  clientSecret: string;
  /** The realm the service account lives in, when it is not the client's realm. */
  realm?: string;
}

/** What the admin API tells the recovery account about a client: enough to decide whether it is ours. */
export interface ExistingClient {
  /** Keycloak's internal id (UUID). */
  id: string;
  clientId: string;
  protocol?: string;
  attributes?: Record<string, string>;
  /**
   * SHA-256 (hex) of a confidential client's secret, to tell a client from another registered under
   * the same clientId since, where the stack knows no internal id; the secret itself is not kept.
   */
  secretSha256?: string;
}

/** The digest {@link ExistingClient.secretSha256} is compared with. */
export function secretDigest(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

function adminUrl(conn: Connection): string {
  return `${conn.serverUrl.replace(/\/+$/, "")}/admin/realms/${encodeURIComponent(conn.realm)}`;
}

async function recoveryBearer(conn: Connection, recovery: RecoveryCredentials) {
  return { kind: "service-account token" as const, value: await serviceAccountToken(conn, recovery) };
}

/** Looks a client up by clientId with the recovery account (admin API, read only). */
export async function findClient(conn: Connection, recovery: RecoveryCredentials, clientId: string): Promise<ExistingClient | undefined> {
  const bearer = await recoveryBearer(conn, recovery);
  const found = await send<Array<ExistingClient & { secret?: unknown }>>(
    {
      method: "GET",
      url: `${adminUrl(conn)}/clients?clientId=${encodeURIComponent(clientId)}&search=false`,
      token: bearer,
      ctx: { operation: "look up", serverUrl: conn.serverUrl, realm: conn.realm, clientId },
    },
    conn.transport,
  );
  const match = Array.isArray(found.data) ? found.data.find((c) => c.clientId === clientId) : undefined;
  if (!match) return undefined;
  // Only what the decision needs: a confidential client's representation also carries its secret, kept as a digest.
  const secretSha256 = typeof match.secret === "string" && match.secret !== "" ? secretDigest(match.secret) : undefined;
  return { id: match.id, clientId: match.clientId, protocol: match.protocol, attributes: match.attributes, ...(secretSha256 ? { secretSha256 } : {}) };
}

/**
 * Issues a fresh registration access token for a client whose token was lost (Keycloak's
 * `kcreg update-token` does the same): `POST /admin/realms/{realm}/clients/{id}/registration-access-token`.
 * The previous token stops working. Callers decide first that the client is theirs.
 */
export async function issueRegistrationAccessToken(conn: Connection, recovery: RecoveryCredentials, client: { clientId: string; internalId: string }): Promise<string> {
  const bearer = await recoveryBearer(conn, recovery);
  const res = await send<{ registrationAccessToken?: string }>(
    {
      method: "POST",
      url: `${adminUrl(conn)}/clients/${encodeURIComponent(client.internalId)}/registration-access-token`,
      token: bearer,
      ctx: { operation: "issue registration access token", serverUrl: conn.serverUrl, realm: conn.realm, clientId: client.clientId },
    },
    conn.transport,
  );
  const token = res.data.registrationAccessToken;
  if (!token) throw new Error(`Keycloak issued no registration access token for client "${client.clientId}"`);
  registerSecret(token);
  return token;
}
