import { Connection, registrationUrl } from "./connection";
import { BearerToken } from "./credentials";
import { ClientNotFound } from "./errors";
import { send } from "./http";
import { registerSecret } from "./redact";

/** Keycloak's ClientRepresentation as the `default` registration provider speaks it (camelCase JSON). */
export interface ClientRepresentation {
  id?: string;
  clientId?: string;
  secret?: string;
  registrationAccessToken?: string;
  [field: string]: unknown;
}

function remember(rep: ClientRepresentation): ClientRepresentation {
  registerSecret(rep.registrationAccessToken);
  registerSecret(rep.secret);
  return rep;
}

/** POST `default`: registers a client. The answer carries the first registration access token. */
export async function registerClient(conn: Connection, auth: BearerToken, rep: ClientRepresentation): Promise<ClientRepresentation> {
  const res = await send<ClientRepresentation>(
    {
      method: "POST",
      url: registrationUrl(conn, "default"),
      token: auth,
      body: rep,
      ctx: { operation: "create", serverUrl: conn.serverUrl, realm: conn.realm, clientId: rep.clientId },
    },
    conn.transport,
  );
  return remember(res.data);
}

/** GET `default/{clientId}`; `undefined` when the client no longer exists. Reading does not rotate the token. */
export async function readClient(conn: Connection, clientId: string, auth: BearerToken): Promise<ClientRepresentation | undefined> {
  try {
    const res = await send<ClientRepresentation>(
      {
        method: "GET",
        url: registrationUrl(conn, "default", clientId),
        token: auth,
        ctx: { operation: "read", serverUrl: conn.serverUrl, realm: conn.realm, clientId },
      },
      conn.transport,
    );
    return remember(res.data);
  } catch (e) {
    if (e instanceof ClientNotFound) return undefined;
    throw e;
  }
}

/**
 * PUT `default/{clientId}`: applies the fields present in `rep` (Keycloak keeps the ones left out).
 * With a registration access token this rotates it: the answer carries the new one, the old one is dead.
 */
export async function updateClient(conn: Connection, clientId: string, auth: BearerToken, rep: ClientRepresentation): Promise<ClientRepresentation> {
  const res = await send<ClientRepresentation>(
    {
      method: "PUT",
      url: registrationUrl(conn, "default", clientId),
      token: auth,
      body: { ...rep, clientId },
      ctx: { operation: "update", serverUrl: conn.serverUrl, realm: conn.realm, clientId },
    },
    conn.transport,
  );
  return remember(res.data);
}

/** DELETE `default/{clientId}`. A client that is already gone counts as deleted. */
export async function deleteClient(conn: Connection, clientId: string, auth: BearerToken): Promise<"deleted" | "already gone"> {
  try {
    await send<void>(
      {
        method: "DELETE",
        url: registrationUrl(conn, "default", clientId),
        token: auth,
        ctx: { operation: "delete", serverUrl: conn.serverUrl, realm: conn.realm, clientId },
      },
      conn.transport,
    );
    return "deleted";
  } catch (e) {
    if (e instanceof ClientNotFound) return "already gone";
    throw e;
  }
}
