import type { Config } from "@jest/types";
import * as path from "node:path";
import { startKeycloak, type KeycloakServer } from "./keycloak";
import { ensurePulumiEngine } from "./pulumiEngine";
import { linkPackageInto, REPO_ROOT } from "./selfLink";

declare global {
  var __KCREG_KEYCLOAK__: KeycloakServer | undefined;
  var __KCREG_COMPAT_KEYCLOAK__: KeycloakServer | undefined;
}

/**
 * The global setup of the `integration` and `e2e` projects, and through globalSetupCompat.ts of
 * `compat`. Jest runs a setup module once per run (with the first selected project's config), only
 * when one of its projects' tests is selected. Starts Keycloak once for the whole run and publishes
 * it as `KEYCLOAK_URL` (`compat`: the older major, as `KEYCLOAK_COMPAT_URL`), provisions the Pulumi
 * engine when an e2e or compat test will need it (otherwise the harness does on first use), and
 * hands them to the test workers through the environment. A Keycloak or Pulumi engine that cannot be provisioned fails the run:
 * tests are never skipped.
 */
export default async function globalSetup(_globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  const log = (line: string) => process.stderr.write(`[test bed] ${line}\n`);
  const project = projectConfig.displayName?.name;
  // The `compat` project runs its suites against the older major: a server of its own, published
  // as KEYCLOAK_COMPAT_URL (tests there see it through startKeycloak(), see inCompatProject()).
  const compat = project === "compat";
  const keycloakStarted = Date.now();
  const server = await startKeycloak({ log, compat });
  if (!server.external) {
    if (compat) {
      globalThis.__KCREG_COMPAT_KEYCLOAK__ = server;
      process.env.KEYCLOAK_COMPAT_URL = server.url;
    } else {
      globalThis.__KCREG_KEYCLOAK__ = server;
      process.env.KEYCLOAK_URL = server.url;
      // Both servers share these (a server started here is always admin/admin).
      process.env.KEYCLOAK_ADMIN_USERNAME = server.adminUsername;
      process.env.KEYCLOAK_ADMIN_PASSWORD = server.adminPassword;
    }
    log(`Keycloak ${server.version} ready at ${server.url} in ${((Date.now() - keycloakStarted) / 1000).toFixed(1)} s${compat ? " (compat project)" : ""}`);
  }
  if ((project === "e2e" || compat) && !process.env.PULUMI_ENGINE_BIN_DIR) {
    const started = Date.now();
    const engine = await ensurePulumiEngine({ log });
    process.env.PULUMI_ENGINE_BIN_DIR = engine.binDir;
    log(`Pulumi ${engine.version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  linkPackageInto(path.join(REPO_ROOT, "test", ".tmp"));
}
