import { z } from "zod";
import { PRIVATE_KEY_MEMBERS } from "./clientMetadata";

/** One problem with a resource's arguments, in the shape Pulumi's `check` reports. */
export interface FieldProblem {
  property: string;
  reason: string;
}

function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (x[i - 1] === y[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[y.length]!;
}

/** The known field closest to a misspelt one, if it is close enough to be a likely typo. */
export function closestField(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(unknown, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(2, Math.floor(unknown.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path
    // An empty key (e.g. an attribute named "") is written as Pulumi writes it: `attributes[""]`.
    .map((p, i) => (typeof p === "number" ? `[${p}]` : p === "" ? '[""]' : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** The keys a (strict) object schema at `path` accepts, to suggest the right spelling of an unknown key. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const p of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, unknown>)[String(p)];
    else if (s instanceof z.ZodArray) s = s.element;
    else if (s instanceof z.ZodRecord) s = s.valueType;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: unknown): unknown {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) {
      cur = cur.unwrap();
    } else if (cur instanceof z.ZodPipe) {
      cur = cur.in;
    } else {
      return cur;
    }
  }
  return cur;
}

/** Turns a zod failure into problems that name the field and say what to write instead. */
export function problemsFrom(schema: z.ZodType, error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = closestField(key, known);
        problems.push({
          property: pathOf([...prefix, ...issue.path, key]),
          reason: suggestion
            ? `unknown field "${key}"; did you mean "${suggestion}"?`
            : `unknown field "${key}"; the accepted fields are: ${known.join(", ")}`,
        });
      }
      continue;
    }
    problems.push({ property: pathOf([...prefix, ...issue.path]) || "(arguments)", reason: issue.message });
  }
  return problems;
}

/** Names of fields that hold credentials, wherever they appear: clientSecret, initialAccessToken, password, auth, adopt, ... */
const CREDENTIAL_NAME = /(secret|token|password|passphrase|credentials?)$|^(auth|adopt)$/i;
/** `scheme://user:password@` (or `user@`) anywhere in a string. */
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/?#\s@]*@/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const JWK_PRIVATE_MEMBER = new RegExp(`"(${PRIVATE_KEY_MEMBERS.join("|")})"\\s*:`);
/** A PEM private key, or a JSON Web Key written as text with a private member ("d", "k", ...). */
const holdsPrivateKeyText = (s: string) => PEM_PRIVATE_KEY.test(s) || (s.includes('"kty"') && JWK_PRIVATE_MEMBER.test(s));

/**
 * Whether a value, or a name beside it, may hold a credential: a credential's name, a URL with
 * user:password@, a private key (PEM, or a JSON Web Key with private members, as an object or as text).
 */
function mayHoldCredential(name: string, value: unknown, depth = 0): boolean {
  if (CREDENTIAL_NAME.test(name)) return true;
  if (typeof value === "string") return URL_USERINFO.test(value) || holdsPrivateKeyText(value);
  if (depth > 20 || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => mayHoldCredential("", v, depth + 1));
  const members = value as Record<string, unknown>;
  if (members.kty !== undefined && PRIVATE_KEY_MEMBERS.some((m) => members[m] !== undefined)) return true;
  return Object.entries(members).some(([k, v]) => mayHoldCredential(k, v, depth + 1));
}

/**
 * Pulumi prints a check failure's property value beside its reason ("property serverUrl value {...}
 * has a problem: ..."), redacting secrets but printing plain values in full: a `serverUrl` with
 * `user:password@`, a client secret given as a plain value, an unknown field named like a token. A
 * failure on a top-level property that is not a secret (`isSecret`) and may hold a credential goes
 * out without its property, so Pulumi prints the reason alone; the reason names the field.
 */
export function withoutPrintedCredentials(
  failures: readonly FieldProblem[],
  inputs: Readonly<Record<string, unknown>>,
  isSecret: (property: string) => boolean,
): FieldProblem[] {
  return failures.map((f) => {
    if (f.property === "" || !Object.hasOwn(inputs, f.property) || isSecret(f.property)) return f;
    if (!mayHoldCredential(f.property, inputs[f.property])) return f;
    return { property: "", reason: f.reason.includes(f.property) ? f.reason : `${f.property}: ${f.reason}` };
  });
}
