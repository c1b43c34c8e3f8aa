import { Connection, registrationUrl } from "./connection";
import { BearerToken, registrationAccessToken } from "./credentials";
import { ClientNotFound, RequestContext, UnexpectedResponse } from "./errors";
import { send, TransportOptions } from "./http";
import { registerSecret } from "./redact";

/**
 * RFC 7591 client metadata as a registration endpoint speaks it (snake_case JSON), with the RFC 7592
 * management fields every create answer carries.
 */
export interface ClientMetadata {
  client_id?: string;
  client_secret?: string;
  client_secret_expires_at?: number;
  registration_access_token?: string;
  registration_client_uri?: string;
  [field: string]: unknown;
}

/** An RFC 7591 registration endpoint: Keycloak's `openid-connect` provider or any other server's. */
export interface OidcRegistrationEndpoint {
  url: string;
  /** For error messages: Keycloak's base URL and realm, or the endpoint itself and no realm. */
  serverUrl: string;
  realm: string;
  transport?: TransportOptions;
}

/** One registered client's management handle (RFC 7592): where it lives and the token that opens it. */
export interface ClientRegistration {
  registrationClientUri: string;
  registrationAccessToken: string;
  clientId: string;
}

/** Keycloak's openid-connect registration provider of a realm. */
export function keycloakOidcEndpoint(conn: Connection): OidcRegistrationEndpoint {
  return { url: registrationUrl(conn, "openid-connect"), serverUrl: conn.serverUrl, realm: conn.realm, transport: conn.transport };
}

/** Any RFC 7591 server, by its `registration_endpoint`. */
export function genericOidcEndpoint(url: string, transport?: TransportOptions): OidcRegistrationEndpoint {
  return { url, serverUrl: url, realm: "", transport };
}

function remember(metadata: ClientMetadata): ClientMetadata {
  registerSecret(metadata.registration_access_token);
  registerSecret(metadata.client_secret);
  return metadata;
}

function ctxOf(endpoint: OidcRegistrationEndpoint, operation: RequestContext["operation"], clientId?: string): RequestContext {
  return { operation, serverUrl: endpoint.serverUrl, realm: endpoint.realm, clientId };
}

/**
 * POST to the registration endpoint. The answer must carry `registration_client_uri` and
 * `registration_access_token` (RFC 7592): without them the client could never be updated or deleted.
 */
export async function registerOidcClient(endpoint: OidcRegistrationEndpoint, auth: BearerToken, metadata: ClientMetadata): Promise<ClientMetadata & ClientRegistration> {
  const ctx = ctxOf(endpoint, "create", metadata.client_id);
  const res = await send<ClientMetadata>({ method: "POST", url: endpoint.url, token: auth, body: metadata, ctx }, endpoint.transport);
  const created = remember(typeof res.data === "object" && res.data !== null ? res.data : {});
  if (!created.client_id || !created.registration_client_uri || !created.registration_access_token) {
    const missing = ["client_id", "registration_client_uri", "registration_access_token"].filter((k) => !created[k]);
    throw new UnexpectedResponse(
      "no-registration-management",
      { ...ctx, clientId: created.client_id ?? metadata.client_id },
      `the server registered the client but its answer has no ${missing.join(" or ")}, so it could never be updated or deleted`,
      "Enable RFC 7592 client registration management on the server (for oidc-provider: features.registrationManagement), delete the client there, and run again",
      { status: res.status },
    );
  }
  return { ...created, registrationClientUri: created.registration_client_uri, registrationAccessToken: created.registration_access_token, clientId: created.client_id };
}

/**
 * GET `registration_client_uri`; `undefined` when the server answers 404. Keycloak and oidc-provider
 * answer a deleted client with 401 instead, which the caller has to interpret.
 */
export async function readOidcClient(endpoint: OidcRegistrationEndpoint, reg: ClientRegistration): Promise<ClientMetadata | undefined> {
  try {
    const res = await send<ClientMetadata>(
      { method: "GET", url: reg.registrationClientUri, token: registrationAccessToken(reg.registrationAccessToken), ctx: ctxOf(endpoint, "read", reg.clientId) },
      endpoint.transport,
    );
    return remember(res.data);
  } catch (e) {
    if (e instanceof ClientNotFound) return undefined;
    throw e;
  }
}

/**
 * PUT `registration_client_uri` with the client's full metadata (RFC 7592 §2.2: fields left out may
 * be deleted). The server may rotate the registration access token: the answer then carries the new one.
 */
export async function updateOidcClient(endpoint: OidcRegistrationEndpoint, reg: ClientRegistration, metadata: ClientMetadata): Promise<ClientMetadata> {
  const res = await send<ClientMetadata>(
    {
      method: "PUT",
      url: reg.registrationClientUri,
      token: registrationAccessToken(reg.registrationAccessToken),
      // RFC 7592 §2.2: the body carries client_id; the server-issued fields must not be sent back.
      body: { ...metadata, client_id: reg.clientId },
      ctx: ctxOf(endpoint, "update", reg.clientId),
    },
    endpoint.transport,
  );
  return remember(res.data);
}

/** DELETE `registration_client_uri`. A 404 counts as deleted; a 401 is for the caller to interpret. */
export async function deleteOidcClient(endpoint: OidcRegistrationEndpoint, reg: ClientRegistration): Promise<"deleted" | "already gone"> {
  try {
    await send<void>(
      { method: "DELETE", url: reg.registrationClientUri, token: registrationAccessToken(reg.registrationAccessToken), ctx: ctxOf(endpoint, "delete", reg.clientId) },
      endpoint.transport,
    );
    return "deleted";
  } catch (e) {
    if (e instanceof ClientNotFound) return "already gone";
    throw e;
  }
}
