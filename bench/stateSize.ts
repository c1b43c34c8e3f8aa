import * as fs from "node:fs";
import * as path from "node:path";
import type { StateFigures } from "./report";

/**
 * Where the bytes of a client's state go. Every figure is a byte count of compact JSON, as the file
 * backend stores the checkpoint (`pulumi stack export` prints the same JSON indented):
 *
 * - fields: the client's own fields, the resource's outputs (clientId, description, redirectUris,
 *   serverUrl, realm, internalId, registrationAccessToken, clientSecret, ...), with each secret
 *   counted at the size of its plaintext;
 * - inputs: the same declared fields once more, as the resource's inputs (Pulumi keeps both);
 * - provider: the serialized dynamic provider, `__provider`, in the inputs and in the outputs;
 * - secretEnvelope: what encryption adds to each secret (the ciphertext's envelope, nonce, tag and
 *   base64 beyond the plaintext);
 * - stackTrace: `sourcePosition` and `stackTrace`, where in the program the resource was declared;
 * - bookkeeping: the rest: urn, type, id, parent, provider reference, propertyDependencies,
 *   additionalSecretOutputs, created/modified, key names and punctuation.
 *
 * "Beyond the client's own fields" is `total - fields`.
 */

type Json = unknown;
interface Resource {
  type: string;
  inputs?: Record<string, Json>;
  outputs?: Record<string, Json>;
  [key: string]: Json;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const pairBytes = (key: string, value: Json) => Buffer.byteLength(`${JSON.stringify(key)}:${JSON.stringify(value)}`);

/**
 * Plaintext size of a secret without decrypting it: the passphrase provider's ciphertext is
 * `v1:<nonce>:<base64(AES-256-GCM(JSON of the value) + 16-byte tag)>`.
 */
function secretPlaintextBytes(value: Json): number | undefined {
  if (typeof value !== "object" || value === null || (value as Record<string, Json>)[SECRET_SIG] === undefined) return undefined;
  const ciphertext = (value as { ciphertext?: string }).ciphertext;
  const parts = typeof ciphertext === "string" ? ciphertext.split(":") : [];
  if (parts.length !== 3 || parts[0] !== "v1") return undefined;
  return Buffer.from(parts[2]!, "base64").length - 16;
}

export interface ResourceBytes {
  total: number;
  fields: number;
  inputs: number;
  provider: number;
  secretEnvelope: number;
  stackTrace: number;
  bookkeeping: number;
  /** `__provider` alone, once (it is stored twice: inputs and outputs). */
  providerOnce: number;
}

export function resourceBytes(r: Resource): ResourceBytes {
  const total = Buffer.byteLength(JSON.stringify(r));
  let fields = 0;
  let inputs = 0;
  let provider = 0;
  let providerOnce = 0;
  let secretEnvelope = 0;
  for (const [where, props] of [["inputs", r.inputs ?? {}], ["outputs", r.outputs ?? {}]] as const) {
    for (const [key, value] of Object.entries(props)) {
      const bytes = pairBytes(key, value);
      if (key === "__provider") {
        provider += bytes;
        providerOnce = Buffer.byteLength(String(value));
        continue;
      }
      const plain = secretPlaintextBytes(value);
      const own = plain === undefined ? bytes : Buffer.byteLength(`${JSON.stringify(key)}:`) + plain;
      secretEnvelope += bytes - own;
      if (where === "outputs") fields += own;
      else inputs += own;
    }
  }
  const stackTrace = ["sourcePosition", "stackTrace"].reduce((sum, k) => sum + (r[k] === undefined ? 0 : pairBytes(k, r[k])), 0);
  const bookkeeping = total - fields - inputs - provider - secretEnvelope - stackTrace;
  return { total, fields, inputs, provider, secretEnvelope, stackTrace, bookkeeping, providerOnce };
}

function dirBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return { bytes, files };
}

export function stateFigures(clients: number, exported: { raw: string; json: { deployment: { resources: Resource[] } } }, backendDir: string, stackName: string): StateFigures {
  const resources = exported.json.deployment.resources;
  const mine = resources.filter((r) => r.type.endsWith(":KeycloakClient"));
  if (mine.length !== clients) throw new Error(`the state holds ${mine.length} KeycloakClient resources, expected ${clients}`);
  const sums = mine.map(resourceBytes).reduce((a, b) => {
    const out = { ...a };
    for (const k of Object.keys(b) as Array<keyof ResourceBytes>) out[k] += b[k];
    return out;
  });
  const perClient = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round(v / clients)])) as unknown as ResourceBytes;
  const stacksDir = path.join(backendDir, ".pulumi", "stacks");
  const file = fs
    .readdirSync(stacksDir, { recursive: true, withFileTypes: true })
    .find((e) => e.isFile() && e.name === `${stackName}.json`);
  if (!file) throw new Error(`no checkpoint file ${stackName}.json under ${stacksDir}`);
  const fileBytes = fs.statSync(path.join(file.parentPath, file.name)).size;
  const backend = dirBytes(path.join(backendDir, ".pulumi"));
  const provider = String(mine[0]?.inputs?.__provider ?? "");
  return {
    clients,
    providerIsReference: /require\("pulumi-keycloak-registration\//.test(provider) && provider.length < 1024,
    providerText: provider.length <= 600 ? provider : undefined,
    fileBytes,
    exportBytes: Buffer.byteLength(exported.raw),
    otherResourcesBytes: resources.filter((r) => !r.type.endsWith(":KeycloakClient")).reduce((s, r) => s + Buffer.byteLength(JSON.stringify(r)), 0),
    backendBytes: backend.bytes,
    backendFiles: backend.files,
    perClient,
  };
}
