import type { Config } from "@jest/types";
import globalSetup from "./globalSetup";

/**
 * The `compat` project's global setup. Jest runs a global-setup module once per run, however many
 * projects name it (with the first project's config), so the older-major server needs a module of
 * its own: this one, which runs the shared setup as the `compat` project.
 */
export default async function globalSetupCompat(globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  await globalSetup(globalConfig, { ...projectConfig, displayName: { name: "compat", color: "white" } });
}
