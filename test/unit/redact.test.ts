import { redact, registerSecretsIn } from "../../provider/registration/redact";

describe("registerSecretsIn", () => {
  test("registers the secrets of a resource's inputs and outputs at any depth, and nothing else", () => {
    const secrets = {
      iat: "iat-7c1e5a2f9b",
      bearer: "bearer-31d4e8a0c6",
      sa: "sa-secret-5f0b9d2e71",
      adopt: "adopt-rat-8e2c4a6b10",
      rat: "stored-rat-0f3a7d9c2b",
      clientSecret: "client-secret-6a1d8f3e40",
      rfc: "rfc-secret-2b7e9c4a15",
      key: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
      adapter: '{"resource":"app","credentials":{"secret":"adapter-secret-9d0c"}}',
    };
    registerSecretsIn({
      serverUrl: "https://sso.example.com",
      clientId: "readable-client-id",
      description: "a readable description",
      token_endpoint_auth_method: "client_secret_basic",
      auth: { initialAccessToken: secrets.iat, bearerToken: secrets.bearer, serviceAccount: { clientId: "readable-sa", clientSecret: secrets.sa } },
      adopt: { registrationAccessToken: secrets.adopt },
      registrationAccessToken: secrets.rat,
      clientSecret: secrets.clientSecret,
      extra: { nested: [{ client_secret: secrets.rfc }] },
      attributes: { "saml.signing.private.key": secrets.key, "pkce.code.challenge.method": "S256" },
      adapterConfig: secrets.adapter,
    });
    const text = `${Object.values(secrets).join(" | ")} | readable-client-id readable-sa a readable description client_secret_basic https://sso.example.com S256`;
    const out = redact(text);
    for (const s of Object.values(secrets)) expect(out).not.toContain(s);
    expect(out).toContain("readable-client-id readable-sa a readable description client_secret_basic https://sso.example.com S256");
  });

  test("ignores what is not an object and survives a cycle", () => {
    expect(() => registerSecretsIn(undefined)).not.toThrow();
    expect(() => registerSecretsIn("secret")).not.toThrow();
    const cyclic: Record<string, unknown> = { secret: "cyclic-secret-4c2a7e" };
    cyclic.self = cyclic;
    expect(() => registerSecretsIn(cyclic)).not.toThrow();
    expect(redact("cyclic-secret-4c2a7e")).toBe("[redacted secret]");
  });
});
