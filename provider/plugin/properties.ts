import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { UNKNOWN } from "../dynamic/unknowns";

/**
 * Property values on the wire of Pulumi's provider protocol (a protobuf Struct): plain JSON, plus
 * objects carrying a signature key for secrets, resource references and the like, and the string
 * {@link UNKNOWN} for values a preview does not know yet. The core works on plain values; these
 * helpers take secrets off on the way in and put them back on the way out.
 */

export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export type Props = Record<string, unknown>;

/** Whether a value is a secret (Pulumi's secret wrapper), not merely one that holds one. */
export function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Props)[SIGNATURE_KEY] === SECRET_SIGNATURE;
}

export function secret(value: unknown): unknown {
  return isSecret(value) ? value : { [SIGNATURE_KEY]: SECRET_SIGNATURE, value };
}

/** A copy without secret wrappers (their values in place). */
export function unwrapSecrets<T>(value: T): T {
  if (isSecret(value)) return unwrapSecrets(value.value) as T;
  if (Array.isArray(value)) return value.map(unwrapSecrets) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)])) as T;
  }
  return value;
}

/** Whether a value is or holds a secret. */
export function holdsSecret(value: unknown): boolean {
  if (isSecret(value)) return true;
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (value && typeof value === "object") return Object.values(value).some(holdsSecret);
  return false;
}

/** Top-level keys marked secret: those named in `keys`, and those that were secret in `like` (the request's values). */
export function withSecrets(props: Props, keys: readonly string[], like: Props = {}): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    out[k] = v !== null && (keys.includes(k) || holdsSecret(like[k])) ? secret(unwrapSecrets(v)) : v;
  }
  return out;
}

export function fromStruct(s: Struct | undefined): Props {
  return (s?.toJavaScript() ?? {}) as Props;
}

/** A Struct of the defined values (protobuf has no `undefined`). */
export function toStruct(props: Props): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as Parameters<typeof Struct.fromJavaScript>[0]);
}

export { UNKNOWN };
