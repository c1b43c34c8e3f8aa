import { registrationAccessToken } from "../../registration/credentials";
import { ClientRepresentation, deleteClient, readClient, updateClient } from "../../registration/defaultEndpoint";
import { registerSamlClient } from "../../registration/samlEndpoint";
import { parseEntityDescriptor, samlClientArgsSchema, SamlClientInputs } from "../../schema/samlClient";
import { BaseInputs, ClientKind, keycloakConnection } from "../lifecycle";
import { OWNER_ATTRIBUTE } from "../ownership";
import { diffSamlClient, SamlClientState, samlSettings } from "../samlDiff";
import { baseOf } from "../../schema/connection";

type Inputs = SamlClientInputs & BaseInputs;

function entityIdOf(inputs: Inputs): string {
  const parsed = parseEntityDescriptor(inputs.entityDescriptor);
  if ("problem" in parsed) throw new Error(parsed.problem);
  return parsed.entityId;
}

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
 * A SAML client: registered from its EntityDescriptor through `saml2-entity-descriptor`, then read,
 * repaired and deleted through `default` with its registration access token. Keycloak has no update
 * from a descriptor, so a changed descriptor replaces the client; drift of what Keycloak derived from
 * it (redirect URIs, SAML attributes) is put back with a `default` PUT.
 */
export const samlClientKind: ClientKind<Inputs, SamlClientState> = {
  name: "SamlClient",
  schema: samlClientArgsSchema,
  unknownReplaces: ["serverUrl", "realm", "entityDescriptor"],
  locate: (env, s) => ({ base: baseOf(s.serverUrl), keycloak: keycloakConnection(env, s) }),

  diff(olds, news) {
    const d = diffSamlClient(olds, news);
    return { changes: d.replaces.length > 0 || d.drifted, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 };
  },

  requestedClientId: (inputs) => entityIdOf(inputs),
  takeoverProblem: (_inputs, existing) =>
    existing.protocol === "saml" ? undefined : `the client is registered with protocol "${existing.protocol ?? "openid-connect"}", not as a SAML client`,

  async register(env, inputs, auth) {
    const rep = await registerSamlClient(keycloakConnection(env, inputs), auth, inputs.entityDescriptor, entityIdOf(inputs));
    return stateOf(inputs, rep, rep.registrationAccessToken);
  },

  /**
   * Takes over the client registered for this entityID: what Keycloak holds now becomes the registered
   * settings that drift is measured against (the descriptor it was registered from cannot be read back).
   */
  async adopt(env, inputs, token) {
    const conn = keycloakConnection(env, inputs);
    const entityId = entityIdOf(inputs);
    const rep = await readClient(conn, entityId, registrationAccessToken(token));
    if (!rep) throw new Error(`cannot adopt SAML client "${entityId}" in realm "${conn.realm}": it does not exist. Remove \`adopt\` to register it instead`);
    if (rep.protocol !== "saml") {
      throw new Error(`cannot adopt client "${entityId}" in realm "${conn.realm}" as a SAML client: its protocol is "${String(rep.protocol ?? "openid-connect")}". Manage it with KeycloakClient instead`);
    }
    return stateOf(inputs, rep, rep.registrationAccessToken ?? token);
  },

  /** The create body is XML and carries no attributes: the ownership marker follows in the first update. */
  async afterCreate(env, inputs, state, { registered, marker }) {
    if (!registered || !marker) return state;
    const rep = await updateClient(keycloakConnection(env, state), state.clientId, registrationAccessToken(state.registrationAccessToken ?? ""), { attributes: { [OWNER_ATTRIBUTE]: marker } });
    return { ...state, registrationAccessToken: rep.registrationAccessToken ?? state.registrationAccessToken, observed: samlSettings(rep) };
  },

  async read(env, state, token) {
    const rep = await readClient(keycloakConnection(env, state), state.clientId, registrationAccessToken(token));
    return rep ? { ...state, registrationAccessToken: rep.registrationAccessToken ?? token, observed: samlSettings(rep) } : undefined;
  },

  async update(env, olds, _news, token) {
    // Put back what Keycloak derived from the descriptor; attributes added out of band are removed (empty value).
    const attributes: Record<string, string> = { ...olds.registered.attributes };
    for (const key of Object.keys(olds.observed.attributes)) if (!(key in attributes)) attributes[key] = "";
    const rep = await updateClient(keycloakConnection(env, olds), olds.clientId, registrationAccessToken(token), { redirectUris: olds.registered.redirectUris, webOrigins: olds.registered.webOrigins, attributes });
    return { ...olds, registrationAccessToken: rep.registrationAccessToken ?? token, observed: samlSettings(rep) };
  },

  async remove(env, state, token) {
    return (await deleteClient(keycloakConnection(env, state), state.clientId, registrationAccessToken(token))) === "deleted" ? "deleted" : "gone";
  },

  notImportable:
    "Keycloak cannot give back the EntityDescriptor a SAML client was registered from. Declare the SamlClient with its entityDescriptor and " +
    "`adopt: { registrationAccessToken }` (kcreg.sh update-token issues one), or import the client as a KeycloakClient",

  idOf: (s) => s.clientId,
  clientIdOf: (s) => s.clientId,
  internalIdOf: (s) => s.internalId,
  tokenOf: (s) => s.registrationAccessToken,
  withToken: (s, token) => ({ ...s, registrationAccessToken: token }),
  goneOnUpdate: (id, s) => `SAML client "${id}" no longer exists in realm "${s.realm}": run \`pulumi refresh\`, then \`pulumi up\` registers it again`,
};
