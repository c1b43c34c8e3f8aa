import type * as pulumi from "@pulumi/pulumi";
import { bearerFor } from "../registration/credentials";
import { deleteClient, readClient, updateClient } from "../registration/defaultEndpoint";
import { registerSamlClient } from "../registration/samlEndpoint";
import { parseEntityDescriptor, samlClientArgsSchema, SamlClientInputs } from "../schema/samlClient";
import { checkWith, connectionOf, PROVIDER_KEY, surfaced, withRegistrationAccessToken } from "./common";
import { diffSamlClient, SamlClientState, samlSettings } from "./samlDiff";
import { configureFrom, credentialsFor, NO_CREDENTIALS_HINT } from "./settings";
import { containsUnknown } from "./unknowns";

type Inputs = SamlClientInputs & { [PROVIDER_KEY]?: string };

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
    return checkWith(samlClientArgsSchema, olds, news, (inputs) => (credentialsFor(inputs.auth) ? undefined : NO_CREDENTIALS_HINT));
  },

  async diff(_id, olds: SamlClientState, news: Inputs) {
    if (containsUnknown(news)) return { changes: true, replaces: (["serverUrl", "realm", "entityDescriptor"] as const).filter((k) => containsUnknown(news[k])) };
    const d = diffSamlClient(olds, news);
    return { changes: d.replaces.length > 0 || d.drifted, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 };
  },

  async create(inputs: Inputs) {
    const credentials = credentialsFor(inputs.auth);
    if (!credentials) throw new Error(NO_CREDENTIALS_HINT);
    const parsed = parseEntityDescriptor(inputs.entityDescriptor);
    if ("problem" in parsed) throw new Error(parsed.problem);
    const conn = connectionOf(inputs);
    try {
      const rep = await registerSamlClient(conn, await bearerFor(conn, credentials), inputs.entityDescriptor, parsed.entityId);
      const settings = samlSettings(rep);
      const outs: SamlClientState = {
        serverUrl: inputs.serverUrl,
        realm: inputs.realm,
        clientId: String(rep.clientId),
        internalId: rep.id,
        registrationAccessToken: rep.registrationAccessToken,
        entityDescriptor: inputs.entityDescriptor,
        registered: settings,
        observed: settings,
      };
      return { id: outs.clientId, outs };
    } catch (e) {
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
