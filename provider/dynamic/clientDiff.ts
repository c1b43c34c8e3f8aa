import type { ClientRepresentation } from "../registration/defaultEndpoint";
import {
  ATTRIBUTE_FIELDS,
  AttributeField,
  CLIENT_FIELDS,
  ClientField,
  JWKS_SWITCH,
  KeycloakClientInputs,
  ProtocolMapper,
  REPLACE_FIELDS,
  SET_FIELDS,
} from "../schema/keycloakClient";
import { canonical, declaredKeysMatch, sortedSet } from "./compare";
import { acceptOverrides, keptOverrides, OverrideRecord, overridesBetween, ServerOverride } from "./overrides";

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
  /** With Keycloak's client secret rotation: when the current secret expires (seconds since the epoch). */
  clientSecretExpiresAt?: number;
  /** With Keycloak's client secret rotation: when the rotated-out secret, still accepted until then, expires. */
  rotatedClientSecretExpiresAt?: number;
  /** Declared values Keycloak refused to keep (a client policy enforces another): see `overridesOf`. */
  serverOverrides?: OverrideRecord;
}

function isAttributeField(field: string): field is AttributeField {
  return Object.prototype.hasOwnProperty.call(ATTRIBUTE_FIELDS, field);
}

const BOOLEAN_ATTRIBUTE_FIELDS = new Set<ClientField>([
  "tlsClientCertificateBoundAccessTokens",
  "dpopBoundAccessTokens",
  "requirePushedAuthorizationRequests",
  "backchannelLogoutSessionRequired",
  "backchannelLogoutRevokeOfflineTokens",
]);

/** The client attributes a typed field is stored in. */
function attributesOf(field: AttributeField, value: unknown): Record<string, string> {
  const attributes: Record<string, string> = {
    [ATTRIBUTE_FIELDS[field]]: field === "jwks" ? JSON.stringify(value) : String(value),
  };
  if (field === "jwks" || field === "jwksUrl") attributes[JWKS_SWITCH[field]] = "true";
  return attributes;
}

/** What removing a typed field sends: an empty value removes an attribute; the JWKS switch goes off. */
function resetAttributesOf(field: AttributeField): Record<string, string> {
  const attributes: Record<string, string> = { [ATTRIBUTE_FIELDS[field]]: "" };
  if (field === "jwks" || field === "jwksUrl") attributes[JWKS_SWITCH[field]] = "false";
  return attributes;
}

/** A typed field as Keycloak holds it in the client's attributes; undefined when it holds none. */
function observedAttributeField(field: AttributeField, attributes: Record<string, unknown>): unknown {
  if ((field === "jwks" || field === "jwksUrl") && attributes[JWKS_SWITCH[field]] !== "true") return undefined;
  const raw = attributes[ATTRIBUTE_FIELDS[field]];
  if (typeof raw !== "string" || raw === "") return undefined;
  if (BOOLEAN_ATTRIBUTE_FIELDS.has(field)) return raw === "true" ? true : raw === "false" ? false : raw;
  if (field === "jwks") {
    // Keycloak keeps the text it was sent (or pretty-prints it): compare the key set, not the text.
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** The typed fields' attributes of a declaration. */
function typedAttributes(news: ClientFields): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const field of declaredFields(news as Record<string, unknown>)) {
    if (isAttributeField(field)) Object.assign(attributes, attributesOf(field, news[field]));
  }
  return attributes;
}

/**
 * The value a field returns to when a program stops declaring it: what a newly registered client
 * with the same declaration gets. Keycloak's PUT keeps any field it is not sent, so removal has to be
 * an explicit reset. Keycloak's defaults depend on whether `protocol` is sent (its OIDC defaults make a
 * client public with direct access grants). Scope lists have no such default (the realm decides), nor
 * has `clientAuthenticatorType` (a realm's secure-client-authenticator executor picks its own), so
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
      // A typed attribute field is reset by removing its attribute (see resetAttributesOf).
      return isAttributeField(field) ? "" : undefined;
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
    if (isAttributeField(field)) {
      const value = observedAttributeField(field, (server.attributes ?? {}) as Record<string, unknown>);
      if (value !== undefined) view[field] = value;
      continue;
    }
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

/**
 * Pure comparison of the stored state with a program's new inputs. No network, no Pulumi. A declared
 * value Keycloak refused to keep (recorded in `olds.serverOverrides`) is no change while the program
 * still declares it and the server still holds what it enforced: an update could not change it.
 */
