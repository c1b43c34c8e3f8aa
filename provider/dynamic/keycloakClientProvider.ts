import type * as pulumi from "@pulumi/pulumi";
import { Connection } from "../registration/connection";
import { BearerToken, bearerFor } from "../registration/credentials";
import { ClientRepresentation, deleteClient, readClient, registerClient, updateClient } from "../registration/defaultEndpoint";
import { issueRegistrationAccessToken } from "../registration/recovery";
import { ClientIdInUse } from "../registration/errors";
import { KeycloakClientInputs, keycloakClientArgsSchema } from "../schema/keycloakClient";
import { ClientFields, ClientScopes, createBody, diffClient, KeycloakClientState, needsCurrentScopes, observe, updateBody } from "./clientDiff";
import { checkWith, connectionOf, PROVIDER_KEY, surfaced, withRegistrationAccessToken } from "./common";
import { configureFrom, credentialsFor, NO_CREDENTIALS_HINT, settings } from "./settings";
import { containsUnknown } from "./unknowns";

type Inputs = KeycloakClientInputs & { [PROVIDER_KEY]?: string };

/** Outputs from the server's answer: identity, the newest token, the secret and the server's view of declared fields. */
function stateFrom(rep: ClientRepresentation, declared: ClientFields, base: { serverUrl: string; realm: string }, previous?: KeycloakClientState): KeycloakClientState {
  const isPublic = rep.publicClient === true || rep.bearerOnly === true;
  return {
    ...observe(rep, declared),
    serverUrl: base.serverUrl,
    realm: base.realm,
    clientId: String(rep.clientId ?? previous?.clientId),
    internalId: rep.id ?? previous?.internalId,
    registrationAccessToken: rep.registrationAccessToken ?? previous?.registrationAccessToken,
    ...(isPublic ? {} : { clientSecret: rep.secret ?? previous?.clientSecret }),
  };
}

/**
 * The server's view of a client it has just written. Keycloak 25 answers some creates with a stale
 * representation (measured on 25.0.6: `directAccessGrantsEnabled: true` with `standardFlowEnabled:
 * false` is stored, yet answered as false), which would leave a diff that no `up` can settle. When
 * the answer disagrees with the declaration, the client is read back once; an answer that agrees
 * (always, on 26.x) costs nothing.
 */
async function confirmed(conn: Connection, rep: ClientRepresentation, declared: Inputs, token: string | undefined): Promise<ClientRepresentation> {
  const clientId = rep.clientId;
  if (!token || typeof clientId !== "string") return rep;
  const answered: KeycloakClientState = { serverUrl: declared.serverUrl, realm: declared.realm, clientId, ...observe(rep, declared) };
  if (diffClient(answered, declared).changed.length === 0) return rep;
  // The client is registered whatever happens here: a failed read must not fail the create (it
  // would orphan the client); the next refresh sees the truth.
  const stored = await readClient(conn, clientId, { kind: "registration access token", value: token }).catch(() => undefined);
  return stored ? { ...stored, registrationAccessToken: rep.registrationAccessToken ?? token, secret: stored.secret ?? rep.secret } : rep;
}

/**
 * Takes over a client registered elsewhere: read it with the given token, then bring it to the
 * declared state. An update rotates the token, after which only this stack holds a valid one.
 */
async function adopt(conn: Connection, inputs: Inputs): Promise<{ id: string; outs: KeycloakClientState }> {
  const clientId = inputs.clientId!;
  const given: BearerToken = { kind: "registration access token", value: inputs.adopt!.registrationAccessToken };
  try {
    const current = await readClient(conn, clientId, given);
    if (!current) throw new Error(`cannot adopt client "${clientId}" in realm "${conn.realm}": it does not exist. Remove \`adopt\` to register it instead`);
    const baseline: KeycloakClientState = { serverUrl: inputs.serverUrl, realm: inputs.realm, clientId, registrationAccessToken: given.value, ...observe(current, inputs) };
    const d = diffClient(baseline, inputs);
    if (d.changed.length === 0) {
      return { id: clientId, outs: stateFrom({ ...current, registrationAccessToken: given.value }, inputs, inputs) };
    }
    const rep = await updateClient(conn, clientId, given, updateBody(baseline, inputs, current as ClientScopes));
    return { id: clientId, outs: stateFrom(rep, inputs, inputs, baseline) };
  } catch (e) {
    throw surfaced(e);
  }
}

