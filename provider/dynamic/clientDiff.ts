import type { ClientRepresentation } from "../registration/defaultEndpoint";
import { CLIENT_FIELDS, ClientField, KeycloakClientInputs, ProtocolMapper, REPLACE_FIELDS, SET_FIELDS } from "../schema/keycloakClient";
import { canonical, declaredKeysMatch, sortedSet } from "./compare";

/** The client fields a program declares (a subset of ClientRepresentation). */
export type ClientFields = Partial<Pick<KeycloakClientInputs, ClientField>>;

/** What the stack keeps for one client: identity, tokens (secret) and the server's view of the managed fields. */
export interface KeycloakClientState extends ClientFields {
  serverUrl: string;
  realm: string;
  clientId: string;
  /** Keycloak's internal id (UUID) of the client. */
  internalId?: string;
  registrationAccessToken?: string;
  clientSecret?: string;
  /** keycloak.json, with `fetchAdapterConfig` (see adapterConfig.ts). */
  adapterConfig?: string;
}

/**
 * The value a field returns to when a program stops declaring it: what a newly registered client
 * with the same declaration gets. Keycloak's PUT keeps any field it is not sent, so removal has to be
 * an explicit reset. Keycloak's defaults depend on whether `protocol` is sent (its OIDC defaults make a
 * client public with direct access grants). Scope lists have no such default (the realm decides), so
 * removing them leaves them as they are.
 */
export function resetValue(field: ClientField, news: ClientFields): unknown {
  const oidcDefaults = news.protocol === "openid-connect";
  switch (field) {
    case "name":
    case "description":
    case "rootUrl":
    case "baseUrl":
    case "adminUrl":
      return "";
    case "redirectUris":
    case "webOrigins":
    case "protocolMappers":
      return [];
    case "enabled":
    case "standardFlowEnabled":
    case "fullScopeAllowed":
      return true;
    case "publicClient":
      return oidcDefaults && news.bearerOnly === undefined;
    case "directAccessGrantsEnabled":
      return oidcDefaults;
    case "bearerOnly":
    case "implicitFlowEnabled":
    case "serviceAccountsEnabled":
    case "consentRequired":
    case "frontchannelLogout":
      return false;
    default:
      return undefined;
  }
}

/** The client fields set in `obj`, in schema order. */
export function declaredFields(obj: Record<string, unknown>): ClientField[] {
  return CLIENT_FIELDS.filter((f) => obj[f] !== undefined && obj[f] !== null);
}

function mapperKey(m: ProtocolMapper, clientProtocol: string | undefined): string {
  return canonical({ name: m.name, protocol: m.protocol ?? clientProtocol ?? "openid-connect", protocolMapper: m.protocolMapper, config: m.config ?? {} });
}

/**
 * Whether the server's value of `field` satisfies the declared value. Only what is declared counts:
 * attributes and mapper config keys the program does not mention are Keycloak's business.
 */
export function fieldSatisfied(field: ClientField, declared: unknown, observed: unknown, clientProtocol?: string): boolean {
  switch (field) {
    case "attributes":
    case "extra":
      return declaredKeysMatch(declared, observed);
    case "protocolMappers": {
      const want = ((declared ?? []) as ProtocolMapper[]).map((m) => mapperKey(m, clientProtocol)).sort();
      const have = ((observed ?? []) as ProtocolMapper[]).map((m) => mapperKey(m, clientProtocol)).sort();
      return canonical(want) === canonical(have);
    }
    default:
      if (SET_FIELDS.has(field)) return canonical(sortedSet(declared)) === canonical(sortedSet(observed));
      return canonical(declared) === canonical(observed);
  }
}

/**
 * The server's view of the fields a program declares: what `read` stores, so that a refresh after
 * out-of-band drift shows a difference and the next `up` restores the declaration.
 */
export function observe(server: ClientRepresentation, declared: ClientFields): ClientFields {
  const view: Record<string, unknown> = {};
  for (const field of declaredFields(declared as Record<string, unknown>)) {
    const value: unknown = server[field];
    switch (field) {
      case "attributes":
      case "extra": {
        const source = (field === "attributes" ? server.attributes ?? {} : server) as Record<string, unknown>;
        const keys = Object.keys((declared[field] ?? {}) as Record<string, unknown>);
        view[field] = Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
        break;
      }
      case "protocolMappers": {
        const wanted = new Map((declared.protocolMappers ?? []).map((m) => [m.name, m]));
        view[field] = ((value ?? []) as Array<Record<string, unknown>>).map((m) => {
          const want = wanted.get(String(m.name));
          const config = (m.config ?? {}) as Record<string, string>;
          return {
            name: m.name,
            protocol: m.protocol,
            protocolMapper: m.protocolMapper,
            // A declared mapper is compared on the config keys the program sets; an undeclared one in full.
            config: want ? Object.fromEntries(Object.keys(want.config ?? {}).filter((k) => k in config).map((k) => [k, config[k]])) : config,
          };
        });
        break;
      }
      default:
        if (value !== undefined) view[field] = value;
    }
  }
  return view as ClientFields;
}

