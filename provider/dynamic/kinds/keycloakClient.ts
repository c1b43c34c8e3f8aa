import { registrationAccessToken } from "../../registration/credentials";
import { ClientRepresentation, deleteClient, readClient, registerClient, updateClient } from "../../registration/defaultEndpoint";
import { readAdapterConfig } from "../../registration/installEndpoint";
import { KeycloakClientInputs, keycloakClientArgsSchema } from "../../schema/keycloakClient";
import { registerSecret } from "../../registration/redact";
import {
  ClientFields,
  ClientScopes,
  createBody,
  diffClient,
  keptClientOverrides,
  KeycloakClientState,
  likelyEnforcer,
  needsCurrentScopes,
  observe,
  overridesOf,
  rotatedSecretOf,
  secretExpiryOf,
  secretRotates,
  updateBody,
} from "../clientDiff";
import { recordOf } from "../overrides";
import { warnOfOverrides } from "../warnings";
import { BaseInputs, ClientKind, Env, keycloakConnection } from "../lifecycle";
import { OWNER_ATTRIBUTE } from "../ownership";
import { baseOf } from "../../schema/connection";

type Inputs = KeycloakClientInputs & BaseInputs & { fetchAdapterConfig?: boolean };

/**
 * Outputs from the server's answer: identity, the newest token, the secret and the server's view of
 * declared fields. `written`: the answer is to this provider's own write (or a read right after it),
 * so a declared value it does not hold is a server override; otherwise overrides recorded before are
 * kept while the server still enforces them.
 */
function stateFrom(rep: ClientRepresentation, declared: ClientFields, base: { serverUrl: string; realm: string }, previous?: KeycloakClientState, written = false): KeycloakClientState {
  const isPublic = rep.publicClient === true || rep.bearerOnly === true;
  // Keycloak's secret rotation keeps the rotated-out secret in plaintext among the attributes.
  registerSecret(rotatedSecretOf(rep));
  const view = observe(rep, declared);
  const serverOverrides = written ? recordOf(overridesOf(declared, view)) : keptClientOverrides(previous?.serverOverrides, view, declared.protocol);
  return {
    ...view,
    ...secretExpiryOf(rep),
    ...(serverOverrides ? { serverOverrides } : {}),
    serverUrl: base.serverUrl,
    realm: base.realm,
    clientId: String(rep.clientId ?? previous?.clientId),
    internalId: rep.id ?? previous?.internalId,
    // Keycloak answers reads with the same token re-signed (with the realm's current key): keep the newest.
    registrationAccessToken: rep.registrationAccessToken ?? previous?.registrationAccessToken,
    ...(isPublic || (rep.secret ?? previous?.clientSecret) === undefined ? {} : { clientSecret: rep.secret ?? previous?.clientSecret }),
    ...(previous?.adapterConfig === undefined ? {} : { adapterConfig: previous.adapterConfig }),
  };
}

async function withAdapterConfig(env: Env, state: KeycloakClientState): Promise<KeycloakClientState> {
  const config = await readAdapterConfig(keycloakConnection(env, state), state.clientId, registrationAccessToken(state.registrationAccessToken ?? ""));
  return { ...state, adapterConfig: JSON.stringify(config, null, 2) };
}

/** Fields an imported client is declared with: its basic settings as Keycloak holds them (attributes, scopes and mappers stay Keycloak's until declared). */
const IMPORTED_FIELDS = [
  "name", "description", "enabled", "protocol", "publicClient", "bearerOnly", "rootUrl", "baseUrl", "adminUrl", "redirectUris", "webOrigins",
  "standardFlowEnabled", "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled", "consentRequired", "fullScopeAllowed",
  "frontchannelLogout", "clientAuthenticatorType",
] as const;
/** OpenID Connect settings a SAML client must not declare; a public client has no authenticator. */
const NOT_FOR_SAML = new Set<string>(["publicClient", "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled", "clientAuthenticatorType"]);

/** The declaration that matches a client as Keycloak holds it (empty values left out). */
function importedDeclaration(rep: ClientRepresentation, at: { serverUrl: string; realm: string }): Inputs {
  const declared: Record<string, unknown> = { serverUrl: at.serverUrl, realm: at.realm, clientId: rep.clientId };
  const saml = rep.protocol === "saml";
  const authenticates = rep.publicClient !== true && rep.bearerOnly !== true;
  for (const field of IMPORTED_FIELDS) {
    const value = rep[field];
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    if (saml && NOT_FOR_SAML.has(field)) continue;
    if (field === "clientAuthenticatorType" && !authenticates) continue;
    declared[field] = value;
  }
  return declared as unknown as Inputs;
}

/**
 * A Keycloak client through the `default` registration provider (ClientRepresentation), with the
 * optional `adapterConfig` output from `install` (one extra GET, only for clients that ask for it).
 */
