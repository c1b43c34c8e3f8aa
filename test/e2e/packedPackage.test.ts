import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { startKeycloak, type KeycloakServer } from "../bed/keycloak";
import { PulumiStack, REPO_ROOT, type CommandResult } from "../bed/pulumiHarness";
import { createTestRealm, type TestRealm } from "../bed/realm";
import { isCiphertext, SecretRegistry } from "../support/leaks";

/**
 * The package as users get it: `npm pack` of this repository, installed (with `npm install`, from
 * npm's cache) into a fresh Pulumi TypeScript project outside the repository, whose program is
 * type-checked against the package's .d.ts, compiled with `tsc` and run by `pulumi up` / `destroy`
 * against a real Keycloak. Nothing resolves through the repository's node_modules or the test bed's
 * `test/.tmp/node_modules` link: the project lives under os.tmpdir() and holds everything itself.
 *
 * `npm pack --ignore-scripts` packs the `dist/` that `npm test` built (the package's `prepack` would
 * rebuild it under the feet of the other suites running in parallel).
 */

const PACKAGE = "pulumi-keycloak-registration";
const PROJECT = "kcreg-packed";

/** Versions of the repository's own installed copies, so that the offline install finds them in npm's cache. */
function installedVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws on a non-zero exit (callers assert on the result). */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * The environment for a nested `npm`: without what an outer `npm test` exported for its own project
 * (npm_config_local_prefix would point the inner npm at this repository), keeping the rest (cache, registry).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$)/i.test(k) || k === "INIT_CWD") continue;
    env[k] = v;
  }
  return env;
}

const show = (what: string, r: Run) => `${what} exited ${r.code}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import {
  KeycloakClient,
  OidcClient,
  RegistrationError,
  SamlClient,
  type Auth,
  type KeycloakClientArgs,
  type OidcClientArgs,
  type ProtocolMapper,
  type SamlClientArgs,
} from "${PACKAGE}";

const config = new pulumi.Config();

const args: KeycloakClientArgs = {
  clientId: config.require("clientId"),
  name: "Packed package",
  description: "registered by the package installed from its tarball",
  publicClient: true,
  standardFlowEnabled: true,
  implicitFlowEnabled: false,
  directAccessGrantsEnabled: false,
  redirectUris: ["https://packed.example.com/*"],
  webOrigins: ["https://packed.example.com"],
  attributes: { "pkce.code.challenge.method": "S256" },
};
const client = new KeycloakClient("packed", args);

const clientIdOut: pulumi.Output<string> = client.clientId;
const internalIdOut: pulumi.Output<string> = client.internalId;
const tokenOut: pulumi.Output<string> = client.registrationAccessToken;
export const clientId = clientIdOut;
export const internalId = internalIdOut;
export const registrationAccessToken = tokenOut;

// Never called. Correct uses must compile and wrong ones must not (each @ts-expect-error fails the
// type check when its line has no error): the declarations are real types, not \`any\`.
function typesAreChecked(): void {
  const auth: Auth = { initialAccessToken: "x" };
  const mapper: ProtocolMapper = { name: "aud", protocolMapper: "oidc-audience-mapper", config: { "included.client.audience": "api" } };
  new KeycloakClient("typed", { auth, protocolMappers: [mapper], fetchAdapterConfig: true });
  const oidc: OidcClientArgs = { client_name: "x", redirect_uris: ["https://x.example.com/cb"], grant_types: ["authorization_code"] };
  const oidcClientId: pulumi.Output<string> = new OidcClient("oidc", oidc).client_id;
  const saml: SamlClientArgs = { entityDescriptor: "<EntityDescriptor/>" };
  const samlClientId: pulumi.Output<string> = new SamlClient("saml", saml).clientId;
  const e: unknown = new Error();
  const code: string | undefined = e instanceof RegistrationError ? e.code : undefined;
  void [oidcClientId, samlClientId, code];

  // @ts-expect-error redirectUris is a list of strings
  new KeycloakClient("bad1", { redirectUris: "https://x.example.com/*" });
  // @ts-expect-error misspelt argument (redirectUris)
  new KeycloakClient("bad2", { redirectUri: ["https://x.example.com/*"] });
  // @ts-expect-error publicClient is a boolean
  const bad3: KeycloakClientArgs = { publicClient: "yes" };
  // @ts-expect-error an unknown auth mode
  const bad4: Auth = { password: "x" };
  // @ts-expect-error entityDescriptor is required
  const bad5: SamlClientArgs = {};
  // @ts-expect-error clientId is an output, not a string
  const bad6: string = client.clientId;
  void [bad3, bad4, bad5, bad6];
}
void typesAreChecked;
`;

