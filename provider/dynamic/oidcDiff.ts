import type { ClientMetadata } from "../registration/oidcEndpoint";
import { OIDC_FIELDS, OIDC_SET_FIELDS, OidcClientInputs, OidcField } from "../schema/oidcClient";
import { canonical, declaredKeysMatch, sortedSet } from "./compare";

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
}

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
 * observed and is taken as declared.
 */
export function observeOidc(server: ClientMetadata, declared: OidcMetadata): OidcMetadata {
  const view: Record<string, unknown> = {};
  for (const field of declaredOidcFields(declared)) {
    if (field === "extra") {
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

/** Pure comparison of the stored state with a program's new inputs. No network, no Pulumi. */
export function diffOidcClient(olds: OidcClientState, news: OidcClientInputs): OidcDiff {
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
