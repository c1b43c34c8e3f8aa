import { z } from "zod";
import { authSchema, realmSchema, serverUrlSchema } from "./connection";

const MAX_TEXT = 4096;
const MAX_LIST = 1000;

const text = (field: string, max = MAX_TEXT) =>
  z.string({ error: `${field} must be a string` }).max(max, `${field} must be at most ${max} characters`);
const flag = (field: string) => z.boolean({ error: `${field} must be true or false` });

/** A URL field that Keycloak also accepts as a path (`/app`) or with `${authBaseUrl}`-style placeholders. */
const urlish = (field: string) =>
  text(field, 2048).refine(
    (v) => v === "" || (!/\s/.test(v) && (/^\$\{[A-Za-z]+\}/.test(v) || v.startsWith("/") || isAbsoluteUrl(v))),
    `${field} must be an absolute URL (https://app.example.com), a path starting with "/", or start with a Keycloak placeholder such as \${authBaseUrl}`,
  );

function isAbsoluteUrl(v: string): boolean {
  try {
    return Boolean(new URL(v).protocol);
  } catch {
    return false;
  }
}

const uriList = (field: string) =>
  z
    .array(
      z
        .string({ error: `each entry of ${field} must be a string` })
        .min(1, `${field} must not contain an empty string`)
        .max(2048, `each entry of ${field} must be at most 2048 characters`)
        .regex(/^\S+$/, `entries of ${field} must not contain spaces`),
      { error: `${field} must be a list of strings` },
    )
    .max(MAX_LIST, `${field} may have at most ${MAX_LIST} entries`);

const nameList = (field: string) =>
  z
    .array(z.string({ error: `each entry of ${field} must be a string` }).min(1, `${field} must not contain an empty name`).max(255), {
      error: `${field} must be a list of names`,
    })
    .max(MAX_LIST);

export const protocolMapperSchema = z.strictObject({
  /** The mapper's name; mappers are matched by name. */
  name: z.string({ error: "protocolMappers[].name must be a string" }).min(1, "protocolMappers[].name must not be empty").max(255),
  /** `openid-connect` or `saml`; defaults to the client's protocol. */
  protocol: z.enum(["openid-connect", "saml"], { error: 'protocolMappers[].protocol must be "openid-connect" or "saml"' }).optional(),
  /** The mapper type, e.g. `oidc-usermodel-attribute-mapper`, `oidc-audience-mapper`. */
  protocolMapper: z.string({ error: "protocolMappers[].protocolMapper must be a string" }).min(1, "protocolMappers[].protocolMapper must not be empty"),
  config: z.record(z.string(), z.string({ error: "protocolMappers[].config values must be strings" })).optional(),
});

/**
 * The fields of Keycloak's ClientRepresentation that this resource manages. Each one you set is
 * registered, compared on every preview and restored on `up` when it drifts; each one you leave out
 * is left to Keycloak (and reset to Keycloak's default when you remove it after having set it).
 */