export const keycloakClientKind: ClientKind<Inputs, KeycloakClientState> = {
  name: "KeycloakClient",
  schema: keycloakClientArgsSchema,
  unknownReplaces: ["serverUrl", "realm", "clientId", "protocol"],
  locate: (env, s) => ({ base: baseOf(s.serverUrl), keycloak: keycloakConnection(env, s) }),

  diff(olds, news) {
    const d = diffClient(olds, news);
    const toggled = Boolean(news.fetchAdapterConfig) !== (olds.adapterConfig !== undefined);
    return {
      changes: d.replaces.length > 0 || d.changed.length > 0 || d.removed.length > 0 || toggled,
      replaces: d.replaces,
      deleteBeforeReplace: d.deleteBeforeReplace,
    };
  },

  requestedClientId: (inputs) => inputs.clientId,

  async register(env, inputs, auth, marker) {
    const body = createBody(inputs);
    if (marker) body.attributes = { ...((body.attributes as Record<string, string> | undefined) ?? {}), [OWNER_ATTRIBUTE]: marker };
    return stateFrom(await registerClient(keycloakConnection(env, inputs), auth, body), inputs, inputs, undefined, true);
  },

  async adopt(env, inputs, token) {
    const conn = keycloakConnection(env, inputs);
    const clientId = inputs.clientId!;
    const current = await readClient(conn, clientId, registrationAccessToken(token));
    if (!current) throw new Error(`cannot adopt client "${clientId}" in realm "${conn.realm}": it does not exist. Remove \`adopt\` to register it instead`);
    const baseline = stateFrom({ ...current, registrationAccessToken: current.registrationAccessToken ?? token }, inputs, inputs);
    if (diffClient(baseline, inputs).changed.length === 0) return baseline;
    const rep = await updateClient(conn, clientId, registrationAccessToken(baseline.registrationAccessToken!), updateBody(baseline, inputs, current as ClientScopes));
    return stateFrom(rep, inputs, inputs, baseline, true);
  },

  async afterCreate(env, inputs, state, { registered }, saved) {
    let latest = state;
    // Keycloak 25 answers some creates with a stale representation (measured on 25.0.6:
    // directAccessGrantsEnabled: true with standardFlowEnabled: false is stored, yet answered as false),
    // which would leave a diff no `up` settles: when the answer disagrees with the declaration, read
    // the client back once. On 26.x the answer always agrees and this costs nothing.
    // An override just recorded must not hide the disagreement: the read-back is what confirms it.
    if (registered && diffClient({ ...state, serverOverrides: undefined }, inputs).changed.length > 0) {
      const stored = await readClient(keycloakConnection(env, inputs), state.clientId, registrationAccessToken(state.registrationAccessToken ?? ""));
      if (stored) saved((latest = stateFrom({ ...stored, secret: stored.secret ?? state.clientSecret }, inputs, inputs, state, true)));
    }
    // Said once, after the read-back: what survived the write is what the server enforces.
    warnOfOverrides(`KeycloakClient "${latest.clientId}" in realm "${latest.realm}"`, undefined, latest.serverOverrides, likelyEnforcer);
    return inputs.fetchAdapterConfig ? withAdapterConfig(env, latest) : latest;
  },

  async read(env, state, token) {
    const rep = await readClient(keycloakConnection(env, state), state.clientId, registrationAccessToken(token));
    if (!rep) return undefined;
    const read = stateFrom(rep, state, state, state);
    return state.adapterConfig !== undefined ? withAdapterConfig(env, read) : read;
  },

  async update(env, olds, news, token) {
    const conn = keycloakConnection(env, news);
    // Keycloak replaces both scope lists when one is sent; the other must be sent as it stands.
    const current = needsCurrentScopes(news) ? await readClient(conn, olds.clientId, registrationAccessToken(token)) : undefined;
    const { adapterConfig: _dropped, ...previous } = olds;
    const state = stateFrom(await updateClient(conn, olds.clientId, registrationAccessToken(token), updateBody(olds, news, current as ClientScopes | undefined)), news, news, previous, true);
    warnOfOverrides(`KeycloakClient "${state.clientId}" in realm "${state.realm}"`, olds.serverOverrides, state.serverOverrides, likelyEnforcer);
    return state;
  },

  async afterUpdate(env, news, state) {
    let latest = state;
    // Keycloak rotates a secret after answering the update (the answer carries the old one): read it.
    if (latest.clientSecret !== undefined && secretRotates(latest)) {
      const stored = await readClient(keycloakConnection(env, news), latest.clientId, registrationAccessToken(latest.registrationAccessToken ?? ""));
      if (stored) latest = stateFrom(stored, news, news, latest, true);
    }
    return news.fetchAdapterConfig ? withAdapterConfig(env, latest) : latest;
  },

  async remove(env, state, token) {
    return (await deleteClient(keycloakConnection(env, state), state.clientId, registrationAccessToken(token))) === "deleted" ? "deleted" : "gone";
  },

  async imported(env, at, existing, token) {
    const rep = await readClient(keycloakConnection(env, at), existing.clientId, registrationAccessToken(token));
    if (!rep) throw new Error(`cannot import client "${existing.clientId}": it was deleted while being imported`);
    const inputs = importedDeclaration(rep, at);
    return { inputs, state: stateFrom({ ...rep, registrationAccessToken: rep.registrationAccessToken ?? token }, inputs, at) };
  },

  idOf: (s) => s.clientId,
  clientIdOf: (s) => s.clientId,
  internalIdOf: (s) => s.internalId,
  tokenOf: (s) => s.registrationAccessToken,
  withToken: (s, token) => ({ ...s, registrationAccessToken: token }),
  goneOnUpdate: (id, s) => `client "${id}" no longer exists in realm "${s.realm}": run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` registers it again`,
};
