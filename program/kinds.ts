import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { keycloakClientArgsSchema } from "../provider/schema/keycloakClient";
import { oidcClientArgsSchema } from "../provider/schema/oidcClient";
import { samlClientArgsSchema } from "../provider/schema/samlClient";

/** What the program exports for each registered client, whatever its kind. */
export interface ExportedClient {
  clientId: pulumi.Output<string>;
  /** Secret. */
  registrationAccessToken: pulumi.Output<string>;
  /** Secret; only for kinds and clients that have one. */
  clientSecret?: pulumi.Output<string | undefined>;
}

/**
 * One kind of client the root program can register. `schema` is the very schema the resource's
 * provider checks with, so the program rejects exactly what `check` would, only earlier and with the
 * entry's name. `resource` names the class exported by the package.
 */
export interface ClientKind {
  schema: z.ZodType;
  resource: "KeycloakClient" | "OidcClient" | "SamlClient";
  /** Fields an entry gets from its `name` unless it sets them itself. */
  defaultsFor(name: string): Record<string, unknown>;
  /** The outputs worth exporting, under one naming for every kind. */
  exports(client: Record<string, pulumi.Output<unknown>>, args: Record<string, unknown>): ExportedClient;
}

const out = (client: Record<string, pulumi.Output<unknown>>, key: string) => client[key] as pulumi.Output<string>;

/**
 * The `kind` switch of a clients entry. Adding a kind is one line here (plus the import of its
 * schema), e.g. `oidc: { schema: oidcClientArgsSchema, resource: "OidcClient", defaultsFor: ... }`.
 */
export const CLIENT_KINDS: Record<string, ClientKind> = {
  default: {
    schema: keycloakClientArgsSchema,
    resource: "KeycloakClient",
    defaultsFor: (name) => ({ name, clientId: name }),
    // A public or bearer-only client has no secret; leaving the key out keeps previews free of an unknown value.
    exports: (c, args) => ({
      clientId: out(c, "clientId"),
      registrationAccessToken: out(c, "registrationAccessToken"),
      ...(args.publicClient !== true && args.bearerOnly !== true ? { clientSecret: out(c, "clientSecret") } : {}),
    }),
  },
  oidc: {
    schema: oidcClientArgsSchema,
    resource: "OidcClient",
    defaultsFor: (name) => ({ client_name: name }),
    exports: (c, args) => ({
      clientId: out(c, "client_id"),
      registrationAccessToken: out(c, "registration_access_token"),
      ...(args.token_endpoint_auth_method !== "none" ? { clientSecret: out(c, "client_secret") } : {}),
    }),
  },
  saml: {
    schema: samlClientArgsSchema,
    resource: "SamlClient",
    defaultsFor: () => ({}),
    exports: (c) => ({ clientId: out(c, "clientId"), registrationAccessToken: out(c, "registrationAccessToken") }),
  },
};