export const keycloakClientProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    configureFrom(req.config);
  },

  async check(olds, news) {
    // Adopting needs no registration credentials: the client exists already.
    return checkWith(keycloakClientArgsSchema, olds, news, (inputs) => (inputs.adopt || credentialsFor(inputs.auth) ? undefined : NO_CREDENTIALS_HINT));
  },

  async diff(_id, olds: KeycloakClientState, news: Inputs) {
    if (containsUnknown(news)) {
      const unknownReplace = (["serverUrl", "realm", "clientId", "protocol"] as const).filter((k) => containsUnknown(news[k]));
      return { changes: true, replaces: unknownReplace };
    }
    const d = diffClient(olds, news);
    return {
      changes: d.replaces.length > 0 || d.changed.length > 0 || d.removed.length > 0,
      replaces: d.replaces,
      deleteBeforeReplace: d.deleteBeforeReplace,
    };
  },

  async create(inputs: Inputs) {
    const conn = connectionOf(inputs);
    if (inputs.adopt) return adopt(conn, inputs);
    const credentials = credentialsFor(inputs.auth);
    if (!credentials) throw new Error(NO_CREDENTIALS_HINT);
    try {
      const created = await registerClient(conn, await bearerFor(conn, credentials), createBody(inputs));
      const rep = await confirmed(conn, created, inputs, created.registrationAccessToken);
      const outs = stateFrom(rep, inputs, inputs);
      return { id: outs.clientId, outs };
    } catch (e) {
      // An earlier create whose answer was lost (a crash, a dropped response) left the client
      // registered but unknown to the stack: with a recovery service account, take it over.
      const recovery = settings().recovery;
      if (e instanceof ClientIdInUse && inputs.clientId && recovery) {
        const registrationAccessToken = await issueRegistrationAccessToken(conn, recovery, { clientId: inputs.clientId }).catch((r: unknown) => {
          throw surfaced(r);
        });
        return adopt(conn, { ...inputs, adopt: { registrationAccessToken } });
      }
      throw surfaced(e);
    }
  },

  async read(id, props?: KeycloakClientState) {
    if (!props?.registrationAccessToken) {
      throw new Error(`cannot read client "${id}": the stack holds no registration access token for it`);
    }
    const conn = connectionOf(props);
    try {
      const outcome = await withRegistrationAccessToken(conn, props, (token) => readClient(conn, id, token));
      if (outcome.gone || !outcome.value) return {};
      // Reading re-signs the same token: keep the one we hold (a recovered one replaces a lost one).
      return { id, props: stateFrom({ ...outcome.value, registrationAccessToken: outcome.registrationAccessToken }, props, props, props) };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async update(id, olds: KeycloakClientState, news: Inputs) {
    const conn = connectionOf(news);
    try {
      const outcome = await withRegistrationAccessToken(conn, olds, async (token) => {
        // Keycloak replaces both scope lists when one is sent; the other must be sent as it stands.
        const current = needsCurrentScopes(news) ? await readClient(conn, id, token) : undefined;
        return updateClient(conn, id, token, updateBody(olds, news, current as ClientScopes | undefined));
      });
      if (outcome.gone) {
        throw new Error(`client "${id}" no longer exists in realm "${news.realm}": run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` registers it again`);
      }
      return { outs: stateFrom(outcome.value, news, news, { ...olds, registrationAccessToken: outcome.registrationAccessToken }) };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async delete(id, props: KeycloakClientState) {
    const conn = connectionOf(props);
    try {
      // A client already gone counts as deleted.
      await withRegistrationAccessToken(conn, props, (token) => deleteClient(conn, id, token));
    } catch (e) {
      throw surfaced(e);
    }
  },
};
