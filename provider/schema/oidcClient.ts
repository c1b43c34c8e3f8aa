import { z } from "zod";
import { httpUrl, jwsAlgorithm, publicJwks } from "./clientMetadata";
import { authSchema, CREDENTIALS_IN_URL, directoryOf, ENCODED_SEPARATOR_IN_URL, hasEncodedSeparator, hasUserinfo, isUnder, pathSegment, realmSchema, serverUrlSchema } from "./connection";

/**
 * RFC 7591 client metadata, spelt as the RFC spells it (snake_case): users copy it from specs and
 * from other servers' documentation, so the names are the standard's, not ours.
 */

const MAX_LIST = 1000;

function isAbsoluteUrl(v: string): boolean {
  try {
    return Boolean(new URL(v).protocol) && !/\s/.test(v);
  } catch {
    return false;
  }
}

const absoluteUrl = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .max(2048, `${field} must be at most 2048 characters`)
    .refine(isAbsoluteUrl, `${field} must be an absolute URL such as https://app.example.com/callback`);

const urlList = (field: string) =>
  z
    .array(
      z
        .string({ error: `each entry of ${field} must be a string` })
        .max(2048, `each entry of ${field} must be at most 2048 characters`)
        .refine(isAbsoluteUrl, `each entry of ${field} must be an absolute URL such as https://app.example.com/callback (a native app may use its own scheme: com.example.app:/callback)`),
      { error: `${field} must be a list of URLs` },
    )
    .max(MAX_LIST, `${field} may have at most ${MAX_LIST} entries`);

const text = (field: string, max = 255) =>
  z.string({ error: `${field} must be a string` }).min(1, `${field} must not be empty`).max(max, `${field} must be at most ${max} characters`);

/** RFC 7591 §2 and OAuth extension grants this provider knows by name. */
export const GRANT_TYPES = [
  "authorization_code",
  "implicit",
  "password",
  "client_credentials",
  "refresh_token",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "urn:ietf:params:oauth:grant-type:saml2-bearer",
  "urn:ietf:params:oauth:grant-type:device_code",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:openid:params:grant-type:ciba",
] as const;

/** RFC 7591 §2 and OAuth 2.0 Multiple Response Type Encoding Practices. */
export const RESPONSE_TYPES = ["code", "token", "id_token", "code id_token", "code token", "id_token token", "code id_token token", "none"] as const;

/** RFC 7591 §2, OIDC Core §9 and RFC 8705 (mutual TLS). */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  "none",
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
] as const;

/** OpenID Connect Dynamic Client Registration §2. */
export const APPLICATION_TYPES = ["web", "native"] as const;

const oneOf = <T extends readonly [string, ...string[]]>(field: string, values: T) =>
  z.enum(values, { error: `${field} must be one of: ${values.map((v) => `"${v}"`).join(", ")}` });

/**
 * The metadata fields this resource manages. Each one you set is registered, compared on every
 * preview and restored on `up` when it drifts; each one you leave out is the server's to decide.
 */
