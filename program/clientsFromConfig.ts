import { problemsFrom } from "../provider/schema/issues";
import { CLIENT_KINDS, type ClientKind } from "./kinds";

/** The config key of the clients list: `<project>:clients`, i.e. `keycloak-registration-stack:clients`. */
export const CLIENTS_KEY = "clients";

/** One validated entry of the clients list. */
export interface ClientEntry {
  /** Position in the list, for messages only: the resource is named after `name`, never the position. */
  index: number;
  /** The resource name in the stack, unique in the list. */
  name: string;
  kind: string;
  /** The resource's arguments: the entry's fields plus the defaults from its name and the stack config. */
  args: Record<string, unknown>;
}

/** `keycloak-registration:serverUrl` / `:realm` of the stack, used where an entry does not set its own. */
export interface ConnectionDefaults {
  serverUrl?: string;
  realm?: string;
}

/** Every problem of the list at once, each naming the entry and the field. */
export class ClientsConfigError extends Error {
  constructor(
    readonly problems: string[],
    /** The full config key, e.g. `keycloak-registration-stack:clients`. */
    configKey = CLIENTS_KEY,
  ) {
    super(`${configKey} in the stack configuration has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
    this.name = "ClientsConfigError";
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ENTRY_KEYS = new Set(["kind", "name"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Credentials have no place in the clients list: Pulumi stores a structured config value in plain
 * text unless the whole value is secret. Anonymous registration carries no secret and is allowed.
 */
function credentialProblems(fields: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const auth = fields.auth;
  if (isObject(auth)) {
    for (const key of ["initialAccessToken", "bearerToken", "serviceAccount"]) {
      if (auth[key] !== undefined) {
        out.push([
          `auth.${key}`,
          "credentials do not belong in the clients list, which the stack config keeps in plain text; remove it and set the stack-wide " +
            "keycloak-registration:initialAccessToken, :bearerToken or :serviceAccountClientId + :serviceAccountClientSecret with `pulumi config set --secret`",
        ]);
      }
    }
  }
  if (fields.adopt !== undefined) {
    out.push(["adopt", "adopt carries a registration access token, a secret the clients list would keep in plain text; adopt the client from a program of your own (see examples/)"]);
  }
  return out;
}

/**
 * Validates the clients list read from the stack config with the resources' own schemas. Returns the
 * entries, or throws a {@link ClientsConfigError} listing every problem as
 * `clients[2] (name "web").redirectUris: <reason>`.
 */
export function clientsFromConfig(
  raw: unknown,
  defaults: ConnectionDefaults,
  kinds: Record<string, ClientKind> = CLIENT_KINDS,
): ClientEntry[] {
  const key = `clients`;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    throw new ClientsConfigError([`${key}: must be a list of client definitions (a YAML sequence of maps with kind and name), not ${typeof raw}`]);
  }
  const problems: string[] = [];
  const entries: ClientEntry[] = [];
  const seen = new Map<string, number>();
  const kindNames = Object.keys(kinds).join(", ");

  raw.forEach((entry: unknown, index) => {
    let label = `${key}[${index}]`;
    const problem = (field: string, reason: string) => problems.push(`${label}${field ? `.${field}` : ""}: ${reason}`);
    if (!isObject(entry)) {
      problem("", `must be a map with at least kind and name, e.g. {kind: default, name: web}`);
      return;
    }
    const name = entry.name;
    if (typeof name !== "string" || !NAME.test(name)) {
      problem(
        "name",
        name === undefined
          ? "is missing: every entry needs a unique name (letters, digits, . _ -); it names the resource in the stack"
          : "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    } else {
      label = `${key}[${index}] (name "${name}")`;
      const first = seen.get(name);
      if (first !== undefined) problem("name", `is already used by ${key}[${first}]; names must be unique because they name the resources`);
      else seen.set(name, index);
    }
    const kindName = entry.kind;
    const kind = typeof kindName === "string" ? kinds[kindName] : undefined;
    if (!kind) {
      problem("kind", kindName === undefined ? `is missing: set kind to one of ${kindNames}` : `unknown kind ${JSON.stringify(kindName)}; the kinds are ${kindNames}`);
    }
    const fields = Object.fromEntries(Object.entries(entry).filter(([k]) => !ENTRY_KEYS.has(k)));
    for (const [field, reason] of credentialProblems(fields)) problem(field, reason);
    if (!kind || typeof name !== "string") return;

    const args: Record<string, unknown> = { ...kind.defaultsFor(name), ...fields };
    const unset: string[] = [];
    for (const k of ["serverUrl", "realm"] as const) {
      // An OIDC entry for any RFC 7591 server names its endpoint instead.
      if (args[k] !== undefined || args.registrationEndpoint !== undefined) continue;
      if (defaults[k] !== undefined) args[k] = defaults[k];
      else {
        unset.push(k);
        problem(k, `is not set: set keycloak-registration:${k} for the stack (pulumi config set keycloak-registration:${k} <value>) or ${k} in this entry`);
      }
    }
    const parsed = kind.schema.safeParse(args);
    if (!parsed.success) {
      for (const p of problemsFrom(kind.schema, parsed.error)) {
        if (unset.includes(p.property)) continue;
        if (p.property.startsWith("auth") && credentialProblems(fields).length) continue;
        problem(p.property === "(arguments)" ? "" : p.property, p.reason);
      }
    }
    entries.push({ index, name, kind: kindName as string, args });
  });

  if (problems.length) throw new ClientsConfigError(problems);
  return entries;
}
