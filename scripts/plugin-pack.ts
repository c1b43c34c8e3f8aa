/**
 * Builds the provider plugin as a tarball that `pulumi plugin install` accepts:
 *
 *     npm run plugin:pack        # → dist/plugin/pulumi-resource-keycloak-registration-v<version>.tar.gz
 *     pulumi plugin install resource keycloak-registration <version> --file <that tarball>
 *
 * The tarball's root holds the executable `pulumi-resource-keycloak-registration` (a POSIX shell
 * launcher that runs Node.js: `node` on PATH, or PULUMI_KEYCLOAK_REGISTRATION_NODE), `provider.js`
 * (the plugin and everything it needs in one file: no node_modules, no @pulumi/pulumi runtime) and
 * the package schema. No PulumiPlugin.yaml: the engine runs the executable directly.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";
import { generateSchemaText, SCHEMA_FILE } from "./plugin-schema";

const REPO_ROOT = path.resolve(__dirname, "..");
export const PLUGIN_NAME = "keycloak-registration";
export const PLUGIN_EXECUTABLE = `pulumi-resource-${PLUGIN_NAME}`;

const LAUNCHER = `#!/bin/sh
# Pulumi resource plugin "${PLUGIN_NAME}": Node.js runs the bundled provider beside this file.
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
node="\${PULUMI_KEYCLOAK_REGISTRATION_NODE:-node}"
if ! command -v "$node" >/dev/null 2>&1; then
  echo "${PLUGIN_EXECUTABLE}: Node.js (22 or newer) was not found: put node on PATH or set PULUMI_KEYCLOAK_REGISTRATION_NODE to its path" >&2
  exit 1
fi
exec "$node" "$dir/provider.js" "$@"
`;

export interface PackedPlugin {
  version: string;
  /** The unpacked plugin: usable as a Pulumi.yaml `plugins.providers[].path`. */
  dir: string;
  tarball: string;
}

/** Bundles the plugin into `outDir` (default dist/plugin) and packs it. The committed schema.json must be current. */
export async function packPlugin(outDir = path.join(REPO_ROOT, "dist", "plugin")): Promise<PackedPlugin> {
  const schema = fs.readFileSync(SCHEMA_FILE, "utf8");
  if (schema !== generateSchemaText()) throw new Error("schema.json differs from the zod declarations: run `npm run plugin:schema` first");
  const version = (JSON.parse(schema) as { version: string }).version;
  const dir = path.join(outDir, `${PLUGIN_EXECUTABLE}-v${version}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [path.join(REPO_ROOT, "provider", "plugin", "main.ts")],
    outfile: path.join(dir, "provider.js"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minify: true,
    keepNames: true,
    legalComments: "eof",
    logLevel: "warning",
    plugins: [
      {
        name: "pulumi-shim",
        setup(b) {
          b.onResolve({ filter: /^@pulumi\/pulumi$/ }, () => ({ path: path.join(REPO_ROOT, "provider", "plugin", "pulumiShim.ts") }));
        },
      },
    ],
  });
  fs.writeFileSync(path.join(dir, PLUGIN_EXECUTABLE), LAUNCHER, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "schema.json"), schema);
  fs.copyFileSync(path.join(REPO_ROOT, "LICENSE"), path.join(dir, "LICENSE"));
  const tarball = path.join(outDir, `${PLUGIN_EXECUTABLE}-v${version}.tar.gz`);
  const tar = spawnSync("tar", ["-czf", tarball, "-C", dir, "."], { encoding: "utf8" });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  return { version, dir, tarball };
}

if (require.main === module) {
  packPlugin().then(
    (p) => {
      const size = fs.statSync(p.tarball).size;
      process.stdout.write(`${path.relative(process.cwd(), p.tarball)} (${(size / 1024).toFixed(0)} KiB)\n`);
      process.stdout.write(`install: pulumi plugin install resource ${PLUGIN_NAME} ${p.version} --file ${p.tarball}\n`);
    },
    (e: Error) => {
      process.stderr.write(`plugin:pack failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