export function diffClient(olds: KeycloakClientState, declared: KeycloakClientInputs): ClientDiff {
  const news = acceptOverrides(declared, olds, olds.serverOverrides, (f, want, have) => fieldSatisfied(f as ClientField, want, have, declared.protocol));
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
    if (isAttributeField(field)) continue; // sent in `attributes`, below
    if (field === "extra") Object.assign(body, news.extra);
    else if (field === "protocolMappers") {
      // Keycloak matches mappers on protocol and name: an update without `protocol` would duplicate them.
      body.protocolMappers = news.protocolMappers!.map((m) => ({ ...m, protocol: m.protocol ?? news.protocol ?? "openid-connect", config: m.config ?? {} }));
    } else body[field] = news[field];
  }
  const typed = typedAttributes(news);
  if (Object.keys(typed).length > 0) body.attributes = { ...((body.attributes as Record<string, string> | undefined) ?? {}), ...typed };
  return body as ClientRepresentation;
}

/**
 * The ClientRepresentation an update sends: every declared field (Keycloak's PUT applies what it is
 * sent), explicit resets for removed fields, and empty values for dropped attribute keys.
 */
export function updateBody(olds: KeycloakClientState, news: KeycloakClientInputs, currentScopes?: ClientScopes): ClientRepresentation {
  const body: Record<string, unknown> = createBody(news);
  const { removed } = diffClient(olds, news);
  const resets: Record<string, string> = {};
  for (const field of removed) {
    // An empty value makes Keycloak remove the attribute.
    if (field === "attributes") Object.assign(resets, Object.fromEntries(Object.keys(olds.attributes ?? {}).map((k) => [k, ""])));
    else if (isAttributeField(field)) Object.assign(resets, resetAttributesOf(field));
    else body[field] = resetValue(field, news);
  }
  // Keycloak replaces both scope lists when either is sent: send the other one as it stands.
  if ((news.defaultClientScopes === undefined) !== (news.optionalClientScopes === undefined)) {
    if (news.defaultClientScopes === undefined) body.defaultClientScopes = currentScopes?.defaultClientScopes;
    else body.optionalClientScopes = currentScopes?.optionalClientScopes;
  }
  if (news.attributes && olds.attributes) {
    for (const k of Object.keys(olds.attributes)) if (!(k in news.attributes)) resets[k] = "";
  }
  if (Object.keys(resets).length > 0) {
    // A reset never undoes what the declaration sets: an attribute moved into a typed field stays.
    const declaredAttributes = (body.attributes as Record<string, string> | undefined) ?? {};
    body.attributes = { ...resets, ...declaredAttributes };
  }
  return body;
}

/**
 * Declared values Keycloak's answer to a create or update does not hold: a client policy's executor
 * (or a registration policy) changed them. Pure: compares the declaration with the server's view of
 * the declared fields (see `observe`), naming each field as the program does (`consentRequired`,
 * `attributes.pkce.code.challenge.method`) with the executor that most likely enforces it.
 */
export function overridesOf(declared: ClientFields, answered: ClientFields): ServerOverride[] {
  const fields = declaredFields(declared as Record<string, unknown>).filter((f) => !REPLACE_FIELDS.has(f));
  return overridesBetween(declared, answered, fields, ["attributes", "extra"], (f, want, have) => fieldSatisfied(f as ClientField, want, have, declared.protocol), likelyEnforcer);
}

