import type * as pulumi from "@pulumi/pulumi";
import { Connection } from "../registration/connection";
import { bearerFor } from "../registration/credentials";
import { clientExists } from "../registration/clientExistence";
import { RegistrationAccessTokenRejected } from "../registration/errors";
import { registerSecret } from "../registration/redact";
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
} from "../registration/oidcEndpoint";
import { OidcClientInputs, oidcClientArgsSchema } from "../schema/oidcClient";
import { diffOidcClient, observeOidc, oidcMetadataBody, OidcClientState, OidcMetadata } from "./oidcDiff";
import { configureFrom, credentialsFor, NO_CREDENTIALS_HINT, settings } from "./settings";
import { checkWith, PROVIDER_KEY, surfaced, withRegistrationAccessToken } from "./common";
import { containsUnknown } from "./unknowns";

type Inputs = OidcClientInputs & { [PROVIDER_KEY]?: string };

/** Where a client is registered: Keycloak (serverUrl + realm) or any RFC 7591 server (registrationEndpoint). */
type Location = Pick<OidcClientState, "serverUrl" | "realm" | "registrationEndpoint">;

function locationOf(s: Location): Location {
  return s.registrationEndpoint !== undefined ? { registrationEndpoint: s.registrationEndpoint } : { serverUrl: s.serverUrl, realm: s.realm };
}

/** The Keycloak connection, when the client lives in Keycloak; only then may Keycloak-specific requests be made. */
function keycloakOf(s: Location): Connection | undefined {
  return s.registrationEndpoint === undefined && s.serverUrl !== undefined && s.realm !== undefined
    ? { serverUrl: s.serverUrl, realm: s.realm, transport: settings().transport }
    : undefined;
}

function endpointOf(s: Location): OidcRegistrationEndpoint {
  const keycloak = keycloakOf(s);
  return keycloak ? keycloakOidcEndpoint(keycloak) : genericOidcEndpoint(s.registrationEndpoint ?? "", settings().transport);
}

function registrationOf(state: OidcClientState): ClientRegistration {
  return { registrationClientUri: state.registration_client_uri, registrationAccessToken: state.registration_access_token, clientId: state.client_id };
}

type Outcome<T> = { gone: true } | { gone: false; value: T; registrationAccessToken: string };

/**
 * Runs `op` with the stored registration. RFC 7592 answers a deleted client with 401 (or 404,
 * handled by the endpoint layer), and so does a dead token. On Keycloak the realm tells the two apart
 * and a lost token is recovered with the recovery service account, as for `KeycloakClient` (see
 * withRegistrationAccessToken). Any other server is taken at its RFC word: a 401 means gone when
 * `rejectedMeansGone` (read, delete), and stays an error otherwise (update).
 */
async function withRegistration<T>(state: OidcClientState, rejectedMeansGone: boolean, op: (reg: ClientRegistration) => Promise<T>): Promise<Outcome<T>> {
  const keycloak = keycloakOf(state);
  const reg = registrationOf(state);
  if (keycloak) {
    return withRegistrationAccessToken(keycloak, { clientId: state.client_id, registrationAccessToken: reg.registrationAccessToken }, (token) =>
      op({ ...reg, registrationAccessToken: token.value }),
    );
  }
  try {
    return { gone: false, value: await op(reg), registrationAccessToken: reg.registrationAccessToken };
  } catch (e) {
    if (rejectedMeansGone && e instanceof RegistrationAccessTokenRejected) return { gone: true };
    throw e;
  }
}

/**
 * Takes over a client registered elsewhere: read it through its registration_client_uri with the
 * given token, then bring it to the declaration (an update, which rotates the token on Keycloak, after
 * which only this stack holds a valid one).
 */
async function adopt(inputs: Inputs): Promise<{ id: string; outs: OidcClientState }> {
  const given = inputs.adopt!;
  registerSecret(given.registrationAccessToken);
  const endpoint = endpointOf(inputs);
  const registrationClientUri = given.registrationClientUri ?? `${endpoint.url}/${encodeURIComponent(given.clientId ?? "")}`;
  const reg: ClientRegistration = { registrationClientUri, registrationAccessToken: given.registrationAccessToken, clientId: given.clientId ?? "" };
  try {
    let current: ClientMetadata | undefined;
    try {
      current = await readOidcClient(endpoint, reg);
    } catch (e) {
      // Keycloak answers a deleted client with 401, as it does a dead token: ask the realm which.
      const keycloak = keycloakOf(inputs);
      if (!(e instanceof RegistrationAccessTokenRejected && keycloak && given.clientId !== undefined && !(await clientExists(keycloak, given.clientId)))) throw e;
    }
    if (!current) {
      throw new Error(`cannot adopt the client at ${registrationClientUri}: the server says it does not exist. Remove \`adopt\` to register a new client instead`);
    }
    const baseline = stateFrom({ ...current, registration_access_token: given.registrationAccessToken, registration_client_uri: current.registration_client_uri ?? registrationClientUri }, inputs, inputs);
    const d = diffOidcClient(baseline, inputs);
    if (d.replaces.length > 0) {
      throw new Error(`cannot adopt the client at ${registrationClientUri}: its client_id is "${baseline.client_id}", not the declared "${inputs.client_id}"`);
    }
    if (d.changed.length === 0) return { id: baseline.client_id, outs: baseline };
    const { client_id: _clientId, ...metadata } = oidcMetadataBody(inputs);
    const updated = await updateOidcClient(endpoint, registrationOf(baseline), metadata);
    const outs = stateFrom(updated, inputs, inputs, baseline);
    return { id: outs.client_id, outs };
  } catch (e) {
    throw surfaced(e);
  }
}

