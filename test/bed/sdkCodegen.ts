import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { ensureGoTool, type GoToolSpec } from "./goTool";
import { PULUMI_CLI_VERSION } from "./pulumiEngine";

/**
 * Pulumi's SDK generators for the provider plugin's schema. `pulumi package gen-sdk` hands the schema
 * to the language host of each language (GeneratePackage), and the hosts for Python, Go and .NET are
 * not available from the Go module proxy here. Their generators are: pkg/v3/codegen/{python,go} at the
 * CLI's version, and pkg/v3/codegen/dotnet at v3.225.1, the last release that carried it. Two small
 * commands (scripts/sdkgen/) call them as the hosts do and are built and cached like the CLI.
 */
const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The newest pkg/v3 the module proxy serves with codegen/dotnet (v3.229.0 onwards have none). */
export const DOTNET_CODEGEN_VERSION = "v3.225.1";
// Non-local replace directive of pkg/v3's go.mod (as in pulumiEngine.ts).
const CLIPBOARD = "github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e";

export type SdkLanguage = "python" | "go" | "dotnet";
export const SDK_LANGUAGES: readonly SdkLanguage[] = ["python", "go", "dotnet"];

function source(rel: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, "scripts", "sdkgen", rel), "utf8");
}

/** The cache key follows the sources, so an edit of scripts/sdkgen rebuilds. */
function keyed(version: string, text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return `${version}-${h.toString(16)}`;
}

function specFor(language: SdkLanguage): GoToolSpec {
  if (language === "dotnet") {
    const main = source(path.join("dotnet", "main.go"));
    return {
      name: "sdkgen-dotnet",
      version: keyed(DOTNET_CODEGEN_VERSION, main),
      requires: [`github.com/pulumi/pulumi/pkg/v3@${DOTNET_CODEGEN_VERSION}`, `github.com/pulumi/pulumi/sdk/v3@${DOTNET_CODEGEN_VERSION}`],
      replaces: [CLIPBOARD],
      pkg: ".",
      binary: "sdkgen-dotnet",
      files: { "main.go": main },
      minGo: "1.24",
    };
  }
  const main = source("main.go");
  return {
    name: "sdkgen",
    version: keyed(PULUMI_CLI_VERSION, main),
    requires: [`github.com/pulumi/pulumi/pkg/v3@${PULUMI_CLI_VERSION}`, `github.com/pulumi/pulumi/sdk/v3@${PULUMI_CLI_VERSION}`],
    replaces: [CLIPBOARD],
    pkg: ".",
    binary: "sdkgen",
    files: { "main.go": main },
    minGo: "1.26.6",
  };
}

/** The generator versions, for the README and reports. */
export function codegenVersion(language: SdkLanguage): string {
  return language === "dotnet" ? DOTNET_CODEGEN_VERSION : PULUMI_CLI_VERSION;
}

/**
 * Writes the SDK of `language` for `schemaPath` into `outDir` (replaced whole, as `pulumi package
 * gen-sdk --out <dir>` replaces `<dir>/<language>`).
 */
export async function generateSdk(schemaPath: string, language: SdkLanguage, outDir: string, log?: (line: string) => void): Promise<void> {
  const tool = await ensureGoTool(specFor(language), log);
  const args = language === "dotnet" ? [schemaPath, outDir] : [schemaPath, language, outDir];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(tool.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(tool.binary)} ${language} failed (exit ${code}):\n${output}`))));
  });
}