/** What a read keeps of the override record: the entries the server still enforces (see keptOverrides). */
export function keptClientOverrides(record: OverrideRecord | undefined, observed: ClientFields, protocol?: string): OverrideRecord | undefined {
  return keptOverrides(record, observed, ["attributes", "extra"], (f, want, have) => fieldSatisfied(f as ClientField, want, have, protocol));
}

/** The executor (or registration policy) that most likely enforces a value, by field. */
export function likelyEnforcer(field: string): string {
  const name = field.startsWith("attributes.") ? field.slice("attributes.".length) : field;
  const byAttribute = (Object.entries(ATTRIBUTE_FIELDS) as Array<[AttributeField, string]>).find(([, a]) => a === name)?.[0];
  switch (byAttribute ?? name) {
    case "consentRequired":
      return 'the client-policy executor "consent-required" (auto-configure)';
    case "fullScopeAllowed":
      return 'the client-policy executor "full-scope-disabled" (auto-configure)';
    case "clientAuthenticatorType":
      return 'the client-policy executor "secure-client-authenticator"';
    case "pkceCodeChallengeMethod":
      return 'the client-policy executor "pkce-enforcer" (auto-configure)';
    case "tlsClientCertificateBoundAccessTokens":
      return 'the client-policy executor "holder-of-key-enforcer" (auto-configure)';
    case "dpopBoundAccessTokens":
      return 'the client-policy executor "dpop-bind-enforcer" (auto-configure)';
    case "tlsClientAuthCaSubjectDn":
      return 'the client-policy executor "tls-client-auth-ca-subject-dn"';
    case "tokenEndpointAuthSigningAlg":
    case "id.token.signed.response.alg":
    case "user.info.response.signature.alg":
    case "request.object.signature.alg":
    case "authorization.signed.response.alg":
      return 'the client-policy executor "secure-signature-algorithm"';
    case "redirectUris":
    case "webOrigins":
    case "rootUrl":
    case "baseUrl":
    case "adminUrl":
      return 'a client-URI executor ("secure-redirect-uris-enforcer", "secure-client-uris") or the Trusted Hosts registration policy';
    default:
      return "a client policy of the realm";
  }
}

/**
 * With Keycloak's client secret rotation (the `secret-rotation` executor, a preview feature in
 * 26.7), the client's attributes say when the secret expires and until when the rotated-out one is
 * still accepted (seconds since the epoch). A secret that does not expire has neither.
 */
export function secretExpiryOf(rep: ClientRepresentation): Pick<KeycloakClientState, "clientSecretExpiresAt" | "rotatedClientSecretExpiresAt"> {
  if (rep.publicClient === true || rep.bearerOnly === true) return {};
  const attributes = (rep.attributes ?? {}) as Record<string, unknown>;
  const seconds = (key: string): number | undefined => {
    const n = typeof attributes[key] === "string" ? Number(attributes[key]) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  const expires = seconds("client.secret.expiration.time");
  const rotated = seconds("client.secret.rotated.expiration.time");
  return { ...(expires ? { clientSecretExpiresAt: expires } : {}), ...(rotated ? { rotatedClientSecretExpiresAt: rotated } : {}) };
}

/**
 * Whether a client's secret is under rotation (it has an expiry). Keycloak 26.7 rotates it *after*
 * building its answer to an update (measured: the PUT answer carries the old secret and times, a GET
 * right after the new ones), so an update of such a client has to be followed by one read to learn
 * the secret in use.
 */
export function secretRotates(state: Pick<KeycloakClientState, "clientSecretExpiresAt">): boolean {
  return (state.clientSecretExpiresAt ?? 0) > 0;
}

/** The rotated-out secret Keycloak keeps in the attributes (plaintext): for the redactor, never for the state. */
export function rotatedSecretOf(rep: ClientRepresentation): string | undefined {
  const rotated = ((rep.attributes ?? {}) as Record<string, unknown>)["client.secret.rotated"];
  return typeof rotated === "string" && rotated !== "" ? rotated : undefined;
}
