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

export function redact(text: string): string {
  let out = text.replace(JWT, "[redacted token]").replace(BEARER, "$1[redacted]");
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted secret]");
  }
  return out;
}
