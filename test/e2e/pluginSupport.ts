import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packPlugin, PLUGIN_NAME, type PackedPlugin } from "../../scripts/plugin-pack";
import type { PulumiStack } from "../bed/pulumiHarness";

/**
 * What the plugin e2e suites share: the plugin packed as users get it (outside the repository), its
 * installation into a stack's PULUMI_HOME, and a JavaScript program that declares resources by type
 * token, as any Pulumi language would, with nothing of this package in it.
 */

/** Packs the plugin into a temporary directory outside the repository; `remove()` deletes it. */
export async function packedPluginOutsideRepo(): Promise<PackedPlugin & { remove(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-plugin-"));
  const packed = await packPlugin(dir);
  return { ...packed, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `pulumi plugin install resource keycloak-registration <version> --file <tarball>` into the stack's PULUMI_HOME. */
export async function installPlugin(stack: PulumiStack, plugin: PackedPlugin): Promise<void> {
  await stack.run(["plugin", "install", "resource", PLUGIN_NAME, plugin.version, "--file", plugin.tarball]);
  const installed = path.join(stack.env.PULUMI_HOME!, "plugins", `resource-${PLUGIN_NAME}-v${plugin.version}`, `pulumi-resource-${PLUGIN_NAME}`);
  if (!fs.existsSync(installed)) throw new Error(`pulumi plugin install left no ${installed}`);
}

/** Outputs each type's program exports (and so declares as output properties of its CustomResource). */
export const PLUGIN_OUTPUTS = {
  KeycloakClient: ["clientId", "internalId", "registrationAccessToken", "clientSecret"],
  OidcClient: ["client_id", "client_secret", "registration_access_token", "registration_client_uri"],
  SamlClient: ["clientId", "internalId", "registrationAccessToken"],
} as const;

/**
 * A program declaring one resource per entry of clients.json (`{ name: { type, args } }`) through
 * `pulumi.CustomResource` and the type token: what a generated SDK does, without one.
 */
export const PLUGIN_PROGRAM = `"use strict";
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const OUTPUTS = ${JSON.stringify(PLUGIN_OUTPUTS)};
const spec = JSON.parse(fs.readFileSync(__dirname + "/clients.json", "utf8"));
for (const [name, { type, args }] of Object.entries(spec)) {
  const outs = Object.fromEntries(OUTPUTS[type].map((k) => [k, undefined]));
  const resource = new pulumi.CustomResource("keycloak-registration:index:" + type, name, { ...outs, ...args });
  exports[name] = Object.fromEntries(OUTPUTS[type].map((k) => [k, resource[k]]));
}
`;

export type PluginSpec = Record<string, { type: keyof typeof PLUGIN_OUTPUTS; args: Record<string, unknown> }>;
