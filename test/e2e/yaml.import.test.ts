import * as fs from "node:fs";
import * as path from "node:path";

import { productNode } from "../bed/node";
import { getPulumiEngine, type CommandResult } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { ensureYamlHost } from "../bed/yamlHost";
import { isCiphertext } from "../support/leaks";
import { installPlugin, packedPluginOutsideRepo } from "./pluginSupport";

/**
 * `pulumi import` as a Pulumi YAML user runs it: the engine adopts a client registered out of band
 * (the recovery account issues a fresh token) and Pulumi YAML's own language host writes the
 * declaration (`--out`). Pasted into Pulumi.yaml as written, it previews with no changes; one changed
 * field is one update; destroy (after lifting the `protect` the generated code sets) deletes it.
 */
const PROVISION_TIMEOUT_MS = 30 * 60_000;
const HEADER = "name: kcreg-import-yaml\nruntime: yaml\n";

describe("pulumi import from a Pulumi YAML project, with the code Pulumi generates", () => {
  const log = (line: string) => process.stderr.write(`[yaml import] ${line}\n`);
  let binDir: string;
  let engineBinDir: string;
  let plugin: Awaited<ReturnType<typeof packedPluginOutsideRepo>>;
  beforeAll(async () => {
    binDir = (await ensureYamlHost(log)).binDir;
    engineBinDir = (await getPulumiEngine()).binDir;
    plugin = await packedPluginOutsideRepo();
  }, PROVISION_TIMEOUT_MS);
  const fx = useStackFixture({
    name: "yaml-import",
    program: { "Pulumi.yaml": HEADER },
    recovery: true,
    stackOptions: () => ({ env: { PATH: [binDir, engineBinDir, productNode().binDir, process.env.PATH ?? ""].join(path.delimiter) } }),
  });
  beforeAll(() => installPlugin(fx.stack, plugin));
  afterAll(() => plugin?.remove());

  const record = (what: string, r: CommandResult) => fx.record(what, r);
  const suffix = Math.random().toString(36).slice(2, 8);
  const clientId = `yaml-oob-${suffix}`;

  test("import, generated YAML, no-change preview, one update, destroy", async () => {
    const res = await fetch(fx.realm.registrationUrl("default"), {
      method: "POST",
      headers: { Authorization: `Bearer ${fx.initialAccessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ clientId, description: "registered by hand", redirectUris: ["https://oob.example.com/*"], publicClient: true }),
    });
    expect(res.status).toBe(201);
    const registrant = (await res.json()) as { registrationAccessToken: string };
    fx.secrets.add("out-of-band registration access token", registrant.registrationAccessToken);

    const generated = path.join(fx.programDir, "generated.yaml");
    record(
      "import",
      await fx.stack.run(["import", "keycloak-registration:index:KeycloakClient", "svc", clientId, "--yes", "--out", generated, "--stack", fx.stack.stackName]),
    );
    const code = fs.readFileSync(generated, "utf8");
    fx.transcripts.push({ where: "generated.yaml", text: code });
    // Pulumi YAML's code: the resource by its type token (YAML's short form drops `index:`), the
    // client's fields as Keycloak holds them, protected as imports are.
    expect(code).toMatch(/^resources:\n {2}svc:\n {4}type: keycloak-registration:KeycloakClient\n {4}properties:\n/m);
    expect(code).toContain(`clientId: ${clientId}`);
    expect(code).toContain("description: registered by hand");
    expect(code).toMatch(/options:\n\s+protect: true/);
    // The registrant's token died with the import; the stack holds a fresh one, as ciphertext.
    const status = await fetch(`${fx.realm.registrationUrl("default")}/${clientId}`, { headers: { Authorization: `Bearer ${registrant.registrationAccessToken}` } });
    expect(status.status).toBe(401);
    const svc = ((await fx.stack.exportState()).json.deployment.resources as Array<{ type: string; id: string; outputs: Record<string, unknown> }>).find((r) =>
      r.type.endsWith(":KeycloakClient"),
    )!;
    expect(svc.id).toBe(clientId);
    expect(isCiphertext(svc.outputs.registrationAccessToken)).toBe(true);

    // Pasted as generated: nothing to do.
    fs.writeFileSync(path.join(fx.programDir, "Pulumi.yaml"), HEADER + code);
    record("preview (as generated)", await fx.stack.preview({ expectNoChanges: true }));

    // One field changed: one update, seen in Keycloak.
    fs.writeFileSync(path.join(fx.programDir, "Pulumi.yaml"), HEADER + code.replace("description: registered by hand", "description: managed from YAML"));
    const up = record("up (one field)", await fx.stack.up());
    expect(up.stdout).toMatch(/1 updated/);
    expect((await fx.realm.getClient(clientId))?.description).toBe("managed from YAML");

    record("unprotect", await fx.stack.run(["state", "unprotect", "--all", "--yes", "--stack", fx.stack.stackName]));
    record("destroy", await fx.stack.destroy());
    expect(await fx.realm.getClient(clientId)).toBeUndefined();
    expect(fx.leaks()).toEqual([]);
  });
});