export const clientFieldsShape = {
  /** The client identifier (OAuth `client_id`). Omit it to let Keycloak generate one. Changing it replaces the client. */
  clientId: z
    .string({ error: "clientId must be a string" })
    .min(1, "clientId must not be empty")
    .max(255, "clientId must be at most 255 characters")
    .regex(/^[^\s/?#%]+(?:[^\s?#%]*[^\s/?#%])?$|^[a-z][a-z0-9+.-]*:\/\/\S+$/i, "clientId must not contain spaces or the characters ? # %")
    .optional(),
  name: text("name", 255).optional(),
  description: text("description", 255).optional(),
  enabled: flag("enabled").optional(),
  /** `openid-connect` (default) or `saml`. Changing it replaces the client. */
  protocol: z.enum(["openid-connect", "saml"], { error: 'protocol must be "openid-connect" or "saml"' }).optional(),
  publicClient: flag("publicClient").optional(),
  bearerOnly: flag("bearerOnly").optional(),
  rootUrl: urlish("rootUrl").optional(),
  baseUrl: urlish("baseUrl").optional(),
  adminUrl: urlish("adminUrl").optional(),
  redirectUris: uriList("redirectUris").optional(),
  webOrigins: uriList("webOrigins").optional(),
  standardFlowEnabled: flag("standardFlowEnabled").optional(),
  implicitFlowEnabled: flag("implicitFlowEnabled").optional(),
  directAccessGrantsEnabled: flag("directAccessGrantsEnabled").optional(),
  serviceAccountsEnabled: flag("serviceAccountsEnabled").optional(),
  consentRequired: flag("consentRequired").optional(),
  fullScopeAllowed: flag("fullScopeAllowed").optional(),
  frontchannelLogout: flag("frontchannelLogout").optional(),
  /** Keycloak client attributes (string values), e.g. `{ "pkce.code.challenge.method": "S256" }`. Only the keys you set are managed. */
  attributes: z
    .record(z.string().min(1, "attribute names must not be empty").max(255), text("attribute values", 4096), {
      error: "attributes must be a map of strings to strings",
    })
    .optional(),
  defaultClientScopes: nameList("defaultClientScopes").optional(),
  optionalClientScopes: nameList("optionalClientScopes").optional(),
  protocolMappers: z.array(protocolMapperSchema, { error: "protocolMappers must be a list of mappers" }).max(200).optional(),
  /**
   * Escape hatch: any other ClientRepresentation field (e.g. `surrogateAuthRequired`,
   * `alwaysDisplayInConsole`, `clientAuthenticatorType`, `authenticationFlowBindingOverrides`).
   * Sent as given and compared by value.
   */
  extra: z.record(z.string(), z.unknown(), { error: "extra must be a map of ClientRepresentation field names to values" }).optional(),
};

export const CLIENT_FIELDS = Object.keys(clientFieldsShape) as Array<keyof typeof clientFieldsShape>;
export type ClientField = (typeof CLIENT_FIELDS)[number];

/** Fields whose value is a set: Keycloak does not keep their order. */
export const SET_FIELDS = new Set<ClientField>(["redirectUris", "webOrigins", "defaultClientScopes", "optionalClientScopes"]);

/** Fields that cannot change in place: a new value means a new client. */
export const REPLACE_FIELDS = new Set<ClientField>(["clientId", "protocol"]);

/** ClientRepresentation fields the provider owns and that `extra` must not set. */
const RESERVED = new Set<string>(["id", "registrationAccessToken", "secret", "access", "authorizationSettings"]);

export const keycloakClientArgsSchema = z
  .strictObject({
    serverUrl: serverUrlSchema,
    realm: realmSchema,
    /** Per-resource credentials for registering; overrides the stack configuration. Stored as a secret, never compared. */
    auth: authSchema.optional(),
    /**
     * Adopt an already registered client instead of registering a new one: its registration access
     * token (e.g. from `kcreg.sh` or the admin console). Used once, by the first `up`; stored as a secret and never compared.
     */
    /** Also fetch the adapter configuration (keycloak.json) from the `install` endpoint, as the secret output `adapterConfig`. */
    fetchAdapterConfig: z.boolean({ error: "fetchAdapterConfig must be true or false" }).optional(),
    adopt: z
      .strictObject({
        registrationAccessToken: z.string({ error: "adopt.registrationAccessToken must be a string" }).min(1, "adopt.registrationAccessToken must not be empty"),
      })
      .optional(),
    ...clientFieldsShape,
  })
  .superRefine((c, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (c.publicClient && c.serviceAccountsEnabled) {
      problem("serviceAccountsEnabled", "a public client cannot have a service account: set publicClient: false or serviceAccountsEnabled: false");
    }
    if (c.publicClient && c.bearerOnly) {
      problem("bearerOnly", "a client cannot be both public and bearer-only: drop one of publicClient and bearerOnly");
    }
    if (c.protocol === "saml" && (c.publicClient || c.serviceAccountsEnabled || c.directAccessGrantsEnabled || c.implicitFlowEnabled)) {
      problem("protocol", "publicClient, serviceAccountsEnabled, directAccessGrantsEnabled and implicitFlowEnabled are OpenID Connect settings; remove them from a SAML client");
    }
    if (c.adopt && c.clientId === undefined) {
      problem("clientId", "adopting an existing client needs its clientId");
    }
    const mapperNames = new Set<string>();
    c.protocolMappers?.forEach((m, i) => {
      if (mapperNames.has(m.name)) {
        ctx.addIssue({ code: "custom", path: ["protocolMappers", i, "name"], message: `two protocol mappers are named "${m.name}"; mapper names must be unique` });
      }
      mapperNames.add(m.name);
    });
    for (const key of Object.keys(c.extra ?? {})) {
      if (RESERVED.has(key)) {
        ctx.addIssue({ code: "custom", path: ["extra", key], message: `"${key}" is managed by the provider and cannot be set through extra` });
      } else if ((CLIENT_FIELDS as string[]).includes(key)) {
        ctx.addIssue({ code: "custom", path: ["extra", key], message: `set "${key}" with its own argument, not through extra` });
      }
    }
  });

export type KeycloakClientArgs = z.input<typeof keycloakClientArgsSchema>;
export type KeycloakClientInputs = z.output<typeof keycloakClientArgsSchema>;
export type ProtocolMapper = z.infer<typeof protocolMapperSchema>;
