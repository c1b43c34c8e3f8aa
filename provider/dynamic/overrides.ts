import { canonical } from "./compare";

/**
 * Server overrides: a declared value the registration service did not keep because a client policy
 * enforces another (Keycloak's `consent-required` executor with auto-configure turns
 * `consentRequired: false` into `true` on every create and update). Pure functions shared by the
 * diffs of `KeycloakClient` and `OidcClient`: detection, the record kept in the state, and the diff
 * rule that stops a refused value from showing as a change forever.
 */

/** One declared value the server did not keep. */
export interface ServerOverride {
  /** The field as the program names it; a key of a map field as `attributes.<key>` or `extra.<key>`. */
  field: string;
  declared: unknown;
  /** What the server holds instead; `null` when it dropped the value. */
  enforced: unknown;
  /** The executor or policy that most likely enforces it, for the message. */
  likelyPolicy: string;
}

/** The state's record of refused declarations, by field: kept until a write or the server says otherwise. */
export type OverrideRecord = Record<string, { declared: unknown; enforced: unknown }>;

type Satisfied = (field: string, declared: unknown, observed: unknown) => boolean;

function asMap(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The declared fields (map fields key by key) whose value the server's view does not satisfy.
 * `answered` must be the view of a write's answer (or of a read right after it): on a later read a
 * difference is drift, not an override.
 */
export function overridesBetween(
  declared: object,
  answered: object,
  fields: readonly string[],
  mapFields: readonly string[],
  satisfied: Satisfied,
  likelyPolicy: (field: string) => string,
): ServerOverride[] {
  const want = declared as Record<string, unknown>;
  const have = answered as Record<string, unknown>;
  const found: ServerOverride[] = [];
  for (const field of fields) {
    if (mapFields.includes(field)) {
      const declaredMap = asMap(want[field]);
      const answeredMap = asMap(have[field]);
      for (const key of Object.keys(declaredMap)) {
        if (canonical(declaredMap[key]) !== canonical(answeredMap[key])) {
          const name = `${field}.${key}`;
          found.push({ field: name, declared: declaredMap[key], enforced: answeredMap[key] ?? null, likelyPolicy: likelyPolicy(name) });
        }
      }
    } else if (!satisfied(field, want[field], have[field])) {
      found.push({ field, declared: want[field], enforced: have[field] ?? null, likelyPolicy: likelyPolicy(field) });
    }
  }
  return found;
}

/** The record a write leaves in the state: every override it met, and nothing older. */
export function recordOf(overrides: readonly ServerOverride[]): OverrideRecord | undefined {
  if (overrides.length === 0) return undefined;
  return Object.fromEntries(overrides.map((o) => [o.field, { declared: o.declared, enforced: o.enforced }]));
}

function valueAt(obj: Record<string, unknown>, field: string, mapFields: readonly string[]): unknown {
  const dot = field.indexOf(".");
  if (dot > 0 && mapFields.includes(field.slice(0, dot))) return asMap(obj[field.slice(0, dot)])[field.slice(dot + 1)];
  return obj[field];
}

/**
 * What a read keeps of the record: the entries whose enforced value the server still holds. Someone
 * who changed the field out of band (or a policy that no longer applies and an update since) ends
 * the override, and the normal diff takes over.
 */
export function keptOverrides(record: OverrideRecord | undefined, observed: object, mapFields: readonly string[], satisfied: Satisfied): OverrideRecord | undefined {
  if (!record) return undefined;
  const view = observed as Record<string, unknown>;
  const kept = Object.entries(record).filter(([field, r]) => {
    const have = valueAt(view, field, mapFields);
    return field.includes(".") && mapFields.includes(field.slice(0, field.indexOf(".")))
      ? canonical(have ?? null) === canonical(r.enforced)
      : satisfied(field, r.enforced, have);
  });
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * The declaration as the diff should see it: each value the record says the server refused is
 * replaced by the value it enforces, as long as the program still declares exactly the refused value
 * and the state still holds the enforced one. A new declaration, or drift away from the enforced
 * value, is compared as usual.
 */
export function acceptOverrides<T extends object>(news: T, olds: object, record: OverrideRecord | undefined, satisfied: Satisfied, mapFields: readonly string[] = ["attributes", "extra"]): T {
  if (!record) return news;
  const accepted: Record<string, unknown> = { ...(news as Record<string, unknown>) };
  const state = olds as Record<string, unknown>;
  for (const [field, r] of Object.entries(record)) {
    const dot = field.indexOf(".");
    const mapField = dot > 0 && mapFields.includes(field.slice(0, dot)) ? field.slice(0, dot) : undefined;
    if (mapField) {
      const key = field.slice(dot + 1);
      const declaredMap = asMap(accepted[mapField]);
      if (!(key in declaredMap) || canonical(declaredMap[key]) !== canonical(r.declared)) continue;
      if (canonical(asMap(state[mapField])[key] ?? null) !== canonical(r.enforced)) continue;
      accepted[mapField] = { ...declaredMap, [key]: r.enforced === null ? undefined : r.enforced };
    } else {
      if (accepted[field] === undefined || canonical(accepted[field]) !== canonical(r.declared)) continue;
      if (!satisfied(field, r.enforced, state[field])) continue;
      accepted[field] = r.enforced;
    }
  }
  return accepted as T;
}

/** The overrides a write met that the record did not already hold: the ones to tell the user about (once). */
export function newOverrides(previous: OverrideRecord | undefined, overrides: readonly ServerOverride[]): ServerOverride[] {
  return overrides.filter((o) => {
    const known = previous?.[o.field];
    return !known || canonical(known.declared) !== canonical(o.declared) || canonical(known.enforced) !== canonical(o.enforced);
  });
}

function shown(value: unknown): string {
  const text = value === null || value === undefined ? "nothing (it removed the value)" : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The warning for overrides a write met. Says which field, what was declared, what the server keeps
 * and who likely enforces it, that the provider accepts it (no diff, no update), and the two ways out.
 */
export function overrideWarning(client: string, overrides: readonly ServerOverride[]): string {
  const lines = overrides.map((o) => `  - ${o.field}: declared ${shown(o.declared)}, the server keeps ${shown(o.enforced)} (likely ${o.likelyPolicy})`);
  return [
    `${client}: the server did not keep ${overrides.length === 1 ? "a declared value" : `${overrides.length} declared values`}; a client policy of the realm enforces another:`,
    ...lines,
    "The provider accepts the enforced value: the next preview shows no change for it and no update is sent to fight it. " +
      "Declare the enforced value to make the program say what the server does, or change the policy (Realm settings > Client policies); " +
      "any later update of this client sends the declared value again.",
  ].join("\n");
}
