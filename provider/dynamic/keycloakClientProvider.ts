import type * as pulumi from "@pulumi/pulumi";
import { Connection } from "../registration/connection";
import { BearerToken, bearerFor } from "../registration/credentials";
import { ClientRepresentation, deleteClient, readClient, registerClient, updateClient } from "../registration/defaultEndpoint";
import { clientExists } from "../registration/clientExistence";
import { RegistrationAccessTokenRejected, RegistrationError } from "../registration/errors";
import { redact } from "../registration/redact";
import { problemsFrom } from "../schema/issues";
import { KeycloakClientInputs, keycloakClientArgsSchema } from "../schema/keycloakClient";
import { ClientFields, ClientScopes, createBody, diffClient, KeycloakClientState, needsCurrentScopes, observe, updateBody } from "./clientDiff";
import { configureFrom, credentialsFor, NO_CREDENTIALS_HINT, settings } from "./settings";
import { containsUnknown, withoutUnknowns } from "./unknowns";

const PROVIDER_KEY = "__provider";

type Inputs = KeycloakClientInputs & { [PROVIDER_KEY]?: string };

function connectionOf(s: { serverUrl: string; realm: string }): Connection {
  return { serverUrl: s.serverUrl, realm: s.realm, transport: settings().transport };
}

function registrationAccessToken(state: KeycloakClientState): BearerToken {
  return { kind: "registration access token", value: state.registrationAccessToken ?? "" };
}

/** A 401 on a client's own token means either "token dead" or "client gone"; only the second is not an error. */
async function goneInsteadOf(e: unknown, conn: Connection, clientId: string): Promise<boolean> {
  return e instanceof RegistrationAccessTokenRejected && !(await clientExists(conn, clientId));
}

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

/** Errors cross into Pulumi's output: only our own, token-free messages go through. */
function surfaced(e: unknown): Error {
  if (e instanceof RegistrationError) return e;
  return new Error(redact(e instanceof Error ? e.message : String(e)));
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
    const { [PROVIDER_KEY]: _provider, ...args } = news as Inputs;
    const parsed = keycloakClientArgsSchema.safeParse(withoutUnknowns(args));
    if (!parsed.success) return { failures: problemsFrom(keycloakClientArgsSchema, parsed.error) };
    const creating = !olds || Object.keys(olds).length === 0;
    if (creating && !parsed.data.adopt && !containsUnknown(args.auth) && !credentialsFor(parsed.data.auth)) {
      return { failures: [{ property: "auth", reason: NO_CREDENTIALS_HINT }] };
    }
    return { inputs: containsUnknown(args) ? news : { ...parsed.data, [PROVIDER_KEY]: news[PROVIDER_KEY] } };
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
      const rep = await registerClient(conn, await bearerFor(conn, credentials), createBody(inputs));
      const outs = stateFrom(rep, inputs, inputs);
      return { id: outs.clientId, outs };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async read(id, props?: KeycloakClientState) {
    if (!props?.registrationAccessToken) {
      throw new Error(`cannot read client "${id}": the stack holds no registration access token for it`);
    }
    const conn = connectionOf(props);
    try {
      const rep = await readClient(conn, id, registrationAccessToken(props));
      if (!rep) return {};
      // Reading re-signs the same token; keeping ours avoids churn in the state.
      return { id, props: stateFrom({ ...rep, registrationAccessToken: undefined }, props, props, props) };
    } catch (e) {
      if (await goneInsteadOf(e, conn, id)) return {};
      throw surfaced(e);
    }
  },

  async update(id, olds: KeycloakClientState, news: Inputs) {
    const conn = connectionOf(news);
    try {
      // Keycloak replaces both scope lists when one is sent; the other must be sent as it stands.
      const current = needsCurrentScopes(news) ? await readClient(conn, id, registrationAccessToken(olds)) : undefined;
      const rep = await updateClient(conn, id, registrationAccessToken(olds), updateBody(olds, news, current as ClientScopes | undefined));
      return { outs: stateFrom(rep, news, news, olds) };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async delete(id, props: KeycloakClientState) {
    const conn = connectionOf(props);
    try {
      await deleteClient(conn, id, registrationAccessToken(props));
    } catch (e) {
      // A client already gone counts as deleted.
      if (await goneInsteadOf(e, conn, id)) return;
      throw surfaced(e);
    }
  },
};
