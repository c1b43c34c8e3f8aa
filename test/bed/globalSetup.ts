import type { Config } from "@jest/types";
import * as path from "node:path";
import { startKeycloak, type KeycloakServer } from "./keycloak";
import { DEFAULT_NODE_MAJOR, ensureNode, nodeEnvVar, type NodeMajor } from "./node";
import { ensurePulumiEngine } from "./pulumiEngine";
import { sweepOrphanedRuns } from "./pulumiHarness";
import { linkPackageInto, REPO_ROOT } from "./selfLink";

declare global {
  var __KCREG_KEYCLOAK__: KeycloakServer | undefined;
  var __KCREG_COMPAT_KEYCLOAK__: KeycloakServer | undefined;
  var __KCREG_BED_READY__: boolean | undefined;
}

/** The Jest projects that need the bed (a Keycloak), and what each needs besides. */
const BED_PROJECTS: Record<string, { keycloak: "main" | "compat"; engine: boolean; node: NodeMajor }> = {
  integration: { keycloak: "main", engine: false, node: DEFAULT_NODE_MAJOR },
  e2e: { keycloak: "main", engine: true, node: DEFAULT_NODE_MAJOR },
  compat: { keycloak: "compat", engine: true, node: DEFAULT_NODE_MAJOR },
  node22: { keycloak: "main", engine: true, node: 22 },
};

/**
 * The global setup of every project that needs the bed. Jest runs a setup module once per run (with
 * the first selected project's config), so this one prepares, in parallel, what every project with
 * tests in this run needs (test/bed/sequencer.js records them): the Keycloak 26 (`KEYCLOAK_URL`), the
 * older major for `compat` (`KEYCLOAK_COMPAT_URL`), the Pulumi engine (`PULUMI_ENGINE_BIN_DIR`) and the
 * Node.js releases (`KCREG_NODE<major>_BIN`), and hands them to the test workers through the
 * environment. First it stops what pulumi commands of an earlier run that was killed left behind.
 * Anything that cannot be provisioned fails the run: tests are never skipped.
 */
export default async function globalSetup(_globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  if (globalThis.__KCREG_BED_READY__) return;
  const log = (line: string) => process.stderr.write(`[test bed] ${line}\n`);
  // Recorded by test/bed/sequencer.js, which Jest runs before the global setup.
  const recorded = (globalThis as { __KCREG_PROJECTS_WITH_TESTS__?: Set<string> }).__KCREG_PROJECTS_WITH_TESTS__;
  const selected = recorded ?? new Set([projectConfig.displayName?.name ?? ""]);
  const needs = [...selected].flatMap((p) => (BED_PROJECTS[p] ? [BED_PROJECTS[p]!] : []));
  // What pulumi commands of an earlier run that was killed outright left running (see sweepOrphanedRuns).
  sweepOrphanedRuns(log);
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  const keycloak = async (compat: boolean) => {
    const server = await startKeycloak({ log, compat });
    if (server.external) return;
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
    log(`Keycloak ${server.version} ready at ${server.url} after ${since()}${compat ? " (compat project)" : ""}`);
  };
  const engine = async () => {
    if (process.env.PULUMI_ENGINE_BIN_DIR) return;
    const e = await ensurePulumiEngine({ log });
    process.env.PULUMI_ENGINE_BIN_DIR = e.binDir;
    log(`Pulumi ${e.version} ready after ${since()}`);
  };
  const node = async (major: NodeMajor) => {
    const n = await ensureNode(major, log);
    process.env[nodeEnvVar(major)] = n.node;
  };

  const tasks: Array<Promise<void>> = [];
  if (needs.some((n) => n.keycloak === "main")) tasks.push(keycloak(false));
  if (needs.some((n) => n.keycloak === "compat")) tasks.push(keycloak(true));
  if (needs.some((n) => n.engine)) tasks.push(engine());
  for (const major of new Set(needs.map((n) => n.node))) tasks.push(node(major));
  // Let every task finish (a server that did start must be known to the teardown), then fail on the first error.
  const results = await Promise.allSettled(tasks);
  linkPackageInto(path.join(REPO_ROOT, "test", ".tmp"));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  globalThis.__KCREG_BED_READY__ = true;
}
