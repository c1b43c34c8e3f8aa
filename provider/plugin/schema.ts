import { z } from "zod";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigKey } from "../schema/connection";
import { keycloakClientArgsSchema } from "../schema/keycloakClient";
import { oidcClientArgsSchema } from "../schema/oidcClient";
import { samlClientArgsSchema } from "../schema/samlClient";
import { providerConfigSchema, SECRET_CONFIG_KEYS } from "./config";
import { keycloakClientOutputs, oidcClientOutputs, OutputDeclaration, samlClientOutputs } from "./outputs";

/**
 * The Pulumi package schema of the plugin, derived from the zod declarations the runtime checks with:
 * the resources' input schemas, the plugin's output declarations and the provider configuration.
 * Descriptions come from the JSDoc of those declarations (`docs`, keyed "<variable>.<property path>",
 * read from the sources by scripts/plugin-schema.ts). Pure: same declarations, same schema.
 */

export const PACKAGE = CONFIG_NAMESPACE;
export const token = (name: string) => `${PACKAGE}:index:${name}`;

/** Pulumi's type spec (the subset this package uses). */
export interface TypeSpec {
  type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
  $ref?: string;
}
export interface PropertySpec extends TypeSpec {
  description?: string;
  secret?: boolean;
}
export interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}
export interface ResourceSpec {
  description?: string;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs?: string[];
  properties: Record<string, PropertySpec>;
  required?: string[];
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
};

/** Where a resource's docs and secrets are declared. */
interface ResourceSource {
  name: "KeycloakClient" | "OidcClient" | "SamlClient";
  inputs: z.ZodType;
  outputs: OutputDeclaration;
  /** Variables whose JSDoc documents the top-level inputs, in order of preference. */
  docRoots: string[];
  /** Input paths ("auth.bearerToken") that are secret. */
  secretInputs: string[];
  /** Set by the plugin from the provider configuration when absent. */
  defaultedFromConfig: string[];
}

/** Variables documenting a nested object, by the property that holds it. */
const NESTED_DOC_ROOTS: Record<string, string> = { auth: "authSchema", protocolMappers: "protocolMapperSchema" };

/** Names of object types that several properties share. */
const TYPE_NAMES: Record<string, string> = { "SamlClient.registered": "SamlSettings", "SamlClient.observed": "SamlSettings" };

const AUTH_SECRETS = ["auth", "auth.initialAccessToken", "auth.bearerToken", "auth.serviceAccount.clientSecret"];

const RESOURCES: ResourceSource[] = [
  {
    name: "KeycloakClient",
    inputs: keycloakClientArgsSchema,
    outputs: keycloakClientOutputs,
    docRoots: ["keycloakClientArgsSchema", "clientFieldsShape"],
    secretInputs: [...AUTH_SECRETS, "adopt", "adopt.registrationAccessToken"],
    defaultedFromConfig: ["serverUrl", "realm"],
  },
  {
    name: "OidcClient",
    inputs: oidcClientArgsSchema,
    outputs: oidcClientOutputs,
    docRoots: ["oidcClientArgsSchema", "oidcMetadataShape"],
    secretInputs: [...AUTH_SECRETS, "adopt", "adopt.registrationAccessToken"],
    defaultedFromConfig: ["serverUrl", "realm"],
  },
  {
    name: "SamlClient",
    inputs: samlClientArgsSchema,
    outputs: samlClientOutputs,
    docRoots: ["samlClientArgsSchema"],
    secretInputs: [...AUTH_SECRETS, "adopt", "adopt.registrationAccessToken"],
    defaultedFromConfig: ["serverUrl", "realm"],
  },
];

/** The secret inputs and outputs of a resource kind, for the plugin's wire format. */
export function secretsOf(kind: string): { inputs: string[]; outputs: readonly string[] } {
  const r = RESOURCES.find((x) => x.name === kind);
  return { inputs: (r?.secretInputs ?? []).filter((p) => !p.includes(".")), outputs: r?.outputs.secret ?? [] };
}

const pascal = (s: string) => s.replace(/(^|[_-])([a-z])/g, (_m, _sep, c: string) => c.toUpperCase()).replace(/^[a-z]/, (c) => c.toUpperCase());

function singular(name: string): string {
  return name.endsWith("s") ? name.slice(0, -1) : name;
}

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

class Builder {
  readonly types: Record<string, ObjectTypeSpec> = {};

