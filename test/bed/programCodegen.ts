import * as fs from "node:fs";
import * as path from "node:path";

import { ensureGoTool, type GoTool, type GoToolSpec } from "./goTool";
import { PULUMI_CLI_VERSION } from "./pulumiEngine";

/**
 * Pulumi's Node.js program generator for the test bed's Node.js language host. `pulumi import` asks the
 * project's language host for GenerateProgram (PCL in, a TypeScript declaration out); Pulumi's own host
 * calls pkg/v3/codegen/nodejs, and so does scripts/progen (`kcreg-gen-program`), built and cached here
 * like the CLI. The host finds the binary through {@link PROGRAM_GENERATOR_LINK} in its own bin dir.
 */
const REPO_ROOT = path.resolve(__dirname, "..", "..");
// Non-local replace directive of pkg/v3's go.mod (as in pulumiEngine.ts and sdkCodegen.ts).
const CLIPBOARD = "github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e";

/** The name the language host looks for next to itself. */
export const PROGRAM_GENERATOR_LINK = "kcreg-gen-program";

function spec(): GoToolSpec {
  const main = fs.readFileSync(path.join(REPO_ROOT, "scripts", "progen", "main.go"), "utf8");
  let h = 0;
  for (let i = 0; i < main.length; i++) h = (Math.imul(h, 31) + main.charCodeAt(i)) >>> 0;
  return {
    name: "progen",
    version: `${PULUMI_CLI_VERSION}-${h.toString(16)}`,
    requires: [`github.com/pulumi/pulumi/pkg/v3@${PULUMI_CLI_VERSION}`, `github.com/pulumi/pulumi/sdk/v3@${PULUMI_CLI_VERSION}`],
    replaces: [CLIPBOARD],
    pkg: ".",
    binary: "progen",
    files: { "main.go": main },
    minGo: "1.26.6",
  };
}

/** Builds (once) the program generator and links it into `hostBinDir` as {@link PROGRAM_GENERATOR_LINK}. */
export async function ensureProgramGenerator(hostBinDir: string, log?: (line: string) => void): Promise<GoTool> {
  const tool = await ensureGoTool(spec(), log);
  const link = path.join(hostBinDir, PROGRAM_GENERATOR_LINK);
  let current: string | undefined;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== tool.binary) {
    const tmp = `${link}.${process.pid}.tmp`;
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(tool.binary, tmp);
    fs.renameSync(tmp, link);
  }
  return tool;
}
