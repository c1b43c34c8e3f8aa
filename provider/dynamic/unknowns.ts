/** The engine's placeholder for a value not known until apply time (previews of dependent resources). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** A copy without the unknown parts, so validation checks what is known and leaves the rest for later. */
export function withoutUnknowns<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => !containsUnknown(v)).map(withoutUnknowns) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([, v]) => v !== UNKNOWN).map(([k, v]) => [k, withoutUnknowns(v)]),
    ) as T;
  }
  return value;
}
