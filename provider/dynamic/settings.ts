import type * as pulumi from "@pulumi/pulumi";
import { CreateCredentials } from "../registration/credentials";
import { RecoveryCredentials } from "../registration/recovery";
import { TransportOptions } from "../registration/http";
import { registerSecret } from "../registration/redact";
import { Auth, CONFIG_NAMESPACE, ConfigKey } from "../schema/connection";

/**
 * Provider-wide settings, read in the provider process from the stack configuration
 * (`keycloak-registration:<key>`) or, failing that, from `KEYCLOAK_REGISTRATION_<KEY>` environment
 * variables. Credentials live only here, in memory: never in resource inputs or the serialized provider.
 */
export interface ProviderSettings {
  credentials?: CreateCredentials;
  /** Optional: a manage-clients service account that issues a fresh registration access token when the stored one was lost. */
  recovery?: RecoveryCredentials;
  transport: TransportOptions;
}

type Lookup = (key: ConfigKey) => string | undefined;

export function envName(key: ConfigKey): string {
  return `KEYCLOAK_REGISTRATION_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

let current: ProviderSettings = settingsFrom(() => undefined);

export function configureFrom(config: pulumi.dynamic.Config | undefined): void {
  current = settingsFrom((key) => config?.get(`${CONFIG_NAMESPACE}:${key}`));
}

export function settings(): ProviderSettings {
  return current;
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
  const recovery = recoveryId && recoverySecret ? { clientId: recoveryId, clientSecret: recoverySecret, realm: get("recoveryRealm") } : undefined;
  let credentials: CreateCredentials | undefined;
  if (iat) credentials = { kind: "initialAccessToken", token: iat };
  else if (bearer) credentials = { kind: "bearerToken", token: bearer };
  else if (saId && saSecret) credentials = { kind: "serviceAccount", clientId: saId, clientSecret: saSecret, realm: get("serviceAccountRealm") };
  else if (/^(true|1|yes)$/i.test(get("anonymous") ?? "")) credentials = { kind: "anonymous" };
  return { credentials, recovery, transport };
}

/** Per-resource `auth` wins over the stack configuration. */
export function credentialsFor(auth: Auth | undefined): CreateCredentials | undefined {
  if (auth?.initialAccessToken) return { kind: "initialAccessToken", token: auth.initialAccessToken };
  if (auth?.bearerToken) return { kind: "bearerToken", token: auth.bearerToken };
  if (auth?.serviceAccount) return { kind: "serviceAccount", ...auth.serviceAccount };
  if (auth?.anonymous) return { kind: "anonymous" };
  return current.credentials;
}

export const NO_CREDENTIALS_HINT =
  `no credentials to register the client: set one of ${CONFIG_NAMESPACE}:initialAccessToken (pulumi config set --secret), ` +
  `${CONFIG_NAMESPACE}:bearerToken, ${CONFIG_NAMESPACE}:serviceAccountClientId + serviceAccountClientSecret, or ` +
  `${CONFIG_NAMESPACE}:anonymous true, or give the resource an \`auth\` argument`;