/** Outputs from the server's answer: identity, the newest token and URI, the secret and the server's view of declared metadata. */
function stateFrom(metadata: ClientMetadata, declared: OidcMetadata, location: Location, previous?: OidcClientState): OidcClientState {
  const view = observeOidc(metadata, declared);
  const isPublic = (metadata.token_endpoint_auth_method ?? declared.token_endpoint_auth_method) === "none";
  const expiresAt = metadata.client_secret_expires_at ?? previous?.client_secret_expires_at;
  return {
    ...view,
    ...locationOf(location),
    client_id: String(metadata.client_id ?? previous?.client_id),
    ...(isPublic ? {} : { client_secret: metadata.client_secret ?? previous?.client_secret }),
    ...(expiresAt === undefined || isPublic ? {} : { client_secret_expires_at: expiresAt }),
    // A server that does not rotate answers without a token (or with the same one): keep the newest.
    registration_access_token: metadata.registration_access_token ?? previous?.registration_access_token ?? "",
    registration_client_uri: metadata.registration_client_uri ?? previous?.registration_client_uri ?? "",
  };
}

function credentialsProblem(inputs: OidcClientInputs): string | undefined {
  // Adopting needs no registration credentials: the client exists already.
  if (inputs.adopt) return undefined;
  const credentials = credentialsFor(inputs.auth);
  if (!credentials) return NO_CREDENTIALS_HINT;
  if (credentials.kind === "serviceAccount" && inputs.registrationEndpoint !== undefined) {
    return "a service account fetches its token from a Keycloak realm, so it cannot register at registrationEndpoint: configure keycloak-registration:initialAccessToken or bearerToken, or give the resource auth.initialAccessToken or auth.bearerToken";
  }
  return undefined;
}

export const oidcClientProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    configureFrom(req.config);
  },

  async check(olds, news) {
    return checkWith(oidcClientArgsSchema, olds, news, credentialsProblem);
  },

  async diff(_id, olds: OidcClientState, news: Inputs) {
    if (containsUnknown(news)) {
      const unknownReplace = (["serverUrl", "realm", "registrationEndpoint", "client_id"] as const).filter((k) => containsUnknown(news[k]));
      return { changes: true, replaces: unknownReplace };
    }
    const d = diffOidcClient(olds, news);
    return { changes: d.replaces.length > 0 || d.changed.length > 0 || d.removed.length > 0, replaces: d.replaces, deleteBeforeReplace: false };
  },

  async create(inputs: Inputs) {
    if (inputs.adopt) return adopt(inputs);
    const problem = credentialsProblem(inputs);
    if (problem) throw new Error(problem);
    const endpoint = endpointOf(inputs);
    try {
      // An initial access token or a bearer token is just a bearer token to any RFC 7591 server.
      const auth = await bearerFor(keycloakOf(inputs) ?? { serverUrl: endpoint.serverUrl, realm: "", transport: endpoint.transport }, credentialsFor(inputs.auth)!);
      const created = await registerOidcClient(endpoint, auth, oidcMetadataBody(inputs));
      if (inputs.client_id !== undefined && created.clientId !== inputs.client_id) {
        // A server that assigns its own identifier would otherwise make every later preview a replacement.
        await deleteOidcClient(endpoint, created);
        throw new Error(
          `the server at ${endpoint.url} ignored the requested client_id "${inputs.client_id}" and assigned its own; the client it created was deleted again. Leave client_id out and read the assigned one from the client_id output`,
        );
      }
      const outs = stateFrom(created, inputs, inputs);
      return { id: outs.client_id, outs };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async read(id, props?: OidcClientState) {
    if (!props?.registration_access_token || !props.registration_client_uri) {
      throw new Error(`cannot read client "${id}": the stack holds no registration access token or registration_client_uri for it`);
    }
    try {
      const outcome = await withRegistration(props, true, (reg) => readOidcClient(endpointOf(props), reg));
      if (outcome.gone || !outcome.value) return {};
      // Keycloak re-signs the same token on a read: keep the one we hold (a recovered one replaces a lost one).
      const held = { ...props, registration_access_token: outcome.registrationAccessToken };
      return { id, props: stateFrom({ ...outcome.value, registration_access_token: undefined }, props, props, held) };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async update(id, olds: OidcClientState, news: Inputs) {
    try {
      const { client_id: _clientId, ...metadata } = oidcMetadataBody(news);
      const outcome = await withRegistration(olds, false, (reg) => updateOidcClient(endpointOf(news), reg, metadata));
      if (outcome.gone) {
        throw new Error(`client "${id}" no longer exists at ${endpointOf(olds).url}: run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` registers it again`);
      }
      return { outs: stateFrom(outcome.value, news, news, { ...olds, registration_access_token: outcome.registrationAccessToken }) };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async delete(_id, props: OidcClientState) {
    try {
      // A client already gone counts as deleted.
      await withRegistration(props, true, (reg) => deleteOidcClient(endpointOf(props), reg));
    } catch (e) {
      throw surfaced(e);
    }
  },
};
