// Finds or builds the Pulumi engine for the test bed and prints where it is.
//
//   npx tsx scripts/pulumi-engine.ts          # bin dir and version on stdout, progress on stderr
//   npx tsx scripts/pulumi-engine.ts --json   # {"binDir", "pulumi", "version", "built", "seconds"}
//
// The first run builds the Pulumi CLI from Go sources (minutes); later runs reuse the cache.
import { ensurePulumiEngine } from "../test/bed/pulumiEngine";

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const started = Date.now();
  const engine = await ensurePulumiEngine({ log: (line) => process.stderr.write(`${line}\n`) });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...engine, seconds })}\n`);
  } else {
    process.stdout.write(`binDir:  ${engine.binDir}\n`);
    process.stdout.write(`pulumi:  ${engine.pulumi}\n`);
    process.stdout.write(`version: ${engine.version}${engine.built ? ` (built in ${seconds} s)` : ""}\n`);
    process.stdout.write(`Use it with: export PATH="${engine.binDir}:$PATH"\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
