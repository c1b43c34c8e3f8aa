import * as fs from "node:fs";
import * as path from "node:path";
import { MIN_NODE_MAJOR, unsupportedNode } from "../../provider/plugin/main";

/** The plugin tarball carries no package.json, so the gate repeats `engines.node`: the two must agree. */
function enginesMajor(): number {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { engines: { node: string } };
  const m = /^>=\s*(\d+)(?:\.0){0,2}$/.exec(pkg.engines.node.trim());
  if (!m) throw new Error(`package.json engines.node is ${JSON.stringify(pkg.engines.node)}, not ">=N": update the plugin's gate (provider/plugin/main.ts) and this test together`);
  return Number(m[1]);
}

describe("the plugin's Node.js gate", () => {
  test("the gate is package.json's engines.node", () => {
    expect(MIN_NODE_MAJOR).toBe(enginesMajor());
  });

  test("Node.js 22 and newer pass; older releases are refused with the version found and what to do", () => {
    expect(MIN_NODE_MAJOR).toBe(22);
    expect([unsupportedNode("22.0.0"), unsupportedNode("24.22.3"), unsupportedNode("26.1.0")]).toEqual([undefined, undefined, undefined]);
    expect(unsupportedNode("21.7.3")).toBe(
      "pulumi-resource-keycloak-registration: Node.js 21.7.3 is not supported; it needs Node.js 22 or newer. " +
        "Put such a node first on PATH, or set PULUMI_KEYCLOAK_REGISTRATION_NODE to the path of its binary",
    );
    expect(unsupportedNode("18.19.0")).toContain("Node.js 18.19.0 is not supported");
  });
});
