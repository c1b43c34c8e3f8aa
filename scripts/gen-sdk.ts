// Writes the provider plugin's SDKs from schema.json into sdk/<language> (python, go, dotnet):
//
//   npm run sdk                 # all three
//   npm run sdk -- python go    # some
//   npm run sdk -- --check      # regenerate into a temporary directory; exit 1 naming the files that differ
//
// The generators are Pulumi's own (test/bed/sdkCodegen.ts builds them, minutes the first time). Files
// that are ours, not the generator's (HAND_WRITTEN, e.g. sdk/go/go.mod), are kept.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { generateSdk, SDK_LANGUAGES, type SdkLanguage } from "../test/bed/sdkCodegen";

const REPO_ROOT = path.resolve(__dirname, "..");
export const SCHEMA = path.join(REPO_ROOT, "schema.json");
export const SDK_ROOT = path.join(REPO_ROOT, "sdk");

/** Files under sdk/<language> that the generator does not write. */
export const HAND_WRITTEN: Record<SdkLanguage, string[]> = {
  python: [],
  // The generator writes a go.mod only for packages with `supportPack`, pinned to a Pulumi SDK the
  // module proxy does not serve here: ours requires the CLI's.
  go: ["go.mod", "go.sum"],
  dotnet: [],
};

/** What building or installing an SDK leaves beside it (each SDK's .gitignore lists them); never generated. */
const BUILD_OUTPUT = /^(__pycache__|build|dist|bin|obj|\.mypy_cache|.*\.egg-info|.*\.pyc)$/;

function listFiles(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (skip.includes(rel) || BUILD_OUTPUT.test(e.name)) continue;
      if (e.isDirectory()) walk(p);
      else out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/** Generates `language` into a temporary directory; returns it (the caller removes it). */
async function generateToTemp(language: SdkLanguage, log?: (l: string) => void): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kcreg-sdk-${language}-`));
  await generateSdk(SCHEMA, language, path.join(tmp, language), log);
  return tmp;
}

/** The files of sdk/<language> that regenerating would change, add or remove (empty: up to date). */
export async function sdkDrift(language: SdkLanguage, log?: (l: string) => void): Promise<string[]> {
  const tmp = await generateToTemp(language, log);
  try {
    const fresh = path.join(tmp, language);
    const committed = path.join(SDK_ROOT, language);
    const a = listFiles(fresh);
    const b = listFiles(committed, HAND_WRITTEN[language]);
    const drift: string[] = [];
    for (const f of new Set([...a, ...b])) {
      const x = path.join(fresh, f);
      const y = path.join(committed, f);
      if (!fs.existsSync(x)) drift.push(`${language}/${f} (not generated any more)`);
      else if (!fs.existsSync(y)) drift.push(`${language}/${f} (missing)`);
      else if (!fs.readFileSync(x).equals(fs.readFileSync(y))) drift.push(`${language}/${f} (differs)`);
    }
    return drift.sort();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Regenerates sdk/<language>, keeping the hand-written files. */
export async function writeSdk(language: SdkLanguage, log?: (l: string) => void): Promise<void> {
  const tmp = await generateToTemp(language, log);
  try {
    const dest = path.join(SDK_ROOT, language);
    for (const f of listFiles(dest, HAND_WRITTEN[language])) fs.rmSync(path.join(dest, f));
    fs.cpSync(path.join(tmp, language), dest, { recursive: true });
    // Directories the generator no longer fills.
    const prune = (d: string): boolean => {
      const empty = fs.readdirSync(d, { withFileTypes: true }).every((e) => e.isDirectory() && prune(path.join(d, e.name)));
      if (empty && d !== dest) fs.rmdirSync(d);
      return empty;
    };
    prune(dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const asked = args.filter((a) => !a.startsWith("--"));
  for (const a of asked) if (!SDK_LANGUAGES.includes(a as SdkLanguage)) throw new Error(`unknown language ${a} (one of ${SDK_LANGUAGES.join(", ")})`);
  const languages = asked.length ? (asked as SdkLanguage[]) : [...SDK_LANGUAGES];
  const log = (l: string) => process.stderr.write(`${l}\n`);
  let drift: string[] = [];
  for (const language of languages) {
    if (check) drift = drift.concat(await sdkDrift(language, log));
    else {
      await writeSdk(language, log);
      process.stdout.write(`sdk/${language}: written from schema.json\n`);
    }
  }
  if (check) {
    if (drift.length) {
      process.stdout.write(`The committed SDKs differ from schema.json (run \`npm run sdk\`):\n${drift.join("\n")}\n`);
      process.exit(1);
    }
    process.stdout.write(`sdk/{${languages.join(",")}}: up to date with schema.json\n`);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
