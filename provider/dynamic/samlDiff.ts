import type { ClientRepresentation } from "../registration/defaultEndpoint";
import type { SamlClientInputs } from "../schema/samlClient";

/** The part of a SAML client Keycloak derives from the descriptor, without the private keys it may generate. */
export interface SamlSettings {
  redirectUris: string[];
  webOrigins: string[];
  attributes: Record<string, string>;
}

export interface SamlClientState {
  serverUrl: string;
  realm: string;
  clientId: string;
  internalId?: string;
  registrationAccessToken?: string;
  entityDescriptor: string;
  /** What Keycloak made of the descriptor at registration: the declaration drift is measured against. */
  registered: SamlSettings;
  /** What Keycloak holds now (refreshed by `read`). */
  observed: SamlSettings;
}

/**
 * Keys Keycloak fills with generated key material or per-read noise, and the provider's own ownership
 * marker (see ownership.ts): never stored, never compared, never reset by a drift repair.
 */
const UNMANAGED_ATTRIBUTE = /private\.key|secret|^pulumi-keycloak-registration\.owner$/i;

export function samlSettings(rep: ClientRepresentation): SamlSettings {
  const attributes = Object.fromEntries(
    Object.entries((rep.attributes ?? {}) as Record<string, string>).filter(([k]) => !UNMANAGED_ATTRIBUTE.test(k)),
  );
  return {
    redirectUris: [...((rep.redirectUris as string[] | undefined) ?? [])].sort(),
    webOrigins: [...((rep.webOrigins as string[] | undefined) ?? [])].sort(),
    attributes,
  };
}

/** Whitespace between elements carries no meaning; a reformatted descriptor is not a new client. */
export function normalizeDescriptor(xml: string): string {
  return xml.replace(/>\s+</g, "><").trim();
}

function sameSettings(a: SamlSettings, b: SamlSettings): boolean {
  const keys = new Set([...Object.keys(a.attributes), ...Object.keys(b.attributes)]);
  return (
    JSON.stringify(a.redirectUris) === JSON.stringify(b.redirectUris) &&
    JSON.stringify(a.webOrigins) === JSON.stringify(b.webOrigins) &&
    [...keys].every((k) => a.attributes[k] === b.attributes[k])
  );
}

export function diffSamlClient(olds: SamlClientState, news: SamlClientInputs): { replaces: string[]; drifted: boolean } {
  const replaces: string[] = [];
  if (olds.serverUrl !== news.serverUrl) replaces.push("serverUrl");
  if (olds.realm !== news.realm) replaces.push("realm");
  if (normalizeDescriptor(olds.entityDescriptor) !== normalizeDescriptor(news.entityDescriptor)) replaces.push("entityDescriptor");
  return { replaces, drifted: !sameSettings(olds.registered, olds.observed) };
}
