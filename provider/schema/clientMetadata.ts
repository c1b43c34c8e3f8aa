import { z } from "zod";

/**
 * Client metadata both resources type the same way: JSON Web Key Sets and JWS algorithms. Keycloak
 * keeps what it is sent, so a private key or a typo here would end up registered.
 */

/** JWK members that only a private or symmetric key has (RFC 7518 §6). */
export const PRIVATE_KEY_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** A JSON Web Key Set of public keys: `{ "keys": [ { "kty": ... }, ... ] }`. */
export const publicJwks = (field: string) =>
  z
    .looseObject(
      {
        keys: z
          .array(z.record(z.string(), z.unknown()), { error: `${field}.keys must be a list of JSON Web Keys` })
          .max(100, `${field}.keys may hold at most 100 keys`),
      },
      { error: `${field} must be a JSON Web Key Set: { "keys": [...] }` },
    )
    .superRefine((set, ctx) => {
      set.keys.forEach((key, i) => {
        if (typeof key.kty !== "string" || key.kty === "") {
          ctx.addIssue({ code: "custom", path: ["keys", i, "kty"], message: `${field}.keys[${i}] has no "kty": every JSON Web Key names its key type (RSA, EC, OKP)` });
        }
        const secret = PRIVATE_KEY_MEMBERS.filter((m) => key[m] !== undefined);
        if (secret.length > 0) {
          ctx.addIssue({
            code: "custom",
            path: ["keys", i],
            message: `${field}.keys[${i}] holds private or symmetric key material (${secret.map((m) => `"${m}"`).join(", ")}): register the public key only`,
          });
        }
      });
    });

/** JWS algorithms (RFC 7518 §3.1, RFC 8037, RFC 8812) a client may sign its token endpoint assertions with. */
export const JWS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "ES256K", "EdDSA", "HS256", "HS384", "HS512"] as const;

export const jwsAlgorithm = (field: string) =>
  z.enum(JWS_ALGORITHMS, { error: `${field} must be a JWS algorithm: ${JWS_ALGORITHMS.join(", ")}` });

/** An absolute http(s) URL without a fragment (what back-channel logout and JWKS endpoints must be). */
export const httpUrl = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .max(2048, `${field} must be at most 2048 characters`)
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === "https:" || u.protocol === "http:") && !/\s/.test(v);
      } catch {
        return false;
      }
    }, `${field} must be an absolute http(s) URL such as https://app.example.com/...`)
    .refine((v) => !v.includes("#"), `${field} must not contain a fragment (#...)`);
