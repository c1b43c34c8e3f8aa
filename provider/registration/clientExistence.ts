import { Connection, realmUrl } from "./connection";
import { send } from "./http";

/**
 * Whether a client still exists, asked without any credential. Keycloak answers a rotated-out
 * registration access token and a deleted client with the same 401, so after a 401 we ask the
 * realm's authorization endpoint, which names an unknown client ("Client not found") and otherwise
 * complains about our deliberately invalid redirect URI. It is a read-only GET that creates nothing.
 */
export async function clientExists(conn: Connection, clientId: string): Promise<boolean> {
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: "https://client-existence-probe.invalid/",
    ui_locales: "en",
  });
  const res = await send<unknown>(
    {
      method: "GET",
      url: `${realmUrl(conn)}/protocol/openid-connect/auth?${query.toString()}`,
      ctx: { operation: "check the existence of", serverUrl: conn.serverUrl, realm: conn.realm, clientId },
      acceptStatuses: [302, 303, 400, 401, 403, 404],
    },
    conn.transport,
  );
  const page = typeof res.data === "string" ? res.data : JSON.stringify(res.data ?? "");
  return !/client not found/i.test(page);
}
