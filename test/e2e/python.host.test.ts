import * as fs from "node:fs";
import * as path from "node:path";

import { productNode } from "../bed/node";
import { getPulumiEngine } from "../bed/pulumiHarness";
import { ensurePythonBed, type PythonBed } from "../bed/pythonHost";
import { useStackFixture } from "../bed/stackFixture";

/**
 * The test bed's Python language host (scripts/engine/python-language-host.py) where a user would
 * notice it: config and secret config reach the program, a program that raises fails the update with
 * its traceback, and a missing virtualenv is named with the way to make it.
 */
const PROGRAM = `import pulumi

config = pulumi.Config()
pulumi.export("greeting", "hello " + config.require("who"))
pulumi.export("token", config.require_secret("token"))
if config.get_bool("fail"):
    raise ValueError("the program says no")
`;

describe("the test bed's Python language host", () => {
  let bed: PythonBed;
  let engineBinDir: string;
  beforeAll(async () => {
    bed = await ensurePythonBed({ log: (l) => process.stderr.write(`[python host] ${l}\n`) });
    engineBinDir = (await getPulumiEngine()).binDir;
  }, 30 * 60_000);
  const fx = useStackFixture({
    name: "pyhost",
    program: {
      "Pulumi.yaml": "name: pyhost\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n",
      "__main__.py": PROGRAM,
    },
    initialAccessToken: false,
    stackOptions: () => ({ env: { PATH: [bed.binDir, engineBinDir, productNode().binDir, process.env.PATH ?? ""].join(path.delimiter) } }),
  });

  test("config reaches the program (secrets stay secret), a raising program fails with its traceback, a missing virtualenv is named", async () => {
    const venv = path.join(fx.programDir, "venv");
    fs.symlinkSync(bed.venv, venv);
    const token = "a-secret-value-of-some-length";
    fx.secrets.add("token", token);
    await fx.stack.setConfig("pyhost:who", "world");
    await fx.stack.setConfig("pyhost:token", token, { secret: true });

    fx.record("up", await fx.stack.up());
    expect(await fx.stack.outputs()).toEqual({ greeting: "hello world", token: "[secret]" });
    expect(await fx.stack.outputs({ showSecrets: true })).toEqual({ greeting: "hello world", token });

    await fx.stack.setConfig("pyhost:fail", "true");
    const failed = fx.record("up (raising)", await fx.stack.up({ allowFailure: true }));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("Program failed with an unhandled exception:");
    expect(failed.stdout).toMatch(/File "[^"]*__main__\.py", line 7, in <module>\s+raise ValueError\("the program says no"\)\s+ValueError: the program says no/);

    fs.rmSync(venv);
    const missing = fx.record("up (no virtualenv)", await fx.stack.up({ allowFailure: true }));
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toContain(`The virtual environment ${venv} does not exist: create it with \`python3 -m venv ${venv}\``);

    expect(fx.leaks()).toEqual([]);
  });
});
