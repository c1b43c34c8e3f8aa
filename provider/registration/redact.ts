/**
 * Token hygiene for everything we print. Keycloak's tokens are JWTs; client secrets are opaque.
 * `redact` removes both kinds from free text (server messages, stack traces) before it reaches a user.
 */
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

const knownSecrets = new Set<string>();

/** Remember a secret value (client secret, token) so that `redact` removes it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) knownSecrets.add(value);
}

/**
 * Field names whose values are secrets wherever they appear: resource inputs (`auth`, `adopt`),
 * stored outputs, Keycloak's and RFC 7591 answers, adapter configurations.
 */
const SECRET_FIELDS = new Set([
  "initialAccessToken",
  "bearerToken",
  "clientSecret",
  "registrationAccessToken",
  "serviceAccountClientSecret",
  "recoveryClientSecret",
  "adapterConfig",
  "secret",
  "password",
  "client_secret",
  "registration_access_token",
  "access_token",
  "refresh_token",
  "id_token",
]);
/** Keycloak's SAML client attributes that hold private keys, e.g. `saml.signing.private.key`. */
const PRIVATE_KEY_ATTRIBUTE = /private\.key$/;

/**
 * Registers every secret in `value` (inputs, outputs or a server's answer) with `redact`: the values of
 * the fields named in SECRET_FIELDS, at any depth, e.g. `auth.serviceAccount.clientSecret` and
 * `adopt.registrationAccessToken`. Other values, such as `token_endpoint_auth_method`, stay readable.
 */
export function registerSecretsIn(value: unknown, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) registerSecretsIn(item, depth + 1);
    return;
  }
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === "string") {
      if (SECRET_FIELDS.has(key) || PRIVATE_KEY_ATTRIBUTE.test(key)) registerSecret(field);
    } else {
      registerSecretsIn(field, depth + 1);
    }
  }
}

export function redact(text: string): string {
  let out = text.replace(JWT, "[redacted token]").replace(BEARER, "$1[redacted]");
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted secret]");
  }
  return out;
}
