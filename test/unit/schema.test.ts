import * as fs from "node:fs";
import * as path from "node:path";
import { checkConfig, configLookup, configValues, SECRET_CONFIG_KEYS } from "../../provider/plugin/config";
import { SECRET_SIGNATURE, SIGNATURE_KEY } from "../../provider/plugin/properties";
import { CONFIG_KEYS } from "../../provider/schema/connection";
import { keycloakClientArgsSchema } from "../../provider/schema/keycloakClient";
import { oidcClientArgsSchema } from "../../provider/schema/oidcClient";
import { samlClientArgsSchema } from "../../provider/schema/samlClient";
import { generateSchemaText, SCHEMA_FILE } from "../../scripts/plugin-schema";

type Property = { type?: string; $ref?: string; secret?: boolean; description?: string; items?: Property };
type Schema = {
  name: string;
  version: string;
  config: { variables: Record<string, Property> };
  provider: { inputProperties: Record<string, Property> };
  resources: Record<string, { inputProperties: Record<string, Property>; requiredInputs?: string[]; properties: Record<string, Property>; required?: string[] }>;
  types: Record<string, { properties: Record<string, Property>; required?: string[] }>;
};

const committed = fs.readFileSync(SCHEMA_FILE, "utf8");
const schema = JSON.parse(committed) as Schema;
const resource = (name: string) => schema.resources[`keycloak-registration:index:${name}`]!;

describe("schema.json, the plugin's package schema, cannot drift from the zod declarations", () => {
  test("the committed schema.json is what `npm run plugin:schema` generates from the declarations today", () => {
    // On failure: run `npm run plugin:schema` and commit schema.json with the change that caused it.
    expect(committed === generateSchemaText()).toBe(true);
  });

  test("package name and version are the npm package's", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string };
    expect([schema.name, schema.version]).toEqual(["keycloak-registration", pkg.version]);
  });

  test.each([
    ["KeycloakClient", keycloakClientArgsSchema],
    ["OidcClient", oidcClientArgsSchema],
    ["SamlClient", samlClientArgsSchema],
  ] as const)("%s takes exactly the arguments its zod schema accepts", (name, zod) => {
    expect(Object.keys(resource(name).inputProperties)).toEqual(Object.keys(zod.shape));
  });

  test("serverUrl and realm are optional (the plugin takes the provider's); a SAML client needs its descriptor", () => {
    expect(resource("KeycloakClient").requiredInputs).toBeUndefined();
    expect(resource("OidcClient").requiredInputs).toBeUndefined();
    expect(resource("SamlClient").requiredInputs).toEqual(["entityDescriptor"]);
  });

  test("credentials, adoption tokens, registration access tokens, client secrets and adapter configs are secret; nothing else is", () => {
    const secrets: string[] = [];
    for (const [token, r] of Object.entries(schema.resources)) {
      const kind = token.split(":").pop();
      for (const [k, p] of Object.entries(r.inputProperties)) if (p.secret) secrets.push(`${kind} input ${k}`);
      for (const [k, p] of Object.entries(r.properties)) if (p.secret) secrets.push(`${kind} output ${k}`);
    }
    for (const [token, t] of Object.entries(schema.types)) for (const [k, p] of Object.entries(t.properties)) if (p.secret) secrets.push(`${token.split(":").pop()}.${k}`);
    for (const [k, p] of Object.entries(schema.config.variables)) if (p.secret) secrets.push(`config ${k}`);
    expect(secrets.sort()).toEqual(
      [
        "KeycloakClient input auth",
        "KeycloakClient input adopt",
        "KeycloakClient output registrationAccessToken",
        "KeycloakClient output clientSecret",
        "KeycloakClient output adapterConfig",
        "OidcClient input auth",
        "OidcClient input adopt",
        "OidcClient output registration_access_token",
        "OidcClient output client_secret",
        "SamlClient input auth",
        "SamlClient input adopt",
        "SamlClient output registrationAccessToken",
        "Auth.initialAccessToken",
        "Auth.bearerToken",
        "AuthServiceAccount.clientSecret",
        "Adopt.registrationAccessToken",
        "OidcClientAdopt.registrationAccessToken",
        ...SECRET_CONFIG_KEYS.map((k) => `config ${k}`),
      ].sort(),
    );
  });

  test("no credential is echoed among a resource's outputs", () => {
    for (const r of Object.values(schema.resources)) expect(Object.keys(r.properties).filter((k) => k === "auth" || k === "adopt")).toEqual([]);
  });

  test("the provider configuration is every stack setting the provider reads, typed, each described", () => {
    expect(Object.keys(schema.config.variables)).toEqual(Object.keys(CONFIG_KEYS));
    expect(schema.provider.inputProperties).toEqual(schema.config.variables);
    expect(Object.fromEntries(Object.entries(schema.config.variables).filter(([, p]) => p.type !== "string").map(([k, p]) => [k, p.type]))).toEqual({
      anonymous: "boolean",
      timeoutSeconds: "number",
      retries: "integer",
    });
    for (const [k, p] of Object.entries(schema.config.variables)) expect({ k, described: Boolean(p.description) }).toEqual({ k, described: true });
  });

  test("descriptions come from the declarations' JSDoc; enumerations list their values", () => {
    expect(resource("KeycloakClient").inputProperties.clientId!.description).toMatch(/^The client identifier \(OAuth `client_id`\)/);
    expect(resource("KeycloakClient").inputProperties.protocol!.description).toContain("One of: `openid-connect`, `saml`.");
    expect(schema.types["keycloak-registration:index:Auth"]!.properties.bearerToken!.description).toMatch(/create-client or manage-clients/);
  });
});

