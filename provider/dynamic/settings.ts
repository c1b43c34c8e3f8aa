import type * as pulumi from "@pulumi/pulumi";
import { CreateCredentials } from "../registration/credentials";
import { RecoveryCredentials } from "../registration/recovery";
import { TransportOptions } from "../registration/http";
import { registerSecret } from "../registration/redact";
import { Auth, baseOf, CONFIG_NAMESPACE, ConfigKey } from "../schema/connection";

/**
 * Provider-wide settings, read in the provider process from the stack configuration
 * (`keycloak-registration:<key>`) or, failing that, from `KEYCLOAK_REGISTRATION_<KEY>` environment
 * variables. Credentials live only here, in memory: never in resource inputs or the serialized provider.
 *
 * The stack-wide credentials and the recovery account are bound to one Keycloak, the configured
 * `serverUrl` (its origin and its path): a token issued by that Keycloak is never sent to another host a
 * program names, nor to another Keycloak behind the same gateway (https://gw/kc-b for https://gw/kc-a).
 */
export interface ProviderSettings {
  /** `keycloak-registration:serverUrl` as a base (see `baseOf`): the only Keycloak stack-wide credentials go to. */
  base?: string;
  /** The configured serverUrl itself (a service account's token endpoint lives under it). */
  serverUrl?: string;
  credentials?: CreateCredentials;
  /** Optional: a manage-clients service account that issues a fresh registration access token when the stored one was lost. */
  recovery?: RecoveryCredentials;
  transport: TransportOptions;
}

type Lookup = (key: ConfigKey) => string | undefined;

