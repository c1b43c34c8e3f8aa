import type { Config } from "@jest/types";
import * as path from "node:path";
import { startKeycloak, type KeycloakServer } from "./keycloak";
import { ensurePulumiEngine } from "./pulumiEngine";
import { linkPackageInto, REPO_ROOT } from "./selfLink";

declare global {
  var __KCREG_KEYCLOAK__: KeycloakServer | undefined;
}

/**
 * The global setup of the `integration` and `e2e` projects (Jest runs a project's setup only when
 * one of its tests is selected). Starts Keycloak once for the whole run (the second project finds
 * it through `KEYCLOAK_URL`), and for e2e the Pulumi engine, and hands both to the test workers
 * through the environment. A Keycloak or Pulumi engine that cannot be provisioned fails the run:
 * tests are never skipped.
 */
export default async function globalSetup(_globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  const log = (line: string) => process.stderr.write(`[test bed] ${line}\n`);
  const keycloakStarted = Date.now();
  const server = await startKeycloak({ log });
  if (!server.external) {
    globalThis.__KCREG_KEYCLOAK__ = server;
    process.env.KEYCLOAK_URL = server.url;
    process.env.KEYCLOAK_ADMIN_USERNAME = server.adminUsername;
    process.env.KEYCLOAK_ADMIN_PASSWORD = server.adminPassword;
    log(`Keycloak ${server.version} ready at ${server.url} in ${((Date.now() - keycloakStarted) / 1000).toFixed(1)} s`);
  }
  const project = projectConfig.displayName?.name;
  if (project === "e2e" && !process.env.PULUMI_ENGINE_BIN_DIR) {
    const started = Date.now();
    const engine = await ensurePulumiEngine({ log });
    process.env.PULUMI_ENGINE_BIN_DIR = engine.binDir;
    log(`Pulumi ${engine.version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  linkPackageInto(path.join(REPO_ROOT, "test", ".tmp"));
}
