// Finds or builds the Pulumi engine for the test bed and prints where it is.
//
//   npx tsx scripts/pulumi-engine.ts          # bin dir and version on stdout, progress on stderr
//   npx tsx scripts/pulumi-engine.ts --json   # {"binDir", "pulumi", "version", "built", "seconds", "languages"}
//   npx tsx scripts/pulumi-engine.ts --languages yaml,python,go
//                                             # also the language hosts of those languages, on the same PATH line
//
// The first run builds the Pulumi CLI from Go sources (minutes); later runs reuse the cache. The
// Node.js host comes with the engine, with Pulumi's Node.js program generator beside it (for the code
// `pulumi import` prints). A standard Pulumi installation ships Pulumi's own hosts for
// YAML, Python and Go; this machine has none, so `--languages` builds the test bed's: Pulumi YAML's
// host from its Go module, and hosts of the bed's own for Python (with the `pulumi` SDK from PyPI)
// and Go (which builds programs with `go build`, as Pulumi's does).
import { ensureGoBed } from "../test/bed/goHost";
import { DEFAULT_NODE_MAJOR, ensureNode, nodeEnvVar } from "../test/bed/node";
import { ensureProgramGenerator } from "../test/bed/programCodegen";
import { ensurePulumiEngine } from "../test/bed/pulumiEngine";
import { ensurePythonBed } from "../test/bed/pythonHost";
import { ensureYamlHost } from "../test/bed/yamlHost";

const LANGUAGES = ["yaml", "python", "go"] as const;
type Language = (typeof LANGUAGES)[number];

function languagesArg(argv: string[]): Language[] {
  const i = argv.indexOf("--languages");
  if (i < 0) return [];
  const list = (argv[i + 1] ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = list.filter((l) => !(LANGUAGES as readonly string[]).includes(l));
  if (!list.length || unknown.length) {
    throw new Error(`--languages takes a comma-separated list of ${LANGUAGES.join(", ")}${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""} (nodejs comes with the engine)`);
  }
  return [...new Set(list as Language[])];
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const languages = languagesArg(process.argv);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const engine = await ensurePulumiEngine({ log });
  // What the bed's Node.js host runs for GenerateProgram (the declaration `pulumi import` prints).
  await ensureProgramGenerator(engine.binDir, log);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const hosts: Partial<Record<Language, string>> = {};
  for (const language of languages) {
    if (language === "yaml") hosts.yaml = (await ensureYamlHost(log)).binDir;
    if (language === "python") hosts.python = (await ensurePythonBed({ log })).binDir;
    if (language === "go") {
      // The bed's Go host is a Node.js script: it runs on the test bed's Node.js.
      const node = await ensureNode(DEFAULT_NODE_MAJOR, log);
      process.env[nodeEnvVar(DEFAULT_NODE_MAJOR)] = node.node;
      hosts.go = (await ensureGoBed({ log })).binDir;
    }
  }
  const binDirs = [engine.binDir, ...new Set(Object.values(hosts))];
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...engine, seconds, languages: hosts })}\n`);
  } else {
    process.stdout.write(`binDir:  ${engine.binDir}\n`);
    process.stdout.write(`pulumi:  ${engine.pulumi}\n`);
    process.stdout.write(`version: ${engine.version}${engine.built ? ` (built in ${seconds} s)` : ""}\n`);
    for (const [language, dir] of Object.entries(hosts)) process.stdout.write(`${`${language}:`.padEnd(9)}${dir} (pulumi-language-${language})\n`);
    process.stdout.write(`Use it with: export PATH="${binDirs.join(":")}:$PATH"\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
