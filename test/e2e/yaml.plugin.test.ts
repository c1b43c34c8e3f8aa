import { ensureYamlHost } from "../bed/yamlHost";
import { describePluginLifecycle } from "./yamlPythonScenario";

/**
 * Pulumi YAML: examples/yaml/Pulumi.yaml, as committed, through Pulumi's own YAML language host
 * (built from github.com/pulumi/pulumi-yaml by the test bed) and the provider plugin from its tarball.
 */
describePluginLifecycle({
  name: "yaml",
  example: "yaml",
  prepare: (log) => ensureYamlHost(log),
});
