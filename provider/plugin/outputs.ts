import { z } from "zod";
import type { KeycloakClientState } from "../dynamic/clientDiff";
import type { OidcClientState } from "../dynamic/oidcDiff";
import type { SamlClientState } from "../dynamic/samlDiff";
import type { KeycloakClientInputs } from "../schema/keycloakClient";
import type { OidcClientInputs } from "../schema/oidcClient";
import type { SamlClientInputs } from "../schema/samlClient";

/**
 * What each resource adds to its inputs as outputs (the server's answer), declared once for the
 * plugin: the package schema's `properties` come from here and from the input schemas, and the plugin
 * marks `secret` outputs as secrets. The type checks at the bottom fail to compile when the core's
 * state types and these declarations part ways.
 */

const epochSeconds = (what: string) => z.number().int().describe(what);

const serverOverride = z
  .object({ declared: z.unknown().describe("The value the program declares."), enforced: z.unknown().describe("The value the server holds instead.") })
  .describe("A declared value a policy of the server does not let it keep.");

const serverOverrides = z
  .record(z.string(), serverOverride)
  .describe(
    "Declared values a client policy of the realm does not let the server keep, by field: `{ declared, enforced }`. " +
      "The provider accepts the enforced value (no diff, no update to fight it) and warns once.",
  );

const samlSettings = z
  .object({
    redirectUris: z.array(z.string()).describe("Redirect URIs (sorted)."),
    webOrigins: z.array(z.string()).describe("Web origins (sorted)."),
    attributes: z.record(z.string(), z.string()).describe("SAML client attributes, without generated key material."),
  })
  .describe("What Keycloak derived from a SAML EntityDescriptor.");

export interface OutputDeclaration {
  /** Output-only fields. */
  fields: z.ZodObject;
  /** Inputs that are always present among the outputs. */
  requiredInputs: readonly string[];
  /** Inputs not echoed among the outputs (credentials, one-time instructions). */
  inputOnly: readonly string[];
  /** Outputs the plugin marks secret. */
  secret: readonly string[];
}

export const keycloakClientOutputs = {
  fields: z.object({
    internalId: z.string().describe("Keycloak's internal id (UUID) of the client.").optional(),
    registrationAccessToken: z.string().describe("The newest registration access token (secret); Keycloak rotates it on every update.").optional(),
    clientSecret: z.string().describe("The client secret of a confidential client (secret); absent for public and bearer-only clients.").optional(),
    adapterConfig: z.string().describe("keycloak.json from the `install` endpoint, with `fetchAdapterConfig: true` (secret: it holds the client secret).").optional(),
    clientSecretExpiresAt: epochSeconds("With Keycloak's client secret rotation: when the current secret expires (seconds since the epoch); 0 when it never does.").optional(),
    rotatedClientSecretExpiresAt: epochSeconds("With client secret rotation: until when Keycloak still accepts the rotated-out secret (seconds since the epoch).").optional(),
    serverOverrides: serverOverrides.optional(),
  }),
  requiredInputs: ["serverUrl", "realm", "clientId"],
  inputOnly: ["auth", "adopt", "fetchAdapterConfig"],
  secret: ["registrationAccessToken", "clientSecret", "adapterConfig"],
} as const satisfies OutputDeclaration;

export const oidcClientOutputs = {
  fields: z.object({
    client_secret: z.string().describe('The client secret of a confidential client (secret); absent when token_endpoint_auth_method is "none".').optional(),
    client_secret_expires_at: epochSeconds("When the client secret expires (seconds since the epoch); 0 for never.").optional(),
    registration_access_token: z.string().describe("The newest registration access token (secret)."),
    registration_client_uri: z.string().describe("The client's RFC 7592 management URL."),
    serverOverrides: serverOverrides.optional(),
  }),
  requiredInputs: ["client_id"],
  inputOnly: ["auth", "adopt"],
  secret: ["registration_access_token", "client_secret"],
} as const satisfies OutputDeclaration;

export const samlClientOutputs = {
  fields: z.object({
    clientId: z.string().describe("The clientId: the descriptor's entityID."),
    internalId: z.string().describe("Keycloak's internal id (UUID) of the client.").optional(),
    registrationAccessToken: z.string().describe("The newest registration access token (secret).").optional(),
    registered: samlSettings.describe("What Keycloak made of the descriptor at registration: what drift is measured against."),
    observed: samlSettings.describe("What Keycloak holds now (refreshed by `pulumi refresh`)."),
  }),
  requiredInputs: ["serverUrl", "realm", "entityDescriptor"],
  inputOnly: ["auth", "adopt"],
  secret: ["registrationAccessToken"],
} as const satisfies OutputDeclaration;

// Compile-time agreement with the core's state types: every state key is an input or a declared
// output, and every declared output is a state key.
type Never<T extends never> = T;
type OutputKeys<D extends { fields: z.ZodObject }> = keyof z.infer<D["fields"]>;
export type KeycloakClientOutputsAgree = [
  Never<Exclude<keyof KeycloakClientState, keyof KeycloakClientInputs | OutputKeys<typeof keycloakClientOutputs>>>,
  Never<Exclude<OutputKeys<typeof keycloakClientOutputs>, keyof KeycloakClientState>>,
];
export type OidcClientOutputsAgree = [
  Never<Exclude<keyof OidcClientState, keyof OidcClientInputs | OutputKeys<typeof oidcClientOutputs>>>,
  Never<Exclude<OutputKeys<typeof oidcClientOutputs>, keyof OidcClientState>>,
];
export type SamlClientOutputsAgree = [
  Never<Exclude<keyof SamlClientState, keyof SamlClientInputs | OutputKeys<typeof samlClientOutputs>>>,
  Never<Exclude<OutputKeys<typeof samlClientOutputs>, keyof SamlClientState>>,
];
