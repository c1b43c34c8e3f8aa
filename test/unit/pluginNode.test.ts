import { MIN_NODE_MAJOR, unsupportedNode } from "../../provider/plugin/main";

describe("the plugin's Node.js gate", () => {
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