export const oidcMetadataShape = {
  /**
   * The client identifier. Omit it to let the server generate one (Keycloak's openid-connect
   * endpoint always does, and refuses a client_id in the request). Changing it replaces the client.
   */
  client_id: text("client_id").regex(/^\S+$/, "client_id must not contain spaces").superRefine(pathSegment("client_id")).optional(),
  /** Where the server may send the user back after authorization. */
  redirect_uris: urlList("redirect_uris").optional(),
  /** OAuth grant types the client may use; an extension grant is written as its URN. */
  grant_types: z
    .array(
      z
        .string({ error: "each entry of grant_types must be a string" })
        .refine(
          (v) => (GRANT_TYPES as readonly string[]).includes(v) || /^urn:\S+$/.test(v),
          `each entry of grant_types must be one of ${GRANT_TYPES.slice(0, 5).join(", ")}, or an extension grant's URN (urn:...)`,
        ),
      { error: "grant_types must be a list of grant types" },
    )
    .max(50)
    .optional(),
  /** OAuth response types the client may use, e.g. `["code"]`. */
  response_types: z.array(oneOf("each entry of response_types", RESPONSE_TYPES), { error: "response_types must be a list" }).max(20).optional(),
  /** Human-readable name shown to users. */
  client_name: text("client_name").optional(),
  client_uri: absoluteUrl("client_uri").optional(),
  logo_uri: absoluteUrl("logo_uri").optional(),
  policy_uri: absoluteUrl("policy_uri").optional(),
  tos_uri: absoluteUrl("tos_uri").optional(),
  /** People responsible for the client, usually e-mail addresses. */
  contacts: z
    .array(text("each entry of contacts"), { error: "contacts must be a list of strings" })
    .max(100)
    .optional(),
  /** Space-separated scope values the client may request, e.g. `"openid email"`. */
  scope: z
    .string({ error: 'scope must be a string of space-separated values, such as "openid email"' })
    .max(4096)
    .refine((v) => v.trim().length > 0, 'scope must not be empty: list scope values separated by spaces, such as "openid email", or leave scope out')
    .optional(),
  token_endpoint_auth_method: oneOf("token_endpoint_auth_method", TOKEN_ENDPOINT_AUTH_METHODS).optional(),
  /** URL of the client's JSON Web Key Set. Mutually exclusive with `jwks`. */
  jwks_uri: absoluteUrl("jwks_uri").optional(),
  /** The client's JSON Web Key Set by value (public keys only). Mutually exclusive with `jwks_uri`. */
  jwks: publicJwks("jwks").optional(),
  /** The algorithm the client signs its `private_key_jwt` / `client_secret_jwt` assertions with, e.g. `PS256`. */
  token_endpoint_auth_signing_alg: jwsAlgorithm("token_endpoint_auth_signing_alg").optional(),
  /** RFC 8705 `tls_client_auth`: the subject DN the client's certificate must carry, e.g. `CN=app,O=Example`. */
  tls_client_auth_subject_dn: text("tls_client_auth_subject_dn", 1024).optional(),
  /** RFC 8705: bind access tokens to the client's TLS certificate (holder of key). */
  tls_client_certificate_bound_access_tokens: z.boolean({ error: "tls_client_certificate_bound_access_tokens must be true or false" }).optional(),
  /** RFC 9449: bind access tokens to a DPoP proof key. */
  dpop_bound_access_tokens: z.boolean({ error: "dpop_bound_access_tokens must be true or false" }).optional(),
  /** RFC 9126: the client must push its authorization requests (PAR). */
  require_pushed_authorization_requests: z.boolean({ error: "require_pushed_authorization_requests must be true or false" }).optional(),
  /** OpenID Connect Back-Channel Logout: where the server posts logout tokens. */
  backchannel_logout_uri: httpUrl("backchannel_logout_uri").optional(),
  /** Include the session id (`sid`) in logout tokens. */
  backchannel_logout_session_required: z.boolean({ error: "backchannel_logout_session_required must be true or false" }).optional(),
  application_type: oneOf("application_type", APPLICATION_TYPES).optional(),
  /** Where the server may send the user after logout (OpenID Connect RP-Initiated Logout). */
  post_logout_redirect_uris: urlList("post_logout_redirect_uris").optional(),
  /**
   * Escape hatch: any other RFC 7591 / server-specific metadata (e.g. `id_token_signed_response_alg`,
   * `software_statement`). Sent as given; only the keys you set are compared.
   */
  extra: z.record(z.string(), z.unknown(), { error: "extra must be a map of client metadata names to values" }).optional(),
};

export const OIDC_FIELDS = Object.keys(oidcMetadataShape) as Array<keyof typeof oidcMetadataShape>;
export type OidcField = (typeof OIDC_FIELDS)[number];

/** Fields whose value is a set: their order means nothing. `scope` is a set too, written as one string. */
export const OIDC_SET_FIELDS = new Set<OidcField>(["redirect_uris", "grant_types", "response_types", "contacts", "post_logout_redirect_uris"]);

/** Metadata the server owns (RFC 7591 §3.2.1, RFC 7592): never set through `extra`. */
const SERVER_OWNED = new Set(["client_secret", "client_secret_expires_at", "client_id_issued_at", "registration_access_token", "registration_client_uri"]);

export const registrationEndpointSchema = z
  .string({ error: "registrationEndpoint must be a string such as https://as.example.com/register" })
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && !u.hash;
    } catch {
      return false;
    }
  }, "registrationEndpoint must be an absolute http(s) URL: the server's RFC 7591 `registration_endpoint` from its discovery document")
  .refine((v) => !hasUserinfo(v), CREDENTIALS_IN_URL("registrationEndpoint"))
  .refine((v) => !hasEncodedSeparator(v), ENCODED_SEPARATOR_IN_URL("registrationEndpoint"));

