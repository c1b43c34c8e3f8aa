import { TransportOptions } from "./http";

/** Where a client lives: the server, the realm and how requests travel there. */
export interface Connection {
  /** Keycloak's base URL, e.g. `https://sso.example.com` (without `/realms/...`). */
  serverUrl: string;
  realm: string;
  transport?: TransportOptions;
}

export function realmUrl(conn: Connection): string {
  return `${conn.serverUrl.replace(/\/+$/, "")}/realms/${encodeURIComponent(conn.realm)}`;
}

export function registrationUrl(conn: Connection, provider: "default" | "openid-connect" | "saml2-entity-descriptor" | "install", clientId?: string): string {
  const base = `${realmUrl(conn)}/clients-registrations/${provider}`;
  return clientId === undefined ? base : `${base}/${encodeURIComponent(clientId)}`;
}
