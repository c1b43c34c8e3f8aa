import { Connection, registrationUrl } from "./connection";
import { BearerToken } from "./credentials";
import { ClientRepresentation } from "./defaultEndpoint";
import { send } from "./http";
import { registerSecret } from "./redact";

/**
 * POST `saml2-entity-descriptor`: registers a SAML client from its EntityDescriptor XML. The answer is
 * a ClientRepresentation with the first registration access token; from then on the client is read,
 * updated and deleted through the `default` endpoint with that token.
 */
export async function registerSamlClient(conn: Connection, auth: BearerToken, entityDescriptor: string, entityId: string): Promise<ClientRepresentation> {
  const res = await send<ClientRepresentation>(
    {
      method: "POST",
      url: registrationUrl(conn, "saml2-entity-descriptor"),
      token: auth,
      body: entityDescriptor,
      contentType: "application/xml",
      ctx: { operation: "create", serverUrl: conn.serverUrl, realm: conn.realm, clientId: entityId },
    },
    conn.transport,
  );
  const rep = res.data;
  registerSecret(rep.registrationAccessToken);
  registerSecret(rep.secret);
  for (const [key, value] of Object.entries((rep.attributes ?? {}) as Record<string, string>)) {
    if (/private\.key/.test(key)) registerSecret(value);
  }
  return rep;
}