export interface ClientScopes {
  defaultClientScopes?: string[];
  optionalClientScopes?: string[];
}

/** Whether an update must first read the client's scope lists (see `updateBody`). */
export function needsCurrentScopes(news: ClientFields): boolean {
  return (news.defaultClientScopes === undefined) !== (news.optionalClientScopes === undefined);
}

export interface ClientDiff {
  /** Fields whose change needs a new client. */
  replaces: string[];
  /** Declared fields the server does not match. */
  changed: ClientField[];
  /** Fields the program stopped declaring: they go back to Keycloak's defaults. */
  removed: ClientField[];
  /** When the replacement keeps the clientId, the old client must go first. */
  deleteBeforeReplace: boolean;
}

/** Pure comparison of the stored state with a program's new inputs. No network, no Pulumi. */
export function diffClient(olds: KeycloakClientState, news: KeycloakClientInputs): ClientDiff {
  const replaces: string[] = [];
  if (olds.serverUrl !== news.serverUrl) replaces.push("serverUrl");
  if (olds.realm !== news.realm) replaces.push("realm");
  for (const field of REPLACE_FIELDS) {
    const want = news[field];
    if (want !== undefined && want !== olds[field]) replaces.push(field);
  }
  const changed = declaredFields(news as Record<string, unknown>).filter(
    (f) => !REPLACE_FIELDS.has(f) && !fieldSatisfied(f, news[f], olds[f], news.protocol),
  );
  const removed = declaredFields(olds as unknown as Record<string, unknown>).filter(
    (f) => !REPLACE_FIELDS.has(f) && news[f] === undefined && (f === "attributes" || resetValue(f, news) !== undefined),
  );
  // Attribute keys dropped from a declared map are removals too.
  if (news.attributes && olds.attributes) {
    const dropped = Object.keys(olds.attributes).some((k) => !(k in news.attributes!));
    if (dropped && !changed.includes("attributes")) changed.push("attributes");
  }
  if (news.extra && olds.extra) {
    const dropped = Object.keys(olds.extra).some((k) => !(k in news.extra!));
    if (dropped && !changed.includes("extra")) changed.push("extra");
  }
  const sameClientId = news.clientId === undefined || news.clientId === olds.clientId;
  const sameLocation = !replaces.includes("serverUrl") && !replaces.includes("realm");
  return { replaces, changed, removed, deleteBeforeReplace: replaces.length > 0 && sameClientId && sameLocation };
}

/** The ClientRepresentation a create sends: exactly the declared fields. */
export function createBody(news: KeycloakClientInputs): ClientRepresentation {
  const body: Record<string, unknown> = {};
  for (const field of declaredFields(news as Record<string, unknown>)) {
    if (field === "extra") Object.assign(body, news.extra);
    else if (field === "protocolMappers") {
      // Keycloak matches mappers on protocol and name: an update without `protocol` would duplicate them.
      body.protocolMappers = news.protocolMappers!.map((m) => ({ ...m, protocol: m.protocol ?? news.protocol ?? "openid-connect", config: m.config ?? {} }));
    } else body[field] = news[field];
  }
  return body as ClientRepresentation;
}

/**
 * The ClientRepresentation an update sends: every declared field (Keycloak's PUT applies what it is
 * sent), explicit resets for removed fields, and empty values for dropped attribute keys.
 */
export function updateBody(olds: KeycloakClientState, news: KeycloakClientInputs, currentScopes?: ClientScopes): ClientRepresentation {
  const body: Record<string, unknown> = createBody(news);
  const { removed } = diffClient(olds, news);
  for (const field of removed) {
    // An empty value makes Keycloak remove the attribute.
    if (field === "attributes") body.attributes = Object.fromEntries(Object.keys(olds.attributes ?? {}).map((k) => [k, ""]));
    else body[field] = resetValue(field, news);
  }
  // Keycloak replaces both scope lists when either is sent: send the other one as it stands.
  if ((news.defaultClientScopes === undefined) !== (news.optionalClientScopes === undefined)) {
    if (news.defaultClientScopes === undefined) body.defaultClientScopes = currentScopes?.defaultClientScopes;
    else body.optionalClientScopes = currentScopes?.optionalClientScopes;
  }
  if (news.attributes && olds.attributes) {
    const attributes = { ...(body.attributes as Record<string, string>) };
    for (const k of Object.keys(olds.attributes)) if (!(k in news.attributes)) attributes[k] = "";
    body.attributes = attributes;
  }
  return body;
}
