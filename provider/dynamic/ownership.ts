import { createHash } from "node:crypto";

/**
 * Proof that a client was registered by this stack's resource: a client attribute written in the
 * create request (SAML: in the first update, its create body is XML), derived from
 * "<project>/<stack>/<Kind>/<name>". After "Client Identifier in use" the recovery account reads it
 * before any token is minted: a client whose marker differs belongs to someone else.
 */
export const OWNER_ATTRIBUTE = "pulumi-keycloak-registration.owner";

/** The hidden input the resource classes set to "<project>/<stack>/<Kind>/<name>". */
export const OWNER_KEY = "__owner";

/** The marker value for an owner, or undefined when the resource has none (direct provider calls). */
export function ownerMarker(owner: unknown): string | undefined {
  return typeof owner === "string" && owner.length > 0 ? createHash("sha256").update(owner).digest("hex") : undefined;
}
