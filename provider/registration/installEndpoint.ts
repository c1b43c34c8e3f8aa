import { Connection, registrationUrl } from "./connection";
import { BearerToken } from "./credentials";
import { send } from "./http";
import { registerSecret } from "./redact";

/**
 * GET `install/{clientId}`: the adapter configuration (keycloak.json) applications read, with the
 * client secret in it. Authenticated with the client's registration access token; does not rotate it.
 */
export async function readAdapterConfig(conn: Connection, clientId: string, auth: BearerToken): Promise<Record<string, unknown>> {
  const res = await send<Record<string, unknown>>(
    {
      method: "GET",
      url: registrationUrl(conn, "install", clientId),
      token: auth,
      ctx: { operation: "read the adapter configuration of", serverUrl: conn.serverUrl, realm: conn.realm, clientId },
    },
    conn.transport,
  );
  const secret = (res.data.credentials as { secret?: string } | undefined)?.secret;
  registerSecret(secret);
  return res.data;
}
