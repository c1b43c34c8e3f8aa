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

function adminUrl(conn: Connection): string {
  return `${conn.serverUrl.replace(/\/+$/, "")}/admin/realms/${encodeURIComponent(conn.realm)}`;
}

/**
 * Issues a fresh registration access token for a client whose token was lost (Keycloak's
 * `kcreg update-token` does the same): `POST /admin/realms/{realm}/clients/{id}/registration-access-token`.
 * The previous token stops working.
 */
export async function issueRegistrationAccessToken(
  conn: Connection,
  recovery: RecoveryCredentials,
  client: { clientId: string; internalId?: string },
): Promise<string> {
  const bearer = { kind: "service-account token" as const, value: await serviceAccountToken(conn, recovery) };
  const ctx = { operation: "issue registration access token", serverUrl: conn.serverUrl, realm: conn.realm, clientId: client.clientId };
  let internalId = client.internalId;
  if (!internalId) {
    const found = await send<Array<{ id: string; clientId: string }>>(
      { method: "GET", url: `${adminUrl(conn)}/clients?clientId=${encodeURIComponent(client.clientId)}&search=false`, token: bearer, ctx },
      conn.transport,
    );
    internalId = found.data.find((c) => c.clientId === client.clientId)?.id;
    if (!internalId) throw new Error(`cannot recover client "${client.clientId}" in realm "${conn.realm}": the recovery service account cannot see it`);
  }
  const res = await send<{ registrationAccessToken?: string }>(
    { method: "POST", url: `${adminUrl(conn)}/clients/${encodeURIComponent(internalId)}/registration-access-token`, token: bearer, ctx },
    conn.transport,
  );
  const token = res.data.registrationAccessToken;
  if (!token) throw new Error(`Keycloak issued no registration access token for client "${client.clientId}"`);
  registerSecret(token);
  return token;
}
