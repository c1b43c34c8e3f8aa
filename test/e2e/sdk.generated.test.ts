import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { HAND_WRITTEN, sdkDrift } from "../../scripts/gen-sdk";

/**
 * The committed SDKs (sdk/python, sdk/go, sdk/dotnet) are what Pulumi's generators make of the
 * committed schema.json (whose own unit test catches drift from the zod declarations); the Go SDK
 * compiles and vets; the .NET SDK, which no .NET toolchain on this machine can build, names the
 * right package, plugin and resources. Python's is exercised end to end by python.plugin.test.ts.
 */
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SDK = path.join(REPO_ROOT, "sdk");
const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8")) as {
  name: string;
  version: string;
  resources: Record<string, unknown>;
  language: { csharp?: { rootNamespace?: string }; go?: { importBasePath?: string } };
};
const RESOURCES = Object.keys(schema.resources).map((token) => token.split(":").pop()!);
const BUILD_TIMEOUT_MS = 30 * 60_000;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly -buildvcs=false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.on("error", reject);
    // Go's progress lines on a cold module cache (a fresh machine) are neither warnings nor errors.
    child.on("close", (code) => resolve({ code, output: output.replace(/^go: downloading \S+ \S+\n/gm, "") }));
  });
}

describe("generated SDKs", () => {
  test.each(["python", "go", "dotnet"] as const)(
    "sdk/%s is exactly what the generator makes of schema.json",
    async (language) => {
      expect(await sdkDrift(language)).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  test("the plugin version every SDK pins is the schema's", () => {
    const pins = ["python/pulumi_keycloak_registration/pulumi-plugin.json", "go/keycloakregistration/pulumi-plugin.json", "dotnet/pulumi-plugin.json"].map(
      (f) => [f, JSON.parse(fs.readFileSync(path.join(SDK, f), "utf8"))],
    );
    expect(Object.fromEntries(pins)).toEqual(Object.fromEntries(pins.map(([f]) => [f, { resource: true, name: schema.name, version: schema.version }])));
  });

  test(
    "the Go SDK builds and vets as a module of its own (go.mod and go.sum complete: -mod=readonly)",
    async () => {
      const gomod = fs.readFileSync(path.join(SDK, "go", "go.mod"), "utf8");
      // The module is the parent of the import path the generated code uses.
      expect(/^module (\S+)$/m.exec(gomod)?.[1]).toBe(path.posix.dirname(schema.language.go!.importBasePath!));
      expect(HAND_WRITTEN.go).toEqual(["go.mod", "go.sum"]);
      const build = await run("go", ["build", "./..."], path.join(SDK, "go"));
      expect({ code: build.code, output: build.output }).toEqual({ code: 0, output: "" });
      const vet = await run("go", ["vet", "./..."], path.join(SDK, "go"));
      expect({ code: vet.code, output: vet.output }).toEqual({ code: 0, output: "" });
    },
    BUILD_TIMEOUT_MS,
  );

  test(".NET SDK (not compiled: no .NET SDK here): project file, plugin and one class per resource with its type token", () => {
    const dir = path.join(SDK, "dotnet");
    const namespace = `${schema.language.csharp?.rootNamespace ?? "Pulumi"}.KeycloakRegistration`;
    const csproj = fs.readFileSync(path.join(dir, `${namespace}.csproj`), "utf8");
    expect(/<Version>([^<]+)<\/Version>/.exec(csproj)?.[1]).toBe(schema.version);
    expect(/<PackageReference Include="Pulumi" Version="([^"]+)"/.exec(csproj)?.[1]).toMatch(/^\[3\.[\d.]+,4\)$/);
    expect(csproj).toContain('<EmbeddedResource Include="pulumi-plugin.json" />');
    expect(fs.readFileSync(path.join(dir, "version.txt"), "utf8")).toBe(schema.version);
    for (const name of [...RESOURCES, "Provider"]) {
      const cs = fs.readFileSync(path.join(dir, `${name}.cs`), "utf8");
      expect({ name, namespace: /^namespace (\S+)$/m.exec(cs)?.[1] }).toEqual({ name, namespace });
      if (name !== "Provider") expect(cs).toContain(`[KeycloakRegistrationResourceType("${schema.name}:index:${name}")]`);
      expect(cs).toContain(`public ${name}(string name, ${name}Args`);
    }
  });
});
