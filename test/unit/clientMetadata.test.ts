import { problemsFrom } from "../../provider/schema/issues";
import { keycloakClientArgsSchema } from "../../provider/schema/keycloakClient";
import { oidcClientArgsSchema } from "../../provider/schema/oidcClient";

const keycloak = { serverUrl: "https://sso.example.com", realm: "demo" };
const publicKey = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", use: "sig" };

function keycloakClientProblems(args: Record<string, unknown>) {
  const r = keycloakClientArgsSchema.safeParse({ ...keycloak, clientId: "app", ...args });
  return r.success ? [] : problemsFrom(keycloakClientArgsSchema, r.error);
}

function oidcProblems(args: Record<string, unknown>) {
  const r = oidcClientArgsSchema.safeParse({ ...keycloak, ...args });
  return r.success ? [] : problemsFrom(oidcClientArgsSchema, r.error);
}

describe("KeycloakClient: modern client metadata is typed and checked before any request", () => {
  test("a FAPI-style confidential client is accepted", () => {
    expect(
      keycloakClientProblems({
        clientAuthenticatorType: "client-jwt",
        jwksUrl: "https://app.example.com/jwks.json",
        tokenEndpointAuthSigningAlg: "PS256",
        pkceCodeChallengeMethod: "S256",
        dpopBoundAccessTokens: true,
        requirePushedAuthorizationRequests: true,
        backchannelLogoutUrl: "https://app.example.com/logout",
        backchannelLogoutSessionRequired: true,
        backchannelLogoutRevokeOfflineTokens: false,
      }),
    ).toEqual([]);
    expect(keycloakClientProblems({ clientAuthenticatorType: "client-x509", tlsClientAuthSubjectDn: "CN=app,O=Example", tlsClientAuthCaSubjectDn: "CN=ca,O=Example", tlsClientCertificateBoundAccessTokens: true })).toEqual([]);
  });

  test("client-jwt without a key, client-x509 without a subject DN, and both key forms at once are refused", () => {
    expect(keycloakClientProblems({ clientAuthenticatorType: "client-jwt" })).toEqual([
      { property: "clientAuthenticatorType", reason: expect.stringContaining("give Keycloak the public key with jwks") },
    ]);
    expect(keycloakClientProblems({ clientAuthenticatorType: "client-x509" })).toEqual([
      { property: "tlsClientAuthSubjectDn", reason: expect.stringContaining("set tlsClientAuthSubjectDn") },
    ]);
    expect(keycloakClientProblems({ clientAuthenticatorType: "client-jwt", jwks: { keys: [publicKey] }, jwksUrl: "https://a.example.com/jwks" })).toEqual([
      { property: "jwks", reason: "jwks and jwksUrl are mutually exclusive: keep one" },
    ]);
    expect(keycloakClientProblems({ clientAuthenticatorType: "client-secret", tlsClientAuthSubjectDn: "CN=app" })[0]?.property).toBe("tlsClientAuthSubjectDn");
  });

  test("a private key in jwks is refused, naming the key and its private members", () => {
    expect(keycloakClientProblems({ clientAuthenticatorType: "client-jwt", jwks: { keys: [{ ...publicKey, d: "private" }] } })).toEqual([
      { property: "jwks.keys[0]", reason: 'jwks.keys[0] holds private or symmetric key material ("d"): register the public key only' },
    ]);
  });

  test("values are checked: PKCE method, signing algorithm, logout URL", () => {
    expect(keycloakClientProblems({ pkceCodeChallengeMethod: "s256" })[0]).toEqual({ property: "pkceCodeChallengeMethod", reason: 'pkceCodeChallengeMethod must be "S256" or "plain"' });
    expect(keycloakClientProblems({ tokenEndpointAuthSigningAlg: "none" })[0]?.property).toBe("tokenEndpointAuthSigningAlg");
    expect(keycloakClientProblems({ backchannelLogoutUrl: "https://a.example.com/logout#x" })[0]?.reason).toContain("must not contain a fragment");
    expect(keycloakClientProblems({ dpopBoundAccessTokens: "true" })[0]?.property).toBe("dpopBoundAccessTokens");
  });

  test("an attribute and the typed field that sets it cannot both be declared; rotation attributes not at all", () => {
    expect(keycloakClientProblems({ pkceCodeChallengeMethod: "S256", attributes: { "pkce.code.challenge.method": "plain" } })).toEqual([
      { property: "attributes.pkce.code.challenge.method", reason: 'attribute "pkce.code.challenge.method" is what pkceCodeChallengeMethod sets: declare it once, with pkceCodeChallengeMethod' },
    ]);
    expect(keycloakClientProblems({ attributes: { "client.secret.expiration.time": "0" } })[0]?.reason).toContain("belongs to Keycloak's client secret rotation");
    // The attribute alone is still fine (programs written before the typed field).
    expect(keycloakClientProblems({ attributes: { "pkce.code.challenge.method": "S256" } })).toEqual([]);
  });

  test("a public client has no client authenticator; clientAuthenticatorType is no longer an `extra` field", () => {
    expect(keycloakClientProblems({ publicClient: true, clientAuthenticatorType: "client-secret" })[0]?.property).toBe("clientAuthenticatorType");
    expect(keycloakClientProblems({ extra: { clientAuthenticatorType: "client-jwt" } })).toEqual([
      { property: "extra.clientAuthenticatorType", reason: 'set "clientAuthenticatorType" with its own argument, not through extra' },
    ]);
  });
});

describe("OidcClient: modern client metadata is typed and checked before any request", () => {
  test("private_key_jwt with a key set, DPoP, PAR and back-channel logout are accepted", () => {
    expect(
      oidcProblems({
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [publicKey] },
        token_endpoint_auth_signing_alg: "ES256",
        dpop_bound_access_tokens: true,
        require_pushed_authorization_requests: true,
        backchannel_logout_uri: "https://app.example.com/logout",
        backchannel_logout_session_required: true,
      }),
    ).toEqual([]);
    expect(oidcProblems({ token_endpoint_auth_method: "tls_client_auth", tls_client_auth_subject_dn: "CN=app,O=Example", tls_client_certificate_bound_access_tokens: true })).toEqual([]);
  });

  test("private_key_jwt without a key and tls_client_auth without a subject DN are refused, as Keycloak would", () => {
    expect(oidcProblems({ token_endpoint_auth_method: "private_key_jwt" })).toEqual([
      { property: "token_endpoint_auth_method", reason: expect.stringContaining("register its public key with jwks (the key set) or jwks_uri") },
    ]);
    expect(oidcProblems({ token_endpoint_auth_method: "tls_client_auth" })).toEqual([
      { property: "tls_client_auth_subject_dn", reason: expect.stringContaining("set tls_client_auth_subject_dn") },
    ]);
    expect(oidcProblems({ token_endpoint_auth_method: "client_secret_basic", tls_client_auth_subject_dn: "CN=app" })[0]?.property).toBe("tls_client_auth_subject_dn");
  });

  test("a private key in jwks is refused; the new names are no longer `extra` keys", () => {
    expect(oidcProblems({ jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } })[0]?.reason).toContain('("k"): register the public key only');
    expect(oidcProblems({ extra: { dpop_bound_access_tokens: true } })).toEqual([
      { property: "extra.dpop_bound_access_tokens", reason: 'set "dpop_bound_access_tokens" with its own argument, not through extra' },
    ]);
  });
});
