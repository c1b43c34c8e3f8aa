import type { ClientMetadata } from "../registration/oidcEndpoint";
import { OIDC_FIELDS, OIDC_SET_FIELDS, OidcClientInputs, OidcField } from "../schema/oidcClient";
import { canonical, declaredKeysMatch, sortedSet } from "./compare";
import { acceptOverrides, keptOverrides, OverrideRecord, overridesBetween, ServerOverride } from "./overrides";

/** A metadata field other than the client's identity. */
export type OidcMetadataField = Exclude<OidcField, "client_id">;

/** The metadata a program declares. */
export type OidcMetadata = Partial<Pick<OidcClientInputs, OidcMetadataField>>;

/** What the stack keeps for one client: where it lives, its RFC 7592 handle (token secret) and the server's view of the declared metadata. */
export interface OidcClientState extends OidcMetadata {
  serverUrl?: string;
  realm?: string;
  registrationEndpoint?: string;
  client_id: string;
  client_secret?: string;
  client_secret_expires_at?: number;
  registration_access_token: string;
  registration_client_uri: string;
  /** Declared metadata the server refused to keep (a client policy enforces another): see `oidcOverridesOf`. */
  serverOverrides?: OverrideRecord;
}

/**
 * Metadata Keycloak answers wrongly. Keycloak 26.7.3 answers `backchannel_logout_session_required`
 * with the client's "revoke offline tokens" switch (measured: declared true with
 * `backchannel_logout_revoke_offline_tokens` false is stored as true and answered as false), so its
 * answer says nothing about the field: it is taken as declared, like metadata it does not return.
 */
const KEYCLOAK_MISREPORTED = new Set<string>(["backchannel_logout_session_required"]);

/** The metadata fields set in `obj`, in schema order. */
export function declaredOidcFields(obj: object): OidcMetadataField[] {
  const o = obj as Record<string, unknown>;
  return OIDC_FIELDS.filter((f): f is OidcMetadataField => f !== "client_id" && o[f] !== undefined && o[f] !== null);
}

function scopeSet(scope: unknown): string[] {
  return typeof scope === "string" ? sortedSet(scope.split(/\s+/).filter(Boolean)) : [];
}

/**
 * Whether the server's value of `field` satisfies the declared one. Sets are compared without order;
 * `scope` is a set written as one string; a `none` response type the server adds on its own (Keycloak
 * adds it to every code-flow client) is not a difference.
 */
export function oidcFieldSatisfied(field: OidcMetadataField, declared: unknown, observed: unknown): boolean {
  switch (field) {
    case "extra":
      return declaredKeysMatch(declared, observed);
    case "scope":
      return canonical(scopeSet(declared)) === canonical(scopeSet(observed));
    case "response_types": {
      const want = sortedSet(declared);
      const have = sortedSet(observed).filter((t) => t !== "none" || want.includes("none"));
      return canonical(want) === canonical(have);
    }
    default:
      if (OIDC_SET_FIELDS.has(field)) return canonical(sortedSet(declared)) === canonical(sortedSet(observed));
      return canonical(declared) === canonical(observed);
  }
}

/**
 * The server's view of the declared metadata: what create, read and update store, so that a refresh
 * after out-of-band drift shows a difference. A field the server does not return at all (Keycloak
 * keeps `contacts`, `tos_uri`, `logo_uri`, `policy_uri` and `application_type` to itself) cannot be
 * observed and is taken as declared, and so is one Keycloak misreports (`declared` carries the
 * location: no `registrationEndpoint` means Keycloak).
 */
export function observeOidc(server: ClientMetadata, declared: OidcMetadata & { registrationEndpoint?: string }): OidcMetadata {
  const view: Record<string, unknown> = {};
  const keycloak = declared.registrationEndpoint === undefined;
  for (const field of declaredOidcFields(declared)) {
    if (keycloak && KEYCLOAK_MISREPORTED.has(field)) {
      view[field] = declared[field];
    } else if (field === "extra") {
      const want = declared.extra ?? {};
      view.extra = Object.fromEntries(Object.keys(want).map((k) => [k, server[k] !== undefined ? server[k] : want[k]]));
    } else {
      view[field] = server[field] !== undefined ? server[field] : declared[field];
    }
  }
  return view as OidcMetadata;
}

