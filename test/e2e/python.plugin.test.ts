import * as fs from "node:fs";
import * as path from "node:path";

import { ensurePythonBed } from "../bed/pythonHost";
import { describePluginLifecycle } from "./yamlPythonScenario";

/**
 * Python: examples/python, as committed, through the generated Python SDK (sdk/python, installed in
 * the test bed's virtualenv with pulumi from PyPI), the bed's Python language host and the provider
 * plugin from its tarball. The project's `virtualenv: venv` is a link to the bed's virtualenv.
 */
describePluginLifecycle({
  name: "python",
  example: "python",
  prepare: async (log) => {
    const bed = await ensurePythonBed({ log });
    return { binDir: bed.binDir, finish: (programDir) => fs.symlinkSync(bed.venv, path.join(programDir, "venv")) };
  },
});
