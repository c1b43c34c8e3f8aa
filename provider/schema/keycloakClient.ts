import { z } from "zod";
import { httpUrl, jwsAlgorithm, publicJwks } from "./clientMetadata";
import { authSchema, pathSegment, realmSchema, serverUrlSchema } from "./connection";

const MAX_TEXT = 4096;

/** Keycloak's client authenticators (provider ids), as `secure-client-authenticator` lists them in 26.7. */
export const CLIENT_AUTHENTICATORS = ["client-secret", "client-jwt", "client-secret-jwt", "client-x509", "federated-jwt"] as const;
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
    .superRefine(pathSegment("clientId"))
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
   * How a confidential client authenticates at the token endpoint: `client-secret` (Keycloak's
   * default; OAuth `client_secret_basic`/`_post`), `client-jwt` (`private_key_jwt`: a JWT signed with
   * a key from `jwks` or `jwksUrl`), `client-secret-jwt`, `client-x509` (`tls_client_auth`: mutual TLS,
   * with `tlsClientAuthSubjectDn`) or `federated-jwt`.
   */
  clientAuthenticatorType: z
    .enum(CLIENT_AUTHENTICATORS, { error: `clientAuthenticatorType must be one of: ${CLIENT_AUTHENTICATORS.map((a) => `"${a}"`).join(", ")}` })
    .optional(),
  /** URL of the client's JSON Web Key Set (its public keys, e.g. for `client-jwt`). Mutually exclusive with `jwks`. */
  jwksUrl: httpUrl("jwksUrl").optional(),
  /** The client's public keys by value, as a JSON Web Key Set. Mutually exclusive with `jwksUrl`. */
  jwks: publicJwks("jwks").optional(),
  /** The algorithm the client must sign its `client-jwt` assertions with, e.g. `PS256`. */
  tokenEndpointAuthSigningAlg: jwsAlgorithm("tokenEndpointAuthSigningAlg").optional(),
  /** `client-x509`: the subject DN the client's certificate must carry, e.g. `CN=app,O=Example`. */
  tlsClientAuthSubjectDn: text("tlsClientAuthSubjectDn", 1024).min(1, "tlsClientAuthSubjectDn must not be empty").optional(),
  /**
   * `client-x509`: the subject DN of the CA that issued the client's certificate (trust anchor), in
   * RFC 4514 order. Keycloak 26.7 authenticates without it but logs the configuration as deprecated;
   * a realm's `tls-client-auth-ca-subject-dn` executor may set or enforce it.
   */
  tlsClientAuthCaSubjectDn: text("tlsClientAuthCaSubjectDn", 1024).min(1, "tlsClientAuthCaSubjectDn must not be empty").optional(),
  /** RFC 8705: bind access tokens to the client's TLS certificate (holder of key). */
  tlsClientCertificateBoundAccessTokens: flag("tlsClientCertificateBoundAccessTokens").optional(),
  /** RFC 9449: bind access tokens to a DPoP proof key. */
  dpopBoundAccessTokens: flag("dpopBoundAccessTokens").optional(),
  /** RFC 9126: the client must push its authorization requests (PAR). */
  requirePushedAuthorizationRequests: flag("requirePushedAuthorizationRequests").optional(),
  /** RFC 7636: the PKCE code challenge method the client must use (`S256`; `plain` only for legacy clients). */
  pkceCodeChallengeMethod: z.enum(["S256", "plain"], { error: 'pkceCodeChallengeMethod must be "S256" or "plain"' }).optional(),
  /** OpenID Connect Back-Channel Logout: where Keycloak posts logout tokens. */
  backchannelLogoutUrl: httpUrl("backchannelLogoutUrl").optional(),
  /** Include the session id (`sid`) in logout tokens. */
  backchannelLogoutSessionRequired: flag("backchannelLogoutSessionRequired").optional(),
  /** Also revoke offline sessions on back-channel logout. */
  backchannelLogoutRevokeOfflineTokens: flag("backchannelLogoutRevokeOfflineTokens").optional(),
  /**
   * Escape hatch: any other ClientRepresentation field (e.g. `surrogateAuthRequired`,
   * `alwaysDisplayInConsole`, `authenticationFlowBindingOverrides`).
   * Sent as given and compared by value.
   */
  extra: z.record(z.string(), z.unknown(), { error: "extra must be a map of ClientRepresentation field names to values" }).optional(),
};

export const CLIENT_FIELDS = Object.keys(clientFieldsShape) as Array<keyof typeof clientFieldsShape>;
export type ClientField = (typeof CLIENT_FIELDS)[number];