jest.setTimeout(20 * 60_000);

describe("the packed package in a fresh Pulumi TypeScript project", () => {
  let server: KeycloakServer;
  let realm: TestRealm | undefined;
  let workDir: string;

  beforeAll(async () => {
    server = await startKeycloak();
    workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-packed-")));
  });

  afterAll(async () => {
    await realm?.remove().catch(() => undefined);
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("packs, installs from the tarball, type-checks, and registers and deletes a client with pulumi up/destroy", async () => {
    // --- npm pack ----------------------------------------------------------------------------------
    expect(fs.existsSync(path.join(REPO_ROOT, "dist", "provider", "index.js"))).toBe(true);
    const packDir = path.join(workDir, "pack");
    fs.mkdirSync(packDir);
    const pack = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], REPO_ROOT, npmEnv());
    expect({ code: pack.code, out: pack.code === 0 ? "" : show("npm pack", pack) }).toEqual({ code: 0, out: "" });
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path).sort();
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/provider/index.js", "dist/provider/index.d.ts", "dist/provider/dynamic/index.js"]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => !/^dist\/provider\/.+\.(js|d\.ts)$/.test(f) && !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(f))).toEqual([]);
    const tarball = path.join(packDir, packed!.filename);
    expect(fs.existsSync(tarball)).toBe(true);

    // --- a fresh project outside the repository ------------------------------------------------------
    const projectDir = path.join(workDir, "project");
    fs.mkdirSync(projectDir);
    // Nothing above it to fall back on: every module must come from the project's own node_modules.
    for (let d = path.dirname(projectDir); ; d = path.dirname(d)) {
      expect({ dir: d, node_modules: fs.existsSync(path.join(d, "node_modules")) }).toEqual({ dir: d, node_modules: false });
      if (path.dirname(d) === d) break;
    }
    const write = (name: string, content: string) => fs.writeFileSync(path.join(projectDir, name), content);
    write(
      "package.json",
      JSON.stringify(
        {
          name: PROJECT,
          private: true,
          main: "bin/index.js",
          dependencies: { "@pulumi/pulumi": installedVersion("@pulumi/pulumi"), [PACKAGE]: `file:${tarball}` },
          devDependencies: { "@types/node": installedVersion("@types/node"), typescript: installedVersion("typescript") },
        },
        null,
        2,
      ) + "\n",
    );
    // Compiled with tsc first (Pulumi's own TypeScript support would need ts-node in the project).
    write("Pulumi.yaml", [`name: ${PROJECT}`, "runtime:", "  name: nodejs", "  options:", "    typescript: false", "main: bin/index.js", ""].join("\n"));
    write(
      "tsconfig.json",
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "node16",
            moduleResolution: "node16",
            strict: true,
            outDir: "bin",
            rootDir: ".",
            types: ["node"],
            skipLibCheck: false,
          },
          files: ["index.ts"],
        },
        null,
        2,
      ) + "\n",
    );
    write("index.ts", PROGRAM);

    const installArgs = ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"];
    let install = await run("npm", [...installArgs, "--offline"], projectDir, npmEnv());
    if (install.code !== 0) {
      process.stderr.write(`[packedPackage] npm install --offline failed (${install.stderr.split("\n").find((l) => /ERR/.test(l)) ?? install.code}); retrying with --prefer-offline\n`);
      install = await run("npm", [...installArgs, "--prefer-offline"], projectDir, npmEnv());
    }
    expect({ code: install.code, out: install.code === 0 ? "" : show("npm install", install) }).toEqual({ code: 0, out: "" });

    // The package, its dynamic provider and the SDK all resolve inside the project, as real copies.
    const ownModules = path.join(projectDir, "node_modules");
    const inProject = (request: string) => {
      const resolved = require.resolve(request, { paths: [projectDir] });
      return { request, resolved: resolved.startsWith(ownModules + path.sep) && fs.realpathSync(resolved).startsWith(ownModules + path.sep) };
    };
    for (const request of [PACKAGE, `${PACKAGE}/dynamic`, "@pulumi/pulumi"]) expect(inProject(request)).toEqual({ request, resolved: true });
    expect(fs.lstatSync(path.join(ownModules, PACKAGE)).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(ownModules, PACKAGE, "test"))).toBe(false);
    // The same from a plain node process in the project (as Pulumi's program and provider processes resolve).
    const probe = await run(
      process.execPath,
      ["-e", `for (const r of ${JSON.stringify([PACKAGE, `${PACKAGE}/dynamic`])}) console.log(require("fs").realpathSync(require.resolve(r)))`],
      projectDir,
    );
    expect(probe.code).toBe(0);
    const probed = probe.stdout.trim().split("\n");
    expect(probed).toHaveLength(2);
    for (const p of probed) expect(p.startsWith(ownModules + path.sep)).toBe(true);

    // --- types: tsc --noEmit, then the build -------------------------------------------------------------
    const tsc = path.join(ownModules, "typescript", "bin", "tsc");
    const typecheck = await run(process.execPath, [tsc, "-p", projectDir, "--noEmit"], projectDir);
    expect({ code: typecheck.code, out: typecheck.code === 0 ? "" : show("tsc --noEmit", typecheck) }).toEqual({ code: 0, out: "" });
    const build = await run(process.execPath, [tsc, "-p", projectDir], projectDir);
    expect({ code: build.code, out: build.code === 0 ? "" : show("tsc", build) }).toEqual({ code: 0, out: "" });
    expect(fs.existsSync(path.join(projectDir, "bin", "index.js"))).toBe(true);

    // --- pulumi up / destroy against a test realm ----------------------------------------------------------
    realm = await createTestRealm(server, `packed-${Math.random().toString(36).slice(2, 8)}`);
    const iat = await realm.createInitialAccessToken({ count: 1, expiration: 3600 });
    const secrets = new SecretRegistry();
    secrets.add("initial access token", iat);
    const transcripts: Array<{ where: string; text: string }> = [];
    const record = (what: string, r: CommandResult) => {
      transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
      return r;
    };
    const clientId = `packed-${Math.random().toString(36).slice(2, 8)}`;
    const stack = await PulumiStack.create({
      programDir: projectDir,
      config: {
        "keycloak-registration:serverUrl": server.url,
        "keycloak-registration:realm": realm.name,
        "keycloak-registration:initialAccessToken": { value: iat, secret: true },
        [`${PROJECT}:clientId`]: clientId,
      },
    });
    try {
      record("up", await stack.up());
      const out = await stack.outputs({ showSecrets: true });
      secrets.add("registration access token", out.registrationAccessToken);
      expect(out.clientId).toBe(clientId);
      const live = await realm.getClient(clientId);
      expect(live).toMatchObject({
        clientId,
        id: out.internalId,
        name: "Packed package",
        publicClient: true,
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        redirectUris: ["https://packed.example.com/*"],
        webOrigins: ["https://packed.example.com"],
      });
      expect(live?.attributes?.["pkce.code.challenge.method"]).toBe("S256");

      const exported = await stack.exportState();
      transcripts.push({ where: "stack export", text: exported.raw });
      const resource = (exported.json.deployment.resources ?? []).find((r: { type: string }) => String(r.type).endsWith(":KeycloakClient"));
      expect(resource).toBeDefined();
      expect(isCiphertext(resource.outputs.registrationAccessToken)).toBe(true);
      // Installed in a real node_modules, the serialized provider is a reference to the package's
      // shell module, not the shell's code (about 2.4 KB when the package is linked instead).
      const serialized: string = resource.inputs.__provider;
      process.stderr.write(`serialized provider from the installed package: ${serialized.length} bytes\n`);
      expect(serialized).toContain(`require("${PACKAGE}/shells/keycloakClient")`);
      expect(serialized.length).toBeLessThan(512);
      expect(record("preview (no change)", await stack.preview({ expectNoChanges: true })).code).toBe(0);

      record("destroy", await stack.destroy());
      expect(await realm.getClient(clientId)).toBeUndefined();
      expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
    } finally {
      await stack.destroy({ allowFailure: true });
      stack.remove();
    }
  });
});
