import type * as pulumi from "@pulumi/pulumi";
import { Connection } from "../registration/connection";
import { bearerFor } from "../registration/credentials";
import { ClientRepresentation, deleteClient, readClient, updateClient } from "../registration/defaultEndpoint";
import { ClientIdInUse } from "../registration/errors";
import { issueRegistrationAccessToken } from "../registration/recovery";
import { registerSecret } from "../registration/redact";
import { registerSamlClient } from "../registration/samlEndpoint";
import { parseEntityDescriptor, samlClientArgsSchema, SamlClientInputs } from "../schema/samlClient";
import { checkWith, connectionOf, PROVIDER_KEY, surfaced, withRegistrationAccessToken } from "./common";
import { diffSamlClient, SamlClientState, samlSettings } from "./samlDiff";
import { configureFrom, credentialsFor, NO_CREDENTIALS_HINT, settings } from "./settings";
import { containsUnknown } from "./unknowns";

type Inputs = SamlClientInputs & { [PROVIDER_KEY]?: string };

function stateOf(inputs: Inputs, rep: ClientRepresentation, registrationAccessToken: string | undefined): SamlClientState {
  const settings = samlSettings(rep);
  return {
    serverUrl: inputs.serverUrl,
    realm: inputs.realm,
    clientId: String(rep.clientId),
    internalId: rep.id,
    registrationAccessToken,
    entityDescriptor: inputs.entityDescriptor,
    registered: settings,
    observed: settings,
  };
}

/**
 * Takes over the client registered for this entityID: what Keycloak holds now becomes the registered
 * settings that drift is measured against (the descriptor it was registered from cannot be read back).
 */
async function adopt(conn: Connection, inputs: Inputs, entityId: string, registrationAccessToken: string): Promise<{ id: string; outs: SamlClientState }> {
  registerSecret(registrationAccessToken);
  const rep = await readClient(conn, entityId, { kind: "registration access token", value: registrationAccessToken });
  if (!rep) throw new Error(`cannot adopt SAML client "${entityId}" in realm "${conn.realm}": it does not exist. Remove \`adopt\` to register it instead`);
  if (rep.protocol !== "saml") {
    throw new Error(`cannot adopt client "${entityId}" in realm "${conn.realm}" as a SAML client: its protocol is "${String(rep.protocol ?? "openid-connect")}". Manage it with KeycloakClient instead`);
  }
  const outs = stateOf(inputs, rep, registrationAccessToken);
  return { id: outs.clientId, outs };
}

/**
 * A SAML client: registered from its EntityDescriptor through `saml2-entity-descriptor`, then read,
 * repaired and deleted through `default` with its registration access token. Keycloak has no update
 * from a descriptor, so a changed descriptor replaces the client; drift of what Keycloak derived from
 * it (redirect URIs, SAML attributes) is put back with a `default` PUT.
 */
export const samlClientProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    configureFrom(req.config);
  },

  async check(olds, news) {
    // Adopting needs no registration credentials: the client exists already.
    return checkWith(samlClientArgsSchema, olds, news, (inputs) => (inputs.adopt || credentialsFor(inputs.auth) ? undefined : NO_CREDENTIALS_HINT));
  },

  async diff(_id, olds: SamlClientState, news: Inputs) {
    if (containsUnknown(news)) return { changes: true, replaces: (["serverUrl", "realm", "entityDescriptor"] as const).filter((k) => containsUnknown(news[k])) };
    const d = diffSamlClient(olds, news);
    return { changes: d.replaces.length > 0 || d.drifted, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 };
  },

  async create(inputs: Inputs) {
    const parsed = parseEntityDescriptor(inputs.entityDescriptor);
    if ("problem" in parsed) throw new Error(parsed.problem);
    const conn = connectionOf(inputs);
    if (inputs.adopt) {
      try {
        return await adopt(conn, inputs, parsed.entityId, inputs.adopt.registrationAccessToken);
      } catch (e) {
        throw surfaced(e);
      }
    }
    const credentials = credentialsFor(inputs.auth);
    if (!credentials) throw new Error(NO_CREDENTIALS_HINT);
    try {
      const rep = await registerSamlClient(conn, await bearerFor(conn, credentials), inputs.entityDescriptor, parsed.entityId);
      const outs = stateOf(inputs, rep, rep.registrationAccessToken);
      return { id: outs.clientId, outs };
    } catch (e) {
      // A create whose answer was lost left the client registered but unknown to the stack: with a
      // recovery service account, take it over (as KeycloakClient does).
      const recovery = settings().recovery;
      if (e instanceof ClientIdInUse && recovery) {
        try {
          const token = await issueRegistrationAccessToken(conn, recovery, { clientId: parsed.entityId });
          return await adopt(conn, inputs, parsed.entityId, token);
        } catch (r) {
          throw surfaced(r);
        }
      }
      throw surfaced(e);
    }
  },

  async read(id, props?: SamlClientState) {
    if (!props?.registrationAccessToken) throw new Error(`cannot read SAML client "${id}": the stack holds no registration access token for it`);
    const conn = connectionOf(props);
    try {
      const outcome = await withRegistrationAccessToken(conn, props, (token) => readClient(conn, id, token));
      if (outcome.gone || !outcome.value) return {};
      return { id, props: { ...props, registrationAccessToken: outcome.registrationAccessToken, observed: samlSettings(outcome.value) } };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async update(id, olds: SamlClientState, news: Inputs) {
    const conn = connectionOf(news);
    try {
      // Put back what Keycloak derived from the descriptor; attributes added out of band are removed (empty value).
      const attributes: Record<string, string> = { ...olds.registered.attributes };
      for (const key of Object.keys(olds.observed.attributes)) if (!(key in attributes)) attributes[key] = "";
      const outcome = await withRegistrationAccessToken(conn, olds, (token) =>
        updateClient(conn, id, token, { redirectUris: olds.registered.redirectUris, webOrigins: olds.registered.webOrigins, attributes }),
      );
      if (outcome.gone) throw new Error(`SAML client "${id}" no longer exists in realm "${news.realm}": run \`pulumi refresh\`, then \`pulumi up\` registers it again`);
      return {
        outs: {
          ...olds,
          registrationAccessToken: outcome.value.registrationAccessToken ?? outcome.registrationAccessToken,
          observed: samlSettings(outcome.value),
        },
      };
    } catch (e) {
      throw surfaced(e);
    }
  },

  async delete(id, props: SamlClientState) {
    const conn = connectionOf(props);
    try {
      await withRegistrationAccessToken(conn, props, (token) => deleteClient(conn, id, token));
    } catch (e) {
      throw surfaced(e);
    }
  },
};
