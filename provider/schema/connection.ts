import { z } from "zod";

/** The stack configuration namespace: `pulumi config set keycloak-registration:<key> ...`. */
export { CONFIG_NAMESPACE } from "./namespace";

/**
 * Every stack configuration key the provider reads (`pulumi config set keycloak-registration:<key>`),
 * with what it is for. Each can also come from the environment as KEYCLOAK_REGISTRATION_<KEY_IN_SNAKE_CASE>.
 * The README's configuration reference is checked against this list by a unit test.
 */
export const CONFIG_KEYS = {
  serverUrl: "Keycloak's base URL, e.g. https://sso.example.com (default for every resource)",
  realm: "The realm clients are registered in (default for every resource)",
  initialAccessToken: "Auth mode: an initial access token (secret)",
  bearerToken: "Auth mode: a bearer token of a user or service account with create-client or manage-clients (secret)",
  serviceAccountClientId: "Auth mode: a service account's clientId (client-credentials grant)",
  serviceAccountClientSecret: "The service account's client secret (secret)",
  serviceAccountRealm: "The service account's realm, when it is not the clients' realm",
  anonymous: "Auth mode: `true` registers without a token, as the realm's anonymous policies allow",
  recoveryClientId: "Optional: a service account with manage-clients that issues a fresh registration access token when the stored one was lost",
  recoveryClientSecret: "The recovery service account's client secret (secret)",
  recoveryRealm: "The recovery service account's realm, when it is not the clients' realm",
  timeoutSeconds: "Per-request timeout (default 30)",
  retries: "Retries of idempotent requests (GET, DELETE) after a network fault or 502/503/504 (default 3)",
  caCertificate: "PEM certificate(s) of a private CA that signs Keycloak's TLS certificate",
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

const NO_SPACE = /^\S+$/;

/** `user:password@` in a URL: it would be logged, stored in the state and sent with every request. */
export function hasUserinfo(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const u = new URL(v);
  return u.username !== "" || u.password !== "";
}

/**
 * Whether the URL's path holds an encoded slash or backslash (%2F, %5C): a gateway that decodes it
 * before routing would send the request, and the stack's credentials bound to the path, elsewhere.
 */
export function hasEncodedSeparator(v: string): boolean {
  return URL.canParse(v) && /%(2f|5c)/i.test(new URL(v).pathname);
}

/**
 * A URL as credentials are bound to it: scheme://host:port and the path, without a trailing slash,
 * query or fragment (https://gw.example.com/kc-a), or undefined when it is no http(s) URL or its path
 * has an encoded slash or backslash. The host and the dot segments are normalised by WHATWG URL
 * parsing; the path is compared as written.
 */
export function baseOf(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const u = new URL(url);
  // An encoded slash or backslash reads as one segment here but may be routed as two by a gateway: no binding.
  if ((u.protocol !== "http:" && u.protocol !== "https:") || hasEncodedSeparator(url)) return undefined;
  return u.origin + u.pathname.replace(/\/+$/, "");
}

/**
 * Where an RFC 7592 server may say a client it registered lives: the registration endpoint's directory,
 * scheme://host:port and its path up to the last slash (https://gw.example.com/tenant-a/ for
 * https://gw.example.com/tenant-a/reg; a trailing slash of the endpoint is dropped first), or undefined
 * when the endpoint is no http(s) URL or has an encoded slash or backslash in its path. Every server we
 * know puts registration_client_uri there (/reg/<id>, /oauth2/register/<id>, /register?client_id=...).
 */
export function directoryOf(endpoint: string | undefined): string | undefined {
  const base = baseOf(endpoint);
  if (base === undefined) return undefined;
  const u = new URL(base);
  const path = u.pathname.replace(/\/+$/, "");
  return u.origin + (path.slice(0, path.lastIndexOf("/") + 1) || "/");
}

/**
 * Whether `url`, bound as credentials are (`baseOf`: http(s), dot segments resolved, no encoded slash
 * or backslash), lies under `directory` (see `directoryOf`): the same scheme, host and port, and a path
 * in it.
 */
export function isUnder(url: string | undefined, directory: string | undefined): boolean {
  const base = baseOf(url);
  return directory !== undefined && base !== undefined && `${base}/`.startsWith(directory);
}

export const ENCODED_SEPARATOR_IN_URL = (field: string) =>
  `${field} has an encoded slash or backslash (%2F, %5C) in its path, which a gateway may route elsewhere than the path reads; write the path with plain slashes`;

export const CREDENTIALS_IN_URL = (field: string) =>
  `credentials in ${field} would be logged and sent to every request; remove user:password@ and use the auth modes (the resource's auth, or keycloak-registration:initialAccessToken, bearerToken, serviceAccountClientId)`;

/**
 * Why a name that becomes one segment of a URL path (realm, clientId) would change the path instead:
 * "." and ".." are resolved away by every URL parser, and percent-encoded dots or slashes and
 * backslashes are decoded or folded by some servers and proxies.
 */
export function pathSegmentProblem(field: string, v: string): string | undefined {
  if (v === "." || v === "..") return `${field} must not be "${v}": as a segment of a URL path it would be resolved away and address another path`;
  if (/\\|%2e|%2f|%5c/i.test(v)) return `${field} must not contain a backslash or a percent-encoded dot or slash (%2e, %2f, %5c): servers and proxies may decode them into another URL path`;
  return undefined;
}

/** A zod check for a value that becomes one segment of a URL path. */
export const pathSegment =
  (field: string) =>
  (v: string, ctx: z.RefinementCtx): void => {
    const problem = pathSegmentProblem(field, v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  };

export const serverUrlSchema = z
  .string({ error: "serverUrl must be a string such as https://sso.example.com" })
  .min(1, "serverUrl must not be empty")
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, "serverUrl must be an absolute http(s) URL of Keycloak, such as https://sso.example.com (no query or fragment)")
  // zod runs every refinement even after one failed: a value that is no URL was reported above.
  .refine((v) => !URL.canParse(v) || !/\/realms(\/|$)/.test(new URL(v).pathname), "serverUrl is Keycloak's base URL: leave out /realms/<realm>; set the realm with the `realm` argument")
  .refine((v) => !hasUserinfo(v), CREDENTIALS_IN_URL("serverUrl"))
  .refine((v) => !hasEncodedSeparator(v), ENCODED_SEPARATOR_IN_URL("serverUrl"))
  // One spelling per server, so a trailing slash is never a replacement.
  .transform((v) => v.replace(/\/+$/, ""));

export const realmSchema = z
  .string({ error: "realm must be a string: the name of the Keycloak realm" })
  .min(1, "realm must not be empty")
  .max(255, "realm must be at most 255 characters")
  .regex(NO_SPACE, "realm must not contain spaces")
  .superRefine((v, ctx) => {
    const problem = pathSegmentProblem("realm", v) ?? (/[/?#%]/.test(v) ? 'realm must not contain "/", "?", "#" or "%": it is one segment of every URL the provider builds' : undefined);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const secretString = (field: string) =>
  z.string({ error: `${field} must be a string` }).min(1, `${field} must not be empty`).max(16384, `${field} is too long`);

/**
 * How new clients are registered. Exactly one mode. Only `create` uses these credentials: every later
 * read, update and delete authenticates with the client's own registration access token.
 */
export const authSchema = z
  .strictObject({
    /** An initial access token created by a realm admin (Realm settings > Client registration). */
    initialAccessToken: secretString("auth.initialAccessToken").optional(),
    /** A bearer token of a user or service account with the realm-management role create-client or manage-clients. */
    bearerToken: secretString("auth.bearerToken").optional(),
    /** A service account (client-credentials grant); its token is fetched once per run and reused until it expires. */
    serviceAccount: z
      .strictObject({
        clientId: z.string({ error: "auth.serviceAccount.clientId must be a string" }).min(1, "auth.serviceAccount.clientId must not be empty"),
        clientSecret: secretString("auth.serviceAccount.clientSecret"),
        /** The realm the service account lives in, when it is not the client's realm. */
        realm: realmSchema.optional(),
      })
      .optional(),
    /** Register without a token; the realm's anonymous registration policies decide. */
    anonymous: z.boolean({ error: "auth.anonymous must be true or false" }).optional(),
  })
  .superRefine((auth, ctx) => {
    const modes = (["initialAccessToken", "bearerToken", "serviceAccount"] as const).filter((k) => auth[k] !== undefined);
    if (auth.anonymous) modes.push("anonymous" as never);
    if (modes.length > 1) {
      ctx.addIssue({ code: "custom", message: `choose one auth mode, not ${modes.join(" and ")}`, path: [] });
    }
  });

export type Auth = z.infer<typeof authSchema>;
