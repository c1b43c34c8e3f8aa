import type { z } from "zod";
import { keycloakClientArgsSchema } from "../provider/schema/keycloakClient";

/**
 * One kind of client the root program can register. `schema` is the very schema the resource's
 * provider checks with, so the program rejects exactly what `check` would, only earlier and with the
 * entry's name. `resource` names the class exported by the package.
 */
export interface ClientKind {
  schema: z.ZodType;
  resource: "KeycloakClient";
  /** Fields an entry gets from its `name` unless it sets them itself. */
  defaultsFor(name: string): Record<string, unknown>;
}

/**
 * The `kind` switch of a clients entry. Adding a kind is one line here (plus the import of its
 * schema), e.g. `oidc: { schema: oidcClientArgsSchema, resource: "OidcClient", defaultsFor: ... }`.
 */
export const CLIENT_KINDS: Record<string, ClientKind> = {
  default: { schema: keycloakClientArgsSchema, resource: "KeycloakClient", defaultsFor: (name) => ({ name, clientId: name }) },
};
