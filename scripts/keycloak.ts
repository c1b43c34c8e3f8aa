/**
 * Keycloak for local work and CI.
 *
 *   npx tsx scripts/keycloak.ts start   start Keycloak (KEYCLOAK_VERSION, default the bed's version) in
 *                                       the foreground; prints URL and admin credentials; Ctrl-C stops it
 *   npx tsx scripts/keycloak.ts fetch   only provision the cache (Maven download + unpack)
 *
 * With the server from `start`, tests can reuse it: KEYCLOAK_URL=<url> npm test
 */
import { DEFAULT_KEYCLOAK_VERSION, ensureKeycloakDist, pickJdk, startKeycloak } from "../test/bed/keycloak";
import { untilSignal } from "./foreground";

const log = (l: string): void => {
  process.stderr.write(`[keycloak] ${l}\n`);
};

async function main(): Promise<number> {
  const cmd = process.argv[2];
  const version = process.env.KEYCLOAK_VERSION ?? DEFAULT_KEYCLOAK_VERSION;
  if (cmd === "fetch") {
    const dist = await ensureKeycloakDist(version, log);
    const jdk = pickJdk(version, log);
    process.stdout.write(`Keycloak ${version}: ${dist}\nJDK ${jdk.major}: ${jdk.home}\n`);
    return 0;
  }
  if (cmd === "start") {
    const server = await startKeycloak({ version, log });
    process.stdout.write(
      [
        "",
        `Keycloak ${server.version} is running${server.external ? " (external)" : ""}`,
        `  URL:      ${server.url}`,
        `  admin:    ${server.adminUsername} / ${server.adminPassword}`,
        server.javaHome ? `  JDK:      ${server.javaHome}` : undefined,
        server.logFile ? `  log:      ${server.logFile}` : undefined,
        `  reuse in tests: KEYCLOAK_URL=${server.url}`,
        "Press Ctrl-C to stop.",
        "",
      ]
        .filter((l) => l !== undefined)
        .join("\n"),
    );
    await untilSignal(() => server.stop(), log);
    return 0;
  }
  process.stderr.write("usage: tsx scripts/keycloak.ts start|fetch\n");
  return 2;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