export const oidcClientArgsSchema = z
  .strictObject({
    /** Keycloak's base URL; with `realm`, the endpoint is `{serverUrl}/realms/{realm}/clients-registrations/openid-connect`. */
    serverUrl: serverUrlSchema.optional(),
    realm: realmSchema.optional(),
    /** Any RFC 7591 server's registration endpoint, instead of `serverUrl` + `realm`. */
    registrationEndpoint: registrationEndpointSchema.optional(),
    /** Per-resource credentials for registering; overrides the stack configuration. Stored as a secret, never compared. */
    auth: authSchema.optional(),
    /**
     * Adopt a client registered elsewhere instead of registering one: its registration access token
     * and either its `registration_client_uri` (any server) or, on Keycloak, its `clientId`. Only the
     * first `up` uses it; stored as a secret, never compared.
     */
    adopt: z
      .strictObject(
        {
          registrationAccessToken: z.string({ error: "adopt.registrationAccessToken must be a string" }).min(1, "adopt.registrationAccessToken must not be empty"),
          registrationClientUri: absoluteUrl("adopt.registrationClientUri").optional(),
          clientId: text("adopt.clientId").superRefine(pathSegment("adopt.clientId")).optional(),
        },
        { error: "adopt must be { registrationAccessToken, registrationClientUri } (or, on Keycloak, { registrationAccessToken, clientId })" },
      )
      .optional(),
    ...oidcMetadataShape,
  })
  .superRefine((c, ctx) => {
    const problem = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const keycloak = c.serverUrl !== undefined || c.realm !== undefined;
    if (c.registrationEndpoint !== undefined && keycloak) {
      problem(["registrationEndpoint"], "give either registrationEndpoint (any RFC 7591 server) or serverUrl and realm (Keycloak), not both");
    } else if (c.registrationEndpoint === undefined && (c.serverUrl === undefined || c.realm === undefined)) {
      problem([c.serverUrl === undefined ? "serverUrl" : "realm"], "give serverUrl and realm (Keycloak), or registrationEndpoint (any RFC 7591 server)");
    }
    if (c.registrationEndpoint !== undefined && c.auth?.serviceAccount) {
      problem(["auth", "serviceAccount"], "a service account fetches its token from a Keycloak realm; with registrationEndpoint use auth.initialAccessToken or auth.bearerToken");
    }
    if (keycloak && c.client_id !== undefined) {
      problem(["client_id"], "Keycloak's openid-connect endpoint generates the client_id and refuses one in the request (\"Client Identifier included\"): leave client_id out and read the generated one from the `client_id` output, or use KeycloakClient to choose it");
    }
    if (c.adopt !== undefined) {
      const { registrationClientUri, clientId } = c.adopt;
      if (registrationClientUri !== undefined && clientId !== undefined) {
        problem(["adopt", "clientId"], "give adopt.registrationClientUri or adopt.clientId, not both");
      } else if (registrationClientUri === undefined && clientId === undefined) {
        problem(
          ["adopt", "registrationClientUri"],
          c.registrationEndpoint !== undefined
            ? "adopting a client needs its registration_client_uri: the URL the server returned with the client's registration access token"
            : "adopting a client needs its registration_client_uri, or on Keycloak its clientId (adopt.clientId)",
        );
      } else if (clientId !== undefined && c.registrationEndpoint !== undefined) {
        problem(["adopt", "clientId"], "with registrationEndpoint the client's management URL cannot be derived from its clientId: give adopt.registrationClientUri, the registration_client_uri the server returned");
      } else if (registrationClientUri !== undefined && c.registrationEndpoint !== undefined) {
        // The token goes only under the endpoint's directory (RFC 7592 URIs, see directoryOf): say so here, before any request.
        const directory = directoryOf(c.registrationEndpoint);
        if (directory !== undefined && !isUnder(registrationClientUri, directory)) {
          problem(
            ["adopt", "registrationClientUri"],
            `adopt.registrationClientUri must lie under the registration endpoint's directory ${directory} (same scheme, host, port and path prefix, no encoded slash): the registration access token is sent nowhere else. Give the registration_client_uri the server returned for this client, or set registrationEndpoint to the endpoint of the server that manages it`,
          );
        }
      }
    }
    if (c.jwks !== undefined && c.jwks_uri !== undefined) {
      problem(["jwks"], "jwks and jwks_uri are mutually exclusive (RFC 7591 §2): keep one");
    }
    const method = c.token_endpoint_auth_method;
    if ((method === "private_key_jwt" || method === "self_signed_tls_client_auth") && c.jwks === undefined && c.jwks_uri === undefined) {
      problem(
        ["token_endpoint_auth_method"],
        `${method} authenticates with the client's own key: register its public key with jwks (the key set) or jwks_uri (where to fetch it); Keycloak refuses the registration otherwise ("Client metadata invalid")`,
      );
    }
    const sanNames = ["tls_client_auth_san_dns", "tls_client_auth_san_uri", "tls_client_auth_san_ip", "tls_client_auth_san_email"];
    if (method === "tls_client_auth" && c.tls_client_auth_subject_dn === undefined && !sanNames.some((k) => c.extra?.[k] !== undefined)) {
      problem(
        ["tls_client_auth_subject_dn"],
        'tls_client_auth recognises the client by its certificate (RFC 8705 §2.1.2): set tls_client_auth_subject_dn, e.g. "CN=app,O=Example" (Keycloak supports only the subject DN)',
      );
    }
    if (c.tls_client_auth_subject_dn !== undefined && method !== undefined && method !== "tls_client_auth") {
      problem(["tls_client_auth_subject_dn"], `tls_client_auth_subject_dn is used only with token_endpoint_auth_method "tls_client_auth", not "${method}"`);
    }
    for (const key of Object.keys(c.extra ?? {})) {
      if (SERVER_OWNED.has(key)) problem(["extra", key], `"${key}" is issued by the server and cannot be set`);
      else if ((OIDC_FIELDS as string[]).includes(key)) problem(["extra", key], `set "${key}" with its own argument, not through extra`);
    }
  });

export type OidcClientArgs = z.input<typeof oidcClientArgsSchema>;
export type OidcClientInputs = z.output<typeof oidcClientArgsSchema>;
