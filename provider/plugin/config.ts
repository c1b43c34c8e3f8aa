import { z } from "zod";
import { closestField, FieldProblem, problemsFrom } from "../schema/issues";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigKey, realmSchema, serverUrlSchema } from "../schema/connection";
import { Props, unwrapSecrets } from "./properties";
import { SECRET_CONFIG_KEYS as SECRET_KEYS } from "../schema/namespace";

/**
 * The provider configuration as the plugin receives it (`keycloak-registration:<key>` in the stack, or
 * an explicit provider resource's arguments): the keys of CONFIG_KEYS, typed. The package schema's
 * `config` and `provider` sections are generated from it, and CheckConfig validates with it, so a bad
 * value is named before any request.
 */

const text = (key: ConfigKey) => z.string({ error: `${key} must be a string` }).min(1, `${key} must not be empty`);

export const providerConfigSchema = z
  .strictObject({
    serverUrl: serverUrlSchema.optional(),
    realm: realmSchema.optional(),
    initialAccessToken: text("initialAccessToken").optional(),
    bearerToken: text("bearerToken").optional(),
    serviceAccountClientId: text("serviceAccountClientId").optional(),
    serviceAccountClientSecret: text("serviceAccountClientSecret").optional(),
    serviceAccountRealm: realmSchema.optional(),
    anonymous: z.boolean({ error: "anonymous must be true or false" }).optional(),
    recoveryClientId: text("recoveryClientId").optional(),
    recoveryClientSecret: text("recoveryClientSecret").optional(),
    recoveryRealm: realmSchema.optional(),
    timeoutSeconds: z.number({ error: "timeoutSeconds must be a number of seconds" }).positive("timeoutSeconds must be more than 0").optional(),
    retries: z.number({ error: "retries must be a whole number" }).int("retries must be a whole number").min(0, "retries must not be negative").max(10, "retries must be at most 10").optional(),
    caCertificate: text("caCertificate")
      .refine((v) => v.includes("-----BEGIN CERTIFICATE-----"), "caCertificate must hold PEM certificate(s): -----BEGIN CERTIFICATE----- ...")
      .optional(),
  } satisfies Record<ConfigKey, z.ZodType>)
  .superRefine((c, ctx) => {
    const pair = (id: ConfigKey, secret: ConfigKey) => {
      if ((c[id] === undefined) !== (c[secret] === undefined)) {
        const missing = c[id] === undefined ? id : secret;
        ctx.addIssue({ code: "custom", path: [missing], message: `${id} and ${secret} go together: set ${CONFIG_NAMESPACE}:${missing} too` });
      }
    };
    pair("serviceAccountClientId", "serviceAccountClientSecret");
    pair("recoveryClientId", "recoveryClientSecret");
  });

export type ProviderConfig = z.input<typeof providerConfigSchema>;

/** Credentials: secret in the provider's state and in every SDK, however they were set. */
export const SECRET_CONFIG_KEYS: readonly ConfigKey[] = SECRET_KEYS;

const NUMBER_KEYS = new Set<string>(["timeoutSeconds", "retries"]);
const BOOLEAN_KEYS = new Set<string>(["anonymous"]);
/** Keys the engine adds to every provider's inputs. */
const ENGINE_KEYS = new Set(["version", "pluginDownloadURL"]);

const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

/**
 * Stack configuration arrives as strings (`pulumi config set keycloak-registration:retries 2`), YAML
 * and SDK programs may send numbers and booleans: both are accepted.
 */
function typed(key: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (NUMBER_KEYS.has(key) && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  if (BOOLEAN_KEYS.has(key) && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return value;
}

/** The configuration keys and values of a CheckConfig/Configure request, secrets unwrapped, engine keys dropped. */
export function configValues(args: Props): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(unwrapSecrets(args))) {
    if (ENGINE_KEYS.has(k) || v === undefined || v === null || v === "") continue;
    out[k] = typed(k, v);
  }
  return out;
}

/** Problems with a configuration, each naming its key (`keycloak-registration:<key>`). */
export function checkConfig(values: Props): FieldProblem[] {
  const parsed = providerConfigSchema.safeParse(values);
  if (parsed.success) return [];
  return problemsFrom(providerConfigSchema, parsed.error).map((p) => {
    const key = p.property.split(/[.[]/)[0]!;
    const unknown = !CONFIG_KEY_NAMES.includes(key as ConfigKey);
    const suggestion = unknown ? closestField(key, CONFIG_KEY_NAMES) : undefined;
    return {
      property: p.property,
      reason: unknown
        ? `${CONFIG_NAMESPACE}:${key} is not a setting of this provider${suggestion ? `; did you mean ${CONFIG_NAMESPACE}:${suggestion}?` : ""}`
        : p.reason,
    };
  });
}

/**
 * A lookup for `settingsFrom`: the request's `args` first, then the deprecated `variables` map
 * (keyed `keycloak-registration:config:<key>`, or `keycloak-registration:<key>` by older engines).
 */
export function configLookup(args: Props, variables: Map<string, string> | Record<string, string>): (key: ConfigKey) => string | undefined {
  const values = configValues(args);
  const vars = variables instanceof Map ? Object.fromEntries(variables) : variables;
  return (key) => {
    const v = values[key] ?? vars[`${CONFIG_NAMESPACE}:config:${key}`] ?? vars[`${CONFIG_NAMESPACE}:${key}`];
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
  };
}