  constructor(private readonly docs: ReadonlyMap<string, string>) {}

  /** The JSDoc of a property path under any of `roots`, or of the nested declaration it lives in. */
  doc(roots: string[], path: string[]): string | undefined {
    for (const root of roots) {
      const d = this.docs.get([root, ...path].join("."));
      if (d) return d;
    }
    for (let i = 1; i < path.length; i++) {
      const nested = NESTED_DOC_ROOTS[path[i - 1]!];
      const d = nested ? this.docs.get([nested, ...path.slice(i)].join(".")) : undefined;
      if (d) return d;
    }
    return undefined;
  }

  /** A JSON schema (from zod) as a Pulumi type; objects become named types. */
  typeOf(js: JsonSchema, ctx: { resource: string; roots: string[]; path: string[]; secrets: string[] }): TypeSpec {
    if (js.anyOf) {
      const branches = js.anyOf.filter((b) => b.type !== "null");
      return branches.length === 1 ? this.typeOf(branches[0]!, ctx) : { $ref: "pulumi.json#/Any" };
    }
    switch (js.type) {
      case "string":
      case "boolean":
      case "integer":
      case "number":
        return { type: js.type };
      case "array":
        return { type: "array", items: js.items ? this.typeOf(js.items, { ...ctx, path: [...ctx.path, "[]"] }) : { $ref: "pulumi.json#/Any" } };
      case "object": {
        const extra = js.additionalProperties;
        const hasProps = js.properties && Object.keys(js.properties).length > 0;
        if (!hasProps) {
          return extra && typeof extra === "object" ? { type: "object", additionalProperties: this.typeOf(extra, { ...ctx, path: [...ctx.path, "{}"] }) } : { $ref: "pulumi.json#/Any" };
        }
        // Properties plus free-form members (a JSON Web Key Set) have no Pulumi object type.
        if (extra !== undefined && extra !== false) return { $ref: "pulumi.json#/Any" };
        return { $ref: `#/types/${this.objectType(js, ctx)}` };
      }
      default:
        return { $ref: "pulumi.json#/Any" };
    }
  }

  properties(js: JsonSchema, ctx: { resource: string; roots: string[]; path: string[]; secrets: string[] }, skip: readonly string[] = []): Record<string, PropertySpec> {
    const out: Record<string, PropertySpec> = {};
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      if (skip.includes(name)) continue;
      const path = [...ctx.path, name];
      const dotted = path.filter((p) => p !== "[]" && p !== "{}").join(".");
      const spec: PropertySpec = { ...this.typeOf(prop, { ...ctx, path }) };
      const description = describe(prop.description ?? this.doc(ctx.roots, path.filter((p) => p !== "[]" && p !== "{}")) ?? this.docs.get(NESTED_DOC_ROOTS[name] ?? ""), prop);
      if (description) spec.description = description;
      if (ctx.secrets.includes(dotted)) spec.secret = true;
      out[name] = orderedProperty(spec);
    }
    return out;
  }

  private objectType(js: JsonSchema, ctx: { resource: string; roots: string[]; path: string[]; secrets: string[] }): string {
    const named = ctx.path.map((p, i, all) => (p === "[]" || p === "{}" ? "" : all[i + 1] === "[]" || all[i + 1] === "{}" ? singular(p) : p));
    const base = TYPE_NAMES[`${ctx.resource}.${ctx.path.join(".")}`] ?? named.map(pascal).join("");
    const spec: ObjectTypeSpec = { type: "object", properties: this.properties(js, ctx) };
    // A property's description stays on the property; the type gets its declaration's own (`authSchema`).
    const description = this.docs.get(NESTED_DOC_ROOTS[ctx.path.filter((p) => p !== "[]" && p !== "{}").pop() ?? ""] ?? "");
    if (description) spec.description = description;
    if (js.required?.length) spec.required = [...js.required];
    for (const name of [base, `${ctx.resource}${base}`]) {
      const existing = this.types[token(name)];
      if (!existing) {
        this.types[token(name)] = spec;
        return token(name);
      }
      if (JSON.stringify(existing) === JSON.stringify(spec)) return token(name);
    }
    throw new Error(`two different object types are both named ${base} in ${ctx.resource}`);
  }
}

