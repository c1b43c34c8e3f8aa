// Smoke test of the test bed's Pulumi engine: a trivial dynamic resource through up, a no-op up, destroy;
// the program and the dynamic provider run under the selected Node.js, the provider through Pulumi's own launcher.
import * as fs from "node:fs";

import { productNode } from "../bed/node";
import { makeProgramDir, PulumiStack } from "../bed/pulumiHarness";

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");

const provider = {
  async create(inputs) {
    return { id: "smoke-" + inputs.name, outs: { name: inputs.name, greeting: "hello " + inputs.name, providerNode: process.version, providerMain: process.argv[1] } };
  },
  async diff(id, olds, news) {
    return { changes: olds.name !== news.name, replaces: olds.name !== news.name ? ["name"] : [] };
  },
  async delete() {},
};

class Smoke extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(provider, name, { greeting: undefined, ...args }, opts);
  }
}

const config = new pulumi.Config();
const thing = new Smoke("thing", { name: config.get("who") || "world" });
exports.thingId = thing.id;
exports.greeting = thing.greeting;
exports.secretEcho = config.getSecret("secretWord");
exports.programNode = process.version;
`;

jest.setTimeout(10 * 60_000);

describe("Pulumi engine smoke", () => {
  let programDir: string;
  let stack: PulumiStack | undefined;

  beforeAll(() => {
    programDir = makeProgramDir({ prefix: "engine-smoke", files: { "index.js": PROGRAM } });
  });

  afterAll(() => {
    stack?.remove();
    fs.rmSync(programDir, { recursive: true, force: true });
  });

  it("creates, leaves unchanged and destroys a dynamic resource", async () => {
    stack = await PulumiStack.create({
      programDir,
      config: { who: "kc", secretWord: { value: "s3cr3t", secret: true } },
      log: process.env.KCREG_VERBOSE ? (l) => process.stderr.write(`${l}\n`) : undefined,
    });

    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 2 created|2 created/);

    const resources = await stack.resources();
    const smoke = resources.find((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    expect(smoke).toBeDefined();
    expect(smoke.id).toBe("smoke-kc");
    expect(smoke.outputs.greeting).toBe("hello kc");
    const node = `v${productNode().version}`;
    expect({ program: (await stack.outputs()).programNode, provider: smoke.outputs.providerNode }).toEqual({ program: node, provider: node });
    // Pulumi's launcher (pulumi-resource-pulumi-nodejs, a shell script) runs the SDK's provider script as node's main module.
    expect(smoke.outputs.providerMain).toMatch(/node_modules\/@pulumi\/pulumi\/cmd\/dynamic-provider(\/index\.js)?$/);
    expect(typeof smoke.inputs.__provider).toBe("string");

    const outputs = await stack.outputs();
    expect(outputs.thingId).toBe("smoke-kc");
    expect(outputs.greeting).toBe("hello kc");
    expect(outputs.secretEcho).toBe("[secret]");
    expect((await stack.outputs({ showSecrets: true })).secretEcho).toBe("s3cr3t");
    const exported = await stack.exportState();
    expect(exported.raw).not.toContain("s3cr3t");

    const preview = await stack.preview({ expectNoChanges: true });
    expect(preview.json?.changeSummary).toEqual({ same: 2 });

    const again = await stack.up({ args: ["--expect-no-changes"] });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/2 unchanged/);

    const destroy = await stack.destroy();
    expect(destroy.code).toBe(0);
    expect(await stack.resources()).toEqual([]);
  });
});
