import { createHash, createHmac } from "node:crypto";

/**
 * Proof that a client was registered by this stack's resource: a client attribute written in the
 * create request (SAML: in the first update, its create body is XML), derived from
 * "<project>/<stack>/<Kind>/<name>". After "Client Identifier in use" the recovery account reads it
 * before any token is minted: a client whose marker differs belongs to someone else.
 */
export const OWNER_ATTRIBUTE = "pulumi-keycloak-registration.owner";

/** The hidden input the resource classes set to "<project>/<stack>/<Kind>/<name>". */
export const OWNER_KEY = "__owner";

/**
 * The marker value for an owner, or undefined when the resource has none (direct provider calls).
 * The owner's names are often public, so anyone who may register in the realm could write their
 * plain hash on a client first; the takeover it allows needs the recovery account, so where one serves
 * the server the marker is an HMAC keyed with its secret, which a registrant cannot compute.
 */
export function ownerMarker(owner: unknown, key?: string): string | undefined {
  if (typeof owner !== "string" || owner.length === 0) return undefined;
  return key ? createHmac("sha256", key).update(owner).digest("hex") : createHash("sha256").update(owner).digest("hex");
}