/**
 * Typed fields Keycloak keeps as client attributes, with the attribute each one is stored in (names
 * from Keycloak 26.7's OIDCAdvancedConfigWrapper). Booleans are stored as "true"/"false", `jwks` as
 * JSON; `jwks` and `jwksUrl` also set the switch that says which of the two Keycloak uses.
 */
export const ATTRIBUTE_FIELDS = {
  jwksUrl: "jwks.url",
  jwks: "jwks.string",
  tokenEndpointAuthSigningAlg: "token.endpoint.auth.signing.alg",
  tlsClientAuthSubjectDn: "x509.subjectdn",
  tlsClientAuthCaSubjectDn: "x509.casubjectdn",
  tlsClientCertificateBoundAccessTokens: "tls.client.certificate.bound.access.tokens",
  dpopBoundAccessTokens: "dpop.bound.access.tokens",
  requirePushedAuthorizationRequests: "require.pushed.authorization.requests",
  pkceCodeChallengeMethod: "pkce.code.challenge.method",
  backchannelLogoutUrl: "backchannel.logout.url",
  backchannelLogoutSessionRequired: "backchannel.logout.session.required",
  backchannelLogoutRevokeOfflineTokens: "backchannel.logout.revoke.offline.tokens",
} as const satisfies Partial<Record<ClientField, string>>;
export type AttributeField = keyof typeof ATTRIBUTE_FIELDS;

/** The switch attribute that tells Keycloak which of `jwks` and `jwksUrl` holds the keys. */
export const JWKS_SWITCH = { jwksUrl: "use.jwks.url", jwks: "use.jwks.string" } as const;

/** Client attributes Keycloak's client secret rotation keeps (the rotated-out secret among them): never declared. */
export const SECRET_ROTATION_ATTRIBUTE_PREFIX = "client.secret.";

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
    /** Also fetch the adapter configuration (keycloak.json) from the `install` endpoint, as the secret output `adapterConfig`. */
    fetchAdapterConfig: z.boolean({ error: "fetchAdapterConfig must be true or false" }).optional(),
    /**
     * Adopt an already registered client instead of registering a new one: its registration access
     * token (e.g. from `kcreg.sh` or the admin console). Used once, by the first `up`; stored as a secret and never compared.
     */
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
    if (c.publicClient && c.clientAuthenticatorType !== undefined) {
      problem("clientAuthenticatorType", "a public client does not authenticate at the token endpoint: drop clientAuthenticatorType or set publicClient: false");
    }
    const attributes = c.attributes ?? {};
    if (c.jwks !== undefined && c.jwksUrl !== undefined) problem("jwks", "jwks and jwksUrl are mutually exclusive: keep one");
    if (c.clientAuthenticatorType === "client-jwt" && c.jwks === undefined && c.jwksUrl === undefined && !attributes["jwks.url"] && !attributes["jwks.string"]) {
      problem("clientAuthenticatorType", "a client-jwt client signs its token requests with its private key: give Keycloak the public key with jwks (the key set) or jwksUrl (where to fetch it)");
    }
    if (c.clientAuthenticatorType === "client-x509" && c.tlsClientAuthSubjectDn === undefined && !attributes["x509.subjectdn"]) {
      problem("tlsClientAuthSubjectDn", "a client-x509 client is recognised by its certificate's subject DN: set tlsClientAuthSubjectDn, e.g. \"CN=app,O=Example\" (Keycloak refuses every certificate without it)");
    }
    for (const field of ["tlsClientAuthSubjectDn", "tlsClientAuthCaSubjectDn"] as const) {
      if (c[field] !== undefined && c.clientAuthenticatorType !== undefined && c.clientAuthenticatorType !== "client-x509") {
        problem(field, `${field} is used only by clientAuthenticatorType "client-x509" (tls_client_auth), not "${c.clientAuthenticatorType}"`);
      }
    }
    for (const [field, attribute] of Object.entries(ATTRIBUTE_FIELDS)) {
      const switchKey = (JWKS_SWITCH as Record<string, string>)[field];
      for (const key of [attribute, switchKey]) {
        if (key !== undefined && c[field as AttributeField] !== undefined && attributes[key] !== undefined) {
          ctx.addIssue({ code: "custom", path: ["attributes", key], message: `attribute "${key}" is what ${field} sets: declare it once, with ${field}` });
        }
      }
    }
    for (const key of Object.keys(attributes)) {
      if (key.startsWith(SECRET_ROTATION_ATTRIBUTE_PREFIX)) {
        ctx.addIssue({ code: "custom", path: ["attributes", key], message: `attribute "${key}" belongs to Keycloak's client secret rotation and cannot be declared; read the clientSecretExpiresAt and rotatedClientSecretExpiresAt outputs instead` });
      }
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
