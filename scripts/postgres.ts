/**
 * PostgreSQL for trying Pulumi's `postgres://` state backend locally.
 *
 *   npx tsx scripts/postgres.ts start     install the server from Debian's packages if missing (root),
 *                                         start an ephemeral cluster on 127.0.0.1 and print its
 *                                         postgres:// URL; Ctrl-C stops it and deletes its data
 *   npx tsx scripts/postgres.ts install   only make sure the server binaries are installed
 *
 * Then, e.g.: PGPASSWORD=<password> PULUMI_BACKEND_URL=<url without the password> pulumi stack init dev
 */
import { ensurePostgresInstalled, startPostgres } from "../test/bed/postgres";
import { untilSignal } from "./foreground";

const log = (l: string): void => {
  process.stderr.write(`[postgres] ${l}\n`);
};

async function main(): Promise<number> {
  const cmd = process.argv[2];
  if (cmd === "install") {
    const inst = await ensurePostgresInstalled({ log });
    process.stdout.write(`PostgreSQL ${inst.version}: ${inst.binDir}${inst.installed ? " (installed now)" : ""}\n`);
    return 0;
  }
  if (cmd === "start") {
    const pg = await startPostgres({ log });
    process.stdout.write(
      [
        "",
        `PostgreSQL ${pg.version} is running (data in ${pg.dir}, deleted on stop)`,
        `  URL:    ${pg.urlWithoutPassword} (the password goes in PGPASSWORD, below)`,
        `  psql:   PGPASSWORD=${pg.password} ${pg.psqlCommand}`,
        "  Pulumi (the password in PGPASSWORD: Pulumi prints the backend URL in `whoami -v` and in connection errors):",
        `          export PGPASSWORD=${pg.password} PULUMI_BACKEND_URL='${pg.urlWithoutPassword}'`,
        "          pulumi stack init <name>",
        "Press Ctrl-C to stop.",
        "",
      ].join("\n"),
    );
    await untilSignal(() => pg.stop(), log);
    return 0;
  }
  process.stderr.write("usage: tsx scripts/postgres.ts start|install\n");
  return 2;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