describe("provider configuration as the plugin receives it", () => {
  const secret = (value: unknown) => ({ [SIGNATURE_KEY]: SECRET_SIGNATURE, value });

  test("strings from `pulumi config set` and typed values from programs are both accepted", () => {
    expect(checkConfig(configValues({ timeoutSeconds: "5", retries: "2", anonymous: "true", version: "0.1.0" }))).toEqual([]);
    expect(checkConfig(configValues({ timeoutSeconds: 5, retries: 2, anonymous: true }))).toEqual([]);
  });

  test("a bad value is named with its key; a misspelt key is named with the right one", () => {
    expect(checkConfig(configValues({ serverUrl: "sso.example.com", retries: "many", serverURL: "https://sso.example.com" }))).toEqual([
      { property: "serverUrl", reason: "serverUrl must be an absolute http(s) URL of Keycloak, such as https://sso.example.com (no query or fragment)" },
      { property: "retries", reason: "retries must be a whole number" },
      { property: "serverURL", reason: "keycloak-registration:serverURL is not a setting of this provider; did you mean keycloak-registration:serverUrl?" },
    ]);
    expect(checkConfig(configValues({ serverUrl: "https://sso.example.com", recoveryClientId: "rescuer" }))).toEqual([
      { property: "recoveryClientSecret", reason: "recoveryClientId and recoveryClientSecret go together: set keycloak-registration:recoveryClientSecret too" },
    ]);
  });

  test("the lookup reads args (secrets unwrapped) before the engine's deprecated variables", () => {
    const lookup = configLookup(
      { serverUrl: "https://a.example.com", initialAccessToken: secret("iat-from-args"), retries: 2 },
      { "keycloak-registration:config:serverUrl": "https://b.example.com", "keycloak-registration:config:realm": "from-variables" },
    );
    expect([lookup("serverUrl"), lookup("initialAccessToken"), lookup("retries"), lookup("realm"), lookup("bearerToken")]).toEqual([
      "https://a.example.com",
      "iat-from-args",
      "2",
      "from-variables",
      undefined,
    ]);
  });
});