/** Pulumi has no enum of plain strings without an enum type: the allowed values go into the description. */
function describe(description: string | undefined, js: JsonSchema): string | undefined {
  const values = js.enum ?? js.items?.enum;
  if (!values) return description;
  const list = `One of: ${values.map((v) => `\`${String(v)}\``).join(", ")}.`;
  return description ? `${description.replace(/\.?$/, ".")} ${list}` : list;
}

/** Keys in one order, so the generated file is stable. */
function orderedProperty(p: PropertySpec): PropertySpec {
  const { type, items, additionalProperties, $ref, description, secret } = p;
  return Object.fromEntries(Object.entries({ type, items, additionalProperties, $ref, description, secret }).filter(([, v]) => v !== undefined)) as PropertySpec;
}

function resourceSpec(b: Builder, r: ResourceSource, description: string | undefined): ResourceSpec {
  const inputs = jsonSchemaOf(r.inputs);
  const ctx = { resource: r.name, roots: r.docRoots, path: [] as string[], secrets: r.secretInputs };
  const inputProperties = b.properties(inputs, ctx);
  for (const key of r.defaultedFromConfig) {
    const p = inputProperties[key];
    if (p) p.description = `${p.description ? `${p.description.replace(/\.?$/, ".")} ` : ""}Default: the provider's \`${key}\` (\`${CONFIG_NAMESPACE}:${key}\`).`;
  }
  const outputs = jsonSchemaOf(r.outputs.fields);
  const properties: Record<string, PropertySpec> = {
    ...b.properties(inputs, { ...ctx, secrets: [] }, r.outputs.inputOnly),
    ...b.properties(outputs, { ...ctx, secrets: [...r.outputs.secret] }),
  };
  const requiredInputs = (inputs.required ?? []).filter((k) => !r.defaultedFromConfig.includes(k));
  const required = [...r.outputs.requiredInputs, ...(outputs.required ?? [])].filter((k) => k in properties);
  return {
    ...(description ? { description } : {}),
    inputProperties,
    ...(requiredInputs.length ? { requiredInputs } : {}),
    properties,
    ...(required.length ? { required } : {}),
  };
}

function configProperties(): Record<string, PropertySpec> {
  const js = jsonSchemaOf(providerConfigSchema);
  const out: Record<string, PropertySpec> = {};
  for (const [key, prop] of Object.entries(js.properties ?? {})) {
    const spec: PropertySpec = { type: (prop.type as TypeSpec["type"]) ?? "string", description: CONFIG_KEYS[key as ConfigKey] };
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) spec.secret = true;
    out[key] = spec;
  }
  return out;
}

export interface PackageSchemaSources {
  version: string;
  /** JSDoc by "<variable>.<property path>" (see scripts/plugin-schema.ts). */
  docs: ReadonlyMap<string, string>;
  /** The resource classes' own JSDoc, by resource name. */
  resourceDocs: Partial<Record<ResourceSource["name"], string>>;
}

export function packageSchema(src: PackageSchemaSources): Record<string, unknown> {
  const b = new Builder(src.docs);
  const resources: Record<string, ResourceSpec> = {};
  for (const r of RESOURCES) resources[token(r.name)] = resourceSpec(b, r, src.resourceDocs[r.name]);
  const config = configProperties();
  return {
    name: PACKAGE,
    displayName: "Keycloak client registration",
    version: src.version,
    description:
      "Keycloak clients managed through Keycloak's Client Registration Service (an initial access token or a create-client " +
      "service account, no realm-admin rights): KeycloakClient, OidcClient (any RFC 7591/7592 server) and SamlClient.",
    keywords: ["pulumi", "keycloak", "oidc", "saml", "client-registration", "category/infrastructure", "kind/native"],
    license: "Apache-2.0",
    config: { variables: config },
    provider: {
      description: "The provider configuration: the Keycloak the stack-wide credentials belong to, the credentials, the recovery account and transport settings.",
      inputProperties: config,
    },
    resources,
    types: Object.fromEntries(Object.entries(b.types).sort(([a], [c]) => a.localeCompare(c))),
    language: {
      csharp: { rootNamespace: "KeycloakRegistration", respectSchemaVersion: true },
      go: { importBasePath: "pulumi-keycloak-registration/sdk/go/keycloakregistration", respectSchemaVersion: true },
      python: { packageName: "pulumi_keycloak_registration", respectSchemaVersion: true, pyproject: { enabled: true } },
    },
  };
}
