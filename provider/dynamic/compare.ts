/** Value comparison shared by the diffs of every resource: pure, no network, no Pulumi. */

/** A stable text form of a JSON value: object keys sorted, undefined members dropped. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A list compared as a set: duplicates and order do not count. */
export function sortedSet(values: unknown): string[] {
  return Array.isArray(values) ? [...new Set(values.map(String))].sort() : [];
}

/** Whether two maps agree on the keys `declared` sets; other keys are the server's business. */
export function declaredKeysMatch(declared: unknown, observed: unknown): boolean {
  const want = (declared ?? {}) as Record<string, unknown>;
  const have = (observed ?? {}) as Record<string, unknown>;
  return Object.keys(want).every((k) => canonical(want[k]) === canonical(have[k]));
}