export function envName(key: ConfigKey): string {
  return `KEYCLOAK_REGISTRATION_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** Keycloak's own registration endpoints: `<base>/realms/<realm>/clients-registrations/<provider>`. */
const KEYCLOAK_ENDPOINT = /^(.*)\/realms\/[^/]+\/clients-registrations(?:\/.*)?$/;

/**
 * Where a registration endpoint lives, for binding credentials: a Keycloak endpoint belongs to that
 * Keycloak's base URL, which must be the configured serverUrl exactly; any other RFC 7591 endpoint must
 * sit under the configured serverUrl (an issuer such as https://op.example.com serves /reg).
 */
export function endpointLocation(endpoint: string | undefined): { base?: string; endpoint?: string } {
  const at = baseOf(endpoint);
  if (at === undefined) return {};
  const keycloak = KEYCLOAK_ENDPOINT.exec(at);
  return keycloak ? { base: keycloak[1] } : { endpoint: at };
}

export function settingsFromConfig(config: pulumi.dynamic.Config | undefined): ProviderSettings {
  return settingsFrom((key) => config?.get(`${CONFIG_NAMESPACE}:${key}`));
}

export function settingsFrom(fromConfig: Lookup): ProviderSettings {
  const get: Lookup = (key) => {
    const v = fromConfig(key) ?? process.env[envName(key)];
    return v === undefined || v === "" ? undefined : v;
  };
  const timeoutSeconds = Number(get("timeoutSeconds") ?? "30");
  const retries = Number(get("retries") ?? "3");
  const transport: TransportOptions = {
    timeoutMs: Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : 30_000,
    retries: Number.isInteger(retries) && retries >= 0 ? retries : 3,
    caCertificate: get("caCertificate"),
  };
  const iat = get("initialAccessToken");
  const bearer = get("bearerToken");
  const saId = get("serviceAccountClientId");
  const saSecret = get("serviceAccountClientSecret");
  const recoveryId = get("recoveryClientId");
  const recoverySecret = get("recoveryClientSecret");
  for (const s of [iat, bearer, saSecret, recoverySecret]) registerSecret(s);
  const serverUrl = get("serverUrl")?.replace(/\/+$/, "");
  const recovery = recoveryId && recoverySecret ? { clientId: recoveryId, clientSecret: recoverySecret, realm: get("recoveryRealm") } : undefined;
  let credentials: CreateCredentials | undefined;
  if (iat) credentials = { kind: "initialAccessToken", token: iat };
  else if (bearer) credentials = { kind: "bearerToken", token: bearer };
  else if (saId && saSecret) credentials = { kind: "serviceAccount", clientId: saId, clientSecret: saSecret, realm: get("serviceAccountRealm") };
  else if (/^(true|1|yes)$/i.test(get("anonymous") ?? "")) credentials = { kind: "anonymous" };
  return { base: baseOf(serverUrl), serverUrl, credentials, recovery, transport };
}

/** The credentials a resource's own `auth` gives, if any. */
export function resourceCredentials(auth: Auth | undefined): CreateCredentials | undefined {
  if (auth?.initialAccessToken) return { kind: "initialAccessToken", token: auth.initialAccessToken };
  if (auth?.bearerToken) return { kind: "bearerToken", token: auth.bearerToken };
  if (auth?.serviceAccount) return { kind: "serviceAccount", ...auth.serviceAccount };
  if (auth?.anonymous) return { kind: "anonymous" };
  return undefined;
}

export type CredentialsChoice =
  | { credentials: CreateCredentials; fromStack: boolean }
  | { problem: string };

/**
 * Where a client is registered, for binding credentials: the base URL of its Keycloak, or the
 * registration endpoint of another RFC 7591 server. Both undefined: no usable URL.
 */
export interface Binding {
  base?: string;
  endpoint?: string;
}

/** Whether the configured serverUrl's credentials may go to `at`. */
export function servedByStack(s: ProviderSettings, at: Binding): boolean {
  if (s.base === undefined) return false;
  if (at.base !== undefined) return at.base === s.base;
  return at.endpoint !== undefined && (at.endpoint === s.base || at.endpoint.startsWith(`${s.base}/`));
}

/**
 * Which credentials register a client at `at`: the resource's own `auth`, else the stack's, but
 * the stack's only when `at` is the configured serverUrl's Keycloak.
 */
export function credentialsFor(s: ProviderSettings, auth: Auth | undefined, at: Binding): CredentialsChoice {
  const own = resourceCredentials(auth);
  if (own) return { credentials: own, fromStack: false };
  if (!s.credentials) return { problem: NO_CREDENTIALS_HINT };
  if (!s.base && s.serverUrl) {
    return {
      problem:
        `the stack's credentials are bound to ${CONFIG_NAMESPACE}:serverUrl, which is no usable http(s) URL of Keycloak (an encoded slash or backslash in its path, %2F or %5C, counts as unusable): ` +
        `set it to Keycloak's base URL, such as https://sso.example.com, or give the resource its own \`auth\``,
    };
  }
  if (!s.base) {
    return {
      problem:
        `the stack's credentials are bound to ${CONFIG_NAMESPACE}:serverUrl, which is not set: run \`pulumi config set ${CONFIG_NAMESPACE}:serverUrl <Keycloak URL>\` ` +
        "(the server those credentials were issued by), or give the resource its own `auth`",
    };
  }
  if (!servedByStack(s, at)) {
    return {
      problem:
        `the stack's credentials are only sent to ${s.base} (${CONFIG_NAMESPACE}:serverUrl), and this client is registered at ${at.base ?? at.endpoint ?? "an unknown URL"}: ` +
        "give the resource its own `auth` for that server (or `auth: { anonymous: true }`)",
    };
  }
  return { credentials: s.credentials, fromStack: true };
}

/** The recovery account, when it may be used for a client of the Keycloak at `base`. */
export function recoveryFor(s: ProviderSettings, base: string | undefined): RecoveryCredentials | undefined {
  return s.recovery && s.base !== undefined && base === s.base ? s.recovery : undefined;
}

export const NO_CREDENTIALS_HINT =
  `no credentials to register the client: set one of ${CONFIG_NAMESPACE}:initialAccessToken (pulumi config set --secret), ` +
  `${CONFIG_NAMESPACE}:bearerToken, ${CONFIG_NAMESPACE}:serviceAccountClientId + serviceAccountClientSecret, or ` +
  `${CONFIG_NAMESPACE}:anonymous true, together with ${CONFIG_NAMESPACE}:serverUrl; or give the resource an \`auth\` argument`;
