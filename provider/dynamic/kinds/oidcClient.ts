import { clientExists } from "../../registration/clientExistence";
import { secretDigest } from "../../registration/recovery";
import { Connection, registrationUrl } from "../../registration/connection";
import { RegistrationAccessTokenRejected, UntrustedRegistrationClientUri } from "../../registration/errors";
import {
  ClientMetadata,
  ClientRegistration,
  deleteOidcClient,
  genericOidcEndpoint,
  keycloakOidcEndpoint,
  OidcRegistrationEndpoint,
  readOidcClient,
  registerOidcClient,
  updateOidcClient,
} from "../../registration/oidcEndpoint";
import { OidcClientInputs, oidcClientArgsSchema } from "../../schema/oidcClient";
import { BaseInputs, ClientKind, Env, keycloakConnection, WrittenButRefused } from "../lifecycle";
import { diffOidcClient, keptOidcOverrides, likelyOidcEnforcer, observeOidc, oidcMetadataBody, OidcClientState, OidcMetadata, oidcOverridesOf } from "../oidcDiff";
import { recordOf } from "../overrides";
import { redact } from "../../registration/redact";
import { warningSink, warnOfOverrides } from "../warnings";
import { baseOf, directoryOf, isUnder } from "../../schema/connection";
import { endpointLocation } from "../settings";

type Inputs = OidcClientInputs & BaseInputs;

/** Where a client is registered: Keycloak (serverUrl + realm) or any RFC 7591 server (registrationEndpoint). */
type Where = Pick<OidcClientState, "serverUrl" | "realm" | "registrationEndpoint">;

function whereOf(s: Where): Where {
  return s.registrationEndpoint !== undefined ? { registrationEndpoint: s.registrationEndpoint } : { serverUrl: s.serverUrl, realm: s.realm };
}

/** The Keycloak connection, when the client lives in Keycloak; only then may Keycloak-specific requests be made. */
function keycloakOf(env: Env, s: Where): Connection | undefined {
  return s.registrationEndpoint === undefined && s.serverUrl !== undefined && s.realm !== undefined
    ? keycloakConnection(env, { serverUrl: s.serverUrl, realm: s.realm })
    : undefined;
}

function endpointOf(env: Env, s: Where): OidcRegistrationEndpoint {
  const keycloak = keycloakOf(env, s);
  return keycloak ? keycloakOidcEndpoint(keycloak) : genericOidcEndpoint(s.registrationEndpoint ?? "", env.settings.transport);
}

/**
 * The management URL a token may be sent to. On Keycloak it is always Keycloak's own endpoint under
 * `serverUrl`: Keycloak names it after its configured public hostname, which can differ from the URL a
 * pipeline reaches it by. Elsewhere it is the server's registration_client_uri, but only under the
 * registration endpoint's directory (same scheme, host and port, and a path under the endpoint's:
 * `directoryOf`): a token never follows a server to another host, never downgrades to http, and never
 * goes to another service behind the same gateway (https://gw/tenant-b/... for https://gw/tenant-a/reg).
 */
function pinnedUri(env: Env, where: Where, clientId: string, named: string | undefined): string {
  const keycloak = keycloakOf(env, where);
  if (keycloak) return registrationUrl(keycloak, "openid-connect", clientId);
  const endpoint = where.registrationEndpoint ?? "";
  const directory = directoryOf(endpoint);
  if (named !== undefined && isUnder(named, directory)) return named;
  throw new UntrustedRegistrationClientUri(
    "untrusted-registration-client-uri",
    { operation: "manage", serverUrl: endpoint, realm: "", clientId },
    `the server named ${named === undefined ? "no registration_client_uri" : `registration_client_uri ${JSON.stringify(redactedUrl(named))}`}, which is not under the registration endpoint's directory ${directory ?? endpoint}; the registration access token is never sent to another host, another path of the same host, or over http`,
    "Check registrationEndpoint (it must be the server that manages the client) and the server's configuration of its public URL. If the server registered a client anyway, remove it there: no token was sent to the URL it named",
  );
}