export interface OidcDiff {
  /** Fields whose change needs a new client. */
  replaces: string[];
  /** Declared fields the server does not match. */
  changed: OidcMetadataField[];
  /** Fields the program stopped declaring: the next update leaves them out, and RFC 7592 lets the server delete them. */
  removed: OidcMetadataField[];
}

/**
 * Pure comparison of the stored state with a program's new inputs. No network, no Pulumi. Metadata
 * the server refused to keep (recorded in `olds.serverOverrides`) is no change while the program
 * still declares the refused value and the server still holds what it enforced.
 */
export function diffOidcClient(olds: OidcClientState, declared: OidcClientInputs): OidcDiff {
  const news = acceptOverrides(declared, olds, olds.serverOverrides, (f, want, have) => oidcFieldSatisfied(f as OidcMetadataField, want, have), ["extra"]);
  const replaces: string[] = (["serverUrl", "realm", "registrationEndpoint"] as const).filter((k) => olds[k] !== news[k]);
  if (news.client_id !== undefined && news.client_id !== olds.client_id) replaces.push("client_id");
  const changed = declaredOidcFields(news).filter((f) => !oidcFieldSatisfied(f, news[f], olds[f]));
  const removed = declaredOidcFields(olds).filter((f) => news[f] === undefined);
  // Keys dropped from a declared `extra` are removals too.
  if (news.extra && olds.extra && Object.keys(olds.extra).some((k) => !(k in news.extra!)) && !changed.includes("extra")) changed.push("extra");
  return { replaces, changed, removed };
}

/**
 * The metadata a create or update sends: exactly the declared fields, `extra` spread in. An update
 * sends it whole, so a field the program no longer declares is simply absent (RFC 7592 §2.2).
 */
export function oidcMetadataBody(news: OidcClientInputs): ClientMetadata {
  const body: Record<string, unknown> = {};
  if (news.client_id !== undefined) body.client_id = news.client_id;
  for (const field of declaredOidcFields(news)) {
    if (field === "extra") Object.assign(body, news.extra);
    else body[field] = news[field];
  }
  return body as ClientMetadata;
}

/**
 * Declared metadata the server's answer to a create or update does not hold: a client policy changed
 * it (Keycloak's `holder-of-key-enforcer` and `dpop-bind-enforcer` with auto-configure turn
 * `tls_client_certificate_bound_access_tokens` / `dpop_bound_access_tokens` false into true).
 * `answered` is `observeOidc` of that answer.
 */
export function oidcOverridesOf(declared: OidcMetadata, answered: OidcMetadata): ServerOverride[] {
  return overridesBetween(declared, answered, declaredOidcFields(declared), ["extra"], (f, want, have) => oidcFieldSatisfied(f as OidcMetadataField, want, have), likelyOidcEnforcer);
}

/** What a read keeps of the override record: the entries the server still enforces. */
export function keptOidcOverrides(record: OverrideRecord | undefined, observed: OidcMetadata): OverrideRecord | undefined {
  return keptOverrides(record, observed, ["extra"], (f, want, have) => oidcFieldSatisfied(f as OidcMetadataField, want, have));
}

/** The Keycloak executor that most likely enforces a metadata value, by field. */
export function likelyOidcEnforcer(field: string): string {
  switch (field.startsWith("extra.") ? field.slice("extra.".length) : field) {
    case "token_endpoint_auth_method":
      return 'the client-policy executor "secure-client-authenticator"';
    case "tls_client_certificate_bound_access_tokens":
      return 'the client-policy executor "holder-of-key-enforcer" (auto-configure)';
    case "dpop_bound_access_tokens":
      return 'the client-policy executor "dpop-bind-enforcer" (auto-configure)';
    case "token_endpoint_auth_signing_alg":
    case "id_token_signed_response_alg":
    case "userinfo_signed_response_alg":
    case "request_object_signing_alg":
    case "authorization_signed_response_alg":
      return 'the client-policy executor "secure-signature-algorithm"';
    case "redirect_uris":
    case "post_logout_redirect_uris":
    case "client_uri":
    case "jwks_uri":
    case "backchannel_logout_uri":
      return 'a client-URI executor ("secure-redirect-uris-enforcer", "secure-client-uris") or the Trusted Hosts registration policy';
    case "scope":
      return "the Allowed Client Scopes registration policy or a client policy of the realm";
    default:
      return "a policy of the server";
  }
}
