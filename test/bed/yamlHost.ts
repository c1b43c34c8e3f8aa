import { spawnSync } from "node:child_process";

import { ensureGoTool, type GoTool, type GoToolSpec } from "./goTool";

/**
 * Pulumi's YAML language host, `pulumi-language-yaml`, for e2e tests of Pulumi YAML programs: built
 * from the Go module github.com/pulumi/pulumi-yaml at {@link PULUMI_YAML_VERSION} with the
 * dependencies its own go.mod pins (it does not compile against pkg/v3 v3.276.0: its plugin loader
 * API changed), and cached like the CLI in `~/.cache/pulumi-keycloak-registration/pulumi-yaml/<version>/bin`.
 * Put `binDir` on the PATH of the `pulumi` commands (PulumiStack's `env`).
 */
export const PULUMI_YAML_VERSION = "v1.25.0";

export const YAML_HOST: GoToolSpec = {
  name: "pulumi-yaml",
  version: PULUMI_YAML_VERSION,
  requires: [`github.com/pulumi/pulumi-yaml@${PULUMI_YAML_VERSION}`],
  pkg: "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml",
  binary: "pulumi-language-yaml",
  ldflags: `-X github.com/pulumi/pulumi-yaml/pkg/version.Version=${PULUMI_YAML_VERSION}`,
  // The `go` directive of pulumi-yaml's go.mod.
  minGo: "1.24.7",
};

export interface YamlHost extends GoTool {
  /** What GetPluginInfo reports, e.g. "1.25.0". */
  version: string;
}

/** Finds or builds the YAML language host (minutes the first time, on a 2-core machine). */
export async function ensureYamlHost(log?: (line: string) => void): Promise<YamlHost> {
  const tool = await ensureGoTool(YAML_HOST, log);
  // The host has no version flag; the linker-set version is in the binary.
  const r = spawnSync("go", ["version", "-m", tool.binary], { encoding: "utf8" });
  const m = /pulumi-yaml\s+(v\d+\.\d+\.\d+)/.exec(r.stdout ?? "");
  return { ...tool, version: (m?.[1] ?? PULUMI_YAML_VERSION).replace(/^v/, "") };
}