/** A URL fit for a message: no query, no credentials. */
function redactedUrl(url: string): string {
  if (!URL.canParse(url)) return url.slice(0, 200);
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function registrationOf(env: Env, state: OidcClientState): ClientRegistration {
  return {
    registrationClientUri: pinnedUri(env, state, state.client_id, state.registration_client_uri),
    registrationAccessToken: state.registration_access_token,
    clientId: state.client_id,
  };
}

/**
 * Outputs from the server's answer: identity, the newest token and URI, the secret and the server's
 * view of declared metadata. `written`: the answer is to this provider's own write, so declared
 * metadata it does not hold is a server override; otherwise recorded overrides are kept while the
 * server still enforces them.
 */
function stateFrom(metadata: ClientMetadata, declared: OidcMetadata & Where, where: Where, uri: string, previous?: OidcClientState, written = false): OidcClientState {
  const view = observeOidc(metadata, declared);
  const isPublic = (metadata.token_endpoint_auth_method ?? declared.token_endpoint_auth_method) === "none";
  const expiresAt = metadata.client_secret_expires_at ?? previous?.client_secret_expires_at;
  const serverOverrides = written ? recordOf(oidcOverridesOf(declared, view)) : keptOidcOverrides(previous?.serverOverrides, view);
  return {
    ...view,
    ...(serverOverrides ? { serverOverrides } : {}),
    ...whereOf(where),
    client_id: String(metadata.client_id ?? previous?.client_id),
    // No key for an absent secret (private_key_jwt, tls_client_auth): Pulumi's struct encoding refuses undefined.
    ...(isPublic || (metadata.client_secret ?? previous?.client_secret) === undefined ? {} : { client_secret: metadata.client_secret ?? previous?.client_secret }),
    ...(expiresAt === undefined || isPublic ? {} : { client_secret_expires_at: expiresAt }),
    // A server that does not rotate answers without a token (or with the same one): keep the newest.
    registration_access_token: metadata.registration_access_token ?? previous?.registration_access_token ?? "",
    registration_client_uri: uri,
  };
}

/**
 * The state after an answer, with the URI the answer names pinned. A URI moved out of the endpoint's directory keeps the
 * last good one, with the answer's token (a server may rotate it on any answer): after a write that is
 * an error carrying that state; after a read, which Pulumi cannot checkpoint from an error, a warning.
 */
function acceptAnswer(env: Env, answer: ClientMetadata, declared: OidcMetadata & Where, where: Where, previous: OidcClientState, written = true): OidcClientState {
  const clientId = String(answer.client_id ?? previous.client_id);
  let state: OidcClientState;
  try {
    state = stateFrom(answer, declared, where, pinnedUri(env, where, clientId, answer.registration_client_uri ?? previous.registration_client_uri), previous, written);
  } catch (e) {
    const kept = stateFrom(answer, declared, where, previous.registration_client_uri, previous, written);
    if (written || !(e instanceof UntrustedRegistrationClientUri)) throw new WrittenButRefused(kept, e as Error);
    const named = answer.registration_client_uri === undefined ? "no registration_client_uri" : `registration_client_uri ${JSON.stringify(redactedUrl(String(answer.registration_client_uri)))}`;
    warningSink.sink(
      redact(
        `${clientLabel(kept)}: the server's answer to a read named ${named}, not under the registration endpoint's directory; the registration access token is never sent there. ` +
          `The answer was kept with the last good URL, ${kept.registration_client_uri}, and the token it carried. Check the server's configuration of its public URL`,
      ),
    );
    return kept;
  }
  if (written) warnOfOverrides(clientLabel(state), previous.serverOverrides, state.serverOverrides, likelyOidcEnforcer);
  return state;
}

function clientLabel(s: OidcClientState): string {
  return `OidcClient "${s.client_id}" ${s.registrationEndpoint !== undefined ? `at ${s.registrationEndpoint}` : `in realm "${s.realm}"`}`;
}

/** Metadata an imported client is declared with, as the server holds it (the rest stays the server's until declared). */
const IMPORTED_METADATA = ["client_name", "redirect_uris", "grant_types", "response_types", "token_endpoint_auth_method", "post_logout_redirect_uris"] as const;

/**
 * An OAuth/OpenID Connect client through RFC 7591 registration and RFC 7592 management, on Keycloak's
 * `openid-connect` provider or any other server.
 */
export const oidcClientKind: ClientKind<Inputs, OidcClientState> = {
  name: "OidcClient",
  schema: oidcClientArgsSchema,
  unknownReplaces: ["serverUrl", "realm", "registrationEndpoint", "client_id"],
  locate: (env, s) => ({ ...(s.registrationEndpoint !== undefined ? endpointLocation(s.registrationEndpoint) : { base: baseOf(s.serverUrl) }), keycloak: keycloakOf(env, s) }),

  credentialsProblem(inputs, credentials) {
    if (credentials.kind === "serviceAccount" && inputs.registrationEndpoint !== undefined) {
      return "a service account fetches its token from a Keycloak realm, so it cannot register at registrationEndpoint: give the resource auth.initialAccessToken or auth.bearerToken";
    }
    return undefined;
  },

  diff(olds, news) {
    const d = diffOidcClient(olds, news);
    return { changes: d.replaces.length > 0 || d.changed.length > 0 || d.removed.length > 0, replaces: d.replaces, deleteBeforeReplace: false };
  },

  // RFC 7591 metadata carries no ownership marker: a lost OIDC create is never taken over.
  requestedClientId: () => undefined,

  async register(env, inputs, auth) {
    const endpoint = endpointOf(env, inputs);
    // An initial access token or a bearer token is just a bearer token to any RFC 7591 server.
    const created = await registerOidcClient(endpoint, auth, oidcMetadataBody(inputs));
    const uri = pinnedUri(env, inputs, created.clientId, created.registrationClientUri);
    if (inputs.client_id !== undefined && created.clientId !== inputs.client_id) {
      // A server that assigns its own identifier would otherwise make every later preview a replacement.
      await deleteOidcClient(endpoint, { ...created, registrationClientUri: uri });
      throw new Error(
        `the server at ${endpoint.url} ignored the requested client_id "${inputs.client_id}" and assigned its own; the client it created was deleted again. Leave client_id out and read the assigned one from the client_id output`,
      );
    }
    const state = stateFrom(created, inputs, inputs, uri, undefined, true);
    warnOfOverrides(clientLabel(state), undefined, state.serverOverrides, likelyOidcEnforcer);
    return state;
  },

  async adopt(env, inputs, token) {
    const given = inputs.adopt as { registrationAccessToken: string; registrationClientUri?: string; clientId?: string };
    const endpoint = endpointOf(env, inputs);
    const keycloak = keycloakOf(env, inputs);
    const clientId = given.clientId ?? (given.registrationClientUri ? decodeURIComponent(new URL(given.registrationClientUri).pathname.split("/").pop() ?? "") : "");
    const uri = pinnedUri(env, inputs, clientId, given.registrationClientUri);
    const reg: ClientRegistration = { registrationClientUri: uri, registrationAccessToken: token, clientId };
    let current: ClientMetadata | undefined;
    try {
      current = await readOidcClient(endpoint, reg);
    } catch (e) {
      // Keycloak answers a deleted client with 401, as it does a dead token: ask the realm which.
      if (!(e instanceof RegistrationAccessTokenRejected && keycloak && clientId !== "" && !(await clientExists(keycloak, clientId)))) throw e;
    }
    if (!current) throw new Error(`cannot adopt the client at ${uri}: the server says it does not exist. Remove \`adopt\` to register a new client instead`);
    const baseline = stateFrom({ ...current, registration_access_token: current.registration_access_token ?? token }, inputs, inputs, pinnedUri(env, inputs, String(current.client_id ?? clientId), current.registration_client_uri ?? uri));
    const d = diffOidcClient(baseline, inputs);
    if (d.replaces.length > 0) throw new Error(`cannot adopt the client at ${uri}: its client_id is "${baseline.client_id}", not the declared "${inputs.client_id}"`);
    if (d.changed.length === 0) return baseline;
    const { client_id: _clientId, ...metadata } = oidcMetadataBody(inputs);
    return acceptAnswer(env, await updateOidcClient(endpoint, registrationOf(env, baseline), metadata), inputs, inputs, baseline);
  },

  async read(env, state, token) {
    const metadata = await readOidcClient(endpointOf(env, state), { ...registrationOf(env, state), registrationAccessToken: token });
    if (!metadata) return undefined;
    // Keycloak re-signs the token on a read (with the realm's current key): the answer's is the newest.
    return acceptAnswer(env, metadata, state, state, state, false);
  },

  async update(env, olds, news, token) {
    const { client_id: _clientId, ...metadata } = oidcMetadataBody(news);
    const answer = await updateOidcClient(endpointOf(env, news), { ...registrationOf(env, olds), registrationAccessToken: token }, metadata);
    return acceptAnswer(env, answer, news, news, olds);
  },

  async remove(env, state, token) {
    return (await deleteOidcClient(endpointOf(env, state), { ...registrationOf(env, state), registrationAccessToken: token })) === "deleted" ? "deleted" : "gone";
  },

  // RFC 7592: a server answers a client it no longer has with 401. Only the server's own OAuth error
  // (not a proxy's page) counts, and only where dropping the client is the answer (read, delete).
  rejectionMeansGone: (_state, e, operation) => operation !== "update" && e.status === 401 && e.serverError !== undefined,

  // Keycloak's RFC 7591 answers carry no internal id, and a client_id can be registered again (through
  // the default endpoint) once the client is deleted: only the client secret the stack holds tells the
  // stack's client from someone else's, so a token is minted only for a client with that secret.
  recoveryRefusal(state, existing) {
    const what = `cannot recover the registration access token of OIDC client "${state.client_id}"`;
    const adopt =
      "Nothing was changed. If the client is this stack's, take it over explicitly: an administrator runs `kcreg.sh update-token <client_id>` " +
      "and hands you the new token; run `pulumi state delete <urn>` for the resource, give it `adopt: { clientId, registrationAccessToken }` and run `pulumi up`";
    if (existing.protocol !== undefined && existing.protocol !== "openid-connect") {
      return `${what}: the client now registered under that client_id is a ${existing.protocol} client, so it is not this resource's. ${adopt}`;
    }
    if (state.client_secret === undefined) {
      return (
        `${what}: it has no client secret to compare (a public client, or one that authenticates with a key), and a client_id can be registered again after a client is deleted, ` +
        `so the recovery account cannot tell this stack's client from another registered under the same client_id. ${adopt}`
      );
    }
    if (existing.secretSha256 !== secretDigest(state.client_secret)) {
      return `${what}: the client registered under that client_id does not have the client secret this stack holds: it was registered again by someone else, or its secret was regenerated. ${adopt}`;
    }
    return undefined;
  },

  /** Keycloak only (the import id is the clientId; the realm and server come from the provider configuration). */
  async imported(env, at, existing, token) {
    const where: Where = { serverUrl: at.serverUrl, realm: at.realm };
    const uri = pinnedUri(env, where, existing.clientId, undefined);
    const metadata = await readOidcClient(endpointOf(env, where), { registrationClientUri: uri, registrationAccessToken: token, clientId: existing.clientId });
    if (!metadata) throw new Error(`cannot import client "${existing.clientId}": it was deleted while being imported`);
    const declared: Record<string, unknown> = { ...where };
    for (const field of IMPORTED_METADATA) {
      const value = metadata[field];
      if (value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0)) declared[field] = value;
    }
    const inputs = declared as unknown as Inputs;
    const state = stateFrom({ ...metadata, registration_access_token: metadata.registration_access_token ?? token }, inputs, where, uri);
    return { inputs, state };
  },

  idOf: (s) => s.client_id,
  clientIdOf: (s) => s.client_id,
  tokenOf: (s) => s.registration_access_token,
  withToken: (s, token) => ({ ...s, registration_access_token: token }),
  goneOnUpdate: (id, s) => `client "${id}" no longer exists at ${s.registrationEndpoint ?? s.serverUrl}: run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` registers it again`,
};
