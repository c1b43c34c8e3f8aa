import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { startKeycloak, type KeycloakServer } from "../bed/keycloak";
import { npmEnv, productNode } from "../bed/node";
import { PulumiStack, REPO_ROOT, type CommandResult } from "../bed/pulumiHarness";
import { createTestRealm } from "../bed/realm";
import { isCiphertext, SecretRegistry } from "../support/leaks";

/**
 * The package as users get it: `npm pack` of this repository, installed (with `npm install`, from
 * npm's cache) into fresh Pulumi TypeScript projects outside the repository, whose program is
 * type-checked against the package's .d.ts with `tsc` and run as TypeScript by `pulumi up` /
 * `destroy` (Pulumi's default) against a real Keycloak. Nothing resolves through the repository's
 * node_modules or the test bed's `test/.tmp/node_modules` link: the projects live under os.tmpdir()
 * and hold everything themselves.
 *
 * `@pulumi/pulumi` is a peer dependency: the program's own SDK serves the package too, so the tree
 * holds exactly one copy of it. Two projects: the newest SDK (the repository's dev dependency) and
 * the lowest the peer range admits. npm, tsc and everything Pulumi starts run under the selected
 * Node.js (test/bed/node.ts).
 *
 * `npm pack --ignore-scripts` packs the `dist/` that `npm test` built (the package's `prepack` would
 * rebuild it under the feet of the other suites running in parallel).
 */

const PACKAGE = "pulumi-keycloak-registration";

/** Versions of the repository's own installed copies, so that the offline install finds them in npm's cache. */
function installedVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

/** The lowest @pulumi/pulumi the package's peer range admits (">=X.Y.Z <4"). */
function lowestSupportedSdk(): string {
  const range: string = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).peerDependencies["@pulumi/pulumi"];
  const m = /^>=(\d+\.\d+\.\d+) <4$/.exec(range);
  if (!m) throw new Error(`peerDependencies["@pulumi/pulumi"] is "${range}", expected ">=X.Y.Z <4"`);
  return m[1]!;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with the selected Node first on PATH; never throws on a non-zero exit (callers assert on the result). */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const withNode = { ...env, PATH: [productNode().binDir, env.PATH ?? ""].join(path.delimiter) };
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: withNode, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const show = (what: string, r: Run) => `${what} exited ${r.code}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
const ok = (what: string, r: Run) => expect({ what, code: r.code, out: r.code === 0 ? "" : show(what, r) }).toEqual({ what, code: 0, out: "" });

/** Every copy of `name` installed under `dir` (nested node_modules included), with its version. */
function installedCopies(dir: string, name: string): Array<{ path: string; version: string }> {
  const found: Array<{ path: string; version: string }> = [];
  const walk = (modules: string) => {
    if (!fs.existsSync(modules)) return;
    const pj = path.join(modules, name, "package.json");
    if (fs.existsSync(pj)) found.push({ path: path.relative(dir, path.dirname(pj)), version: JSON.parse(fs.readFileSync(pj, "utf8")).version });
    for (const entry of fs.readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const pkgs = entry.name.startsWith("@") ? fs.readdirSync(path.join(modules, entry.name)).map((n) => path.join(entry.name, n)) : [entry.name];
      for (const pkg of pkgs) walk(path.join(modules, pkg, "node_modules"));
    }
  };
  walk(path.join(dir, "node_modules"));
  return found;
}

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

describe("the packed package in fresh Pulumi TypeScript projects", () => {
  let server: KeycloakServer;
  let workDir: string;
  let tarball: string;

  beforeAll(async () => {
    server = await startKeycloak();
    workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-packed-")));
  });

  afterAll(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  /**
   * A fresh project (the layout of `pulumi new typescript`) with this SDK and the tarball: installed,
   * one copy of @pulumi/pulumi, types checked with tsc, then up, a no-op preview and destroy in a
   * realm of its own. Returns the serialized provider of the registered client.
   */
  const project = async (name: string, sdkVersion: string, recordsSourcePosition: boolean): Promise<string> => {
    const projectDir = path.join(workDir, name);
    fs.mkdirSync(projectDir);
    // Nothing above it to fall back on: every module must come from the project's own node_modules.
    for (let d = path.dirname(projectDir); ; d = path.dirname(d)) {
      expect({ dir: d, node_modules: fs.existsSync(path.join(d, "node_modules")) }).toEqual({ dir: d, node_modules: false });
      if (path.dirname(d) === d) break;
    }
    const write = (file: string, content: string) => fs.writeFileSync(path.join(projectDir, file), content);
    const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
    write(
      "package.json",
      json({
        name,
        private: true,
        main: "index.ts",
        dependencies: { "@pulumi/pulumi": sdkVersion, [PACKAGE]: `file:${tarball}` },
        devDependencies: { "@types/node": installedVersion("@types/node"), typescript: installedVersion("typescript") },
      }),
    );
    // Pulumi's defaults: `runtime: nodejs` runs index.ts through ts-node, as `pulumi new typescript` sets up.
    write("Pulumi.yaml", `name: ${name}\nruntime: nodejs\n`);
    write(
      "tsconfig.json",
      json({
        compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, outDir: "bin", rootDir: ".", types: ["node"], skipLibCheck: false },
        files: ["index.ts"],
      }),
    );
    write("index.ts", PROGRAM);

    const installArgs = ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"];
    let install = await run("npm", [...installArgs, "--offline"], projectDir, npmEnv());
    if (install.code !== 0) {
      process.stderr.write(`[packedPackage] ${name}: npm install --offline failed (${install.stderr.split("\n").find((l) => /ERR/.test(l)) ?? install.code}); retrying with --prefer-offline\n`);
      install = await run("npm", [...installArgs, "--prefer-offline"], projectDir, npmEnv());
    }
    ok(`${name}: npm install`, install);
    expect({ name, warnings: install.stderr.split("\n").filter((l) => /EBADENGINE|ERESOLVE|peer dep/i.test(l)) }).toEqual({ name, warnings: [] });

    // The package, its dynamic provider and the SDK all resolve inside the project, as real copies;
    // the SDK exactly once, at the program's version (a peer, not a nested copy of the package's own).
    const ownModules = path.join(projectDir, "node_modules");
    expect({ name, copies: installedCopies(projectDir, "@pulumi/pulumi") }).toEqual({ name, copies: [{ path: "node_modules/@pulumi/pulumi", version: sdkVersion }] });
    expect(fs.lstatSync(path.join(ownModules, PACKAGE)).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(ownModules, PACKAGE, "test"))).toBe(false);
    // As Pulumi's program and provider processes resolve, from a plain node process in the project.
    const requests = [PACKAGE, `${PACKAGE}/dynamic`, "@pulumi/pulumi"];
    const probe = await run(productNode().node, ["-e", `for (const r of ${JSON.stringify(requests)}) console.log(require("fs").realpathSync(require.resolve(r)))`], projectDir);
    ok(`${name}: resolve`, probe);
    const probed = probe.stdout.trim().split("\n");
    expect(probed.map((p, i) => ({ request: requests[i], inProject: p.startsWith(ownModules + path.sep) }))).toEqual(requests.map((request) => ({ request, inProject: true })));
    // What a program pays to load the package (beside the SDK it loads anyway): the resource classes,
    // no schema library and no HTTP client (those load in the provider process only).
    /** The module files `require(request)` adds to what @pulumi/pulumi loaded, relative to the project's node_modules. */
    const modulesLoadedBy = async (request: string): Promise<string[]> => {
      const script = `require("@pulumi/pulumi"); const before = new Set(Object.keys(require.cache)); require(${JSON.stringify(request)}); console.log(JSON.stringify(Object.keys(require.cache).filter((k) => !before.has(k))))`;
      const r = await run(productNode().node, ["-e", script], projectDir);
      ok(`${name}: what ${request} loads`, r);
      return (JSON.parse(r.stdout) as string[]).map((f) => path.relative(ownModules, f));
    };
    const loaded = await modulesLoadedBy(PACKAGE);
    expect({ name, libraries: loaded.filter((f) => !f.startsWith(PACKAGE + path.sep)) }).toEqual({ name, libraries: [] });
    expect(loaded.length).toBeLessThanOrEqual(15);
    // What the provider process loads before its first request (a `preview` with nothing to send
    // never makes one) and its first SAML descriptor: the schema library, but not the HTTP client,
    // the proxy agent or the XML parser.
    const providerLibraries = new Set((await modulesLoadedBy(`${PACKAGE}/dynamic`)).map((f) => /^((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]));
    expect({ name, zod: providerLibraries.has("zod"), later: ["axios", "https-proxy-agent", "fast-xml-parser"].filter((l) => providerLibraries.has(l)) }).toEqual({ name, zod: true, later: [] });

    // --- types: tsc --noEmit ---------------------------------------------------------------------------
    ok(`${name}: tsc --noEmit`, await run(productNode().node, [path.join(ownModules, "typescript", "bin", "tsc"), "-p", projectDir, "--noEmit"], projectDir));

    // --- pulumi up / destroy against a realm of its own ------------------------------------------------------
    const realm = await createTestRealm(server, `packed-${Math.random().toString(36).slice(2, 8)}`);
    const iat = await realm.createInitialAccessToken({ count: 1, expiration: 3600 });
    const secrets = new SecretRegistry();
    secrets.add("initial access token", iat);
    const transcripts: Array<{ where: string; text: string }> = [];
    const record = (what: string, r: CommandResult) => {
      transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
      return r;
    };
    const clientId = `packed-${Math.random().toString(36).slice(2, 8)}`;
    let stack: PulumiStack | undefined;
    try {
      stack = await PulumiStack.create({
        programDir: projectDir,
        config: {
          "keycloak-registration:serverUrl": server.url,
          "keycloak-registration:realm": realm.name,
          "keycloak-registration:initialAccessToken": { value: iat, secret: true },
          [`${name}:clientId`]: clientId,
        },
      });
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
      // Pulumi records where the program declared the client: the program's own line, not the class'.
      // (SDKs before source positions, such as the lowest one here, record none.)
      const declared = PROGRAM.split("\n").findIndex((l) => l.startsWith("const client = new KeycloakClient("));
      const position = `project:///index.ts#${declared + 1},${"const client = ".length + 1}`;
      expect({ name, sourcePosition: resource.sourcePosition }).toEqual({ name, sourcePosition: recordsSourcePosition ? position : undefined });
      expect(record("preview (no change)", await stack.preview({ expectNoChanges: true })).code).toBe(0);

      record("destroy", await stack.destroy());
      expect(await realm.getClient(clientId)).toBeUndefined();
      expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
      return resource.inputs.__provider as string;
    } finally {
      await stack?.teardown();
      await realm.remove().catch(() => undefined);
    }
  };

  it("npm pack holds the compiled provider, README, LICENSE and CHANGELOG, and declares @pulumi/pulumi as a peer", async () => {
    expect(fs.existsSync(path.join(REPO_ROOT, "dist", "provider", "index.js"))).toBe(true);
    const packDir = path.join(workDir, "pack");
    fs.mkdirSync(packDir);
    const pack = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], REPO_ROOT, npmEnv());
    ok("npm pack", pack);
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path).sort();
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/provider/index.js", "dist/provider/index.d.ts", "dist/provider/dynamic/index.js"]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => !/^dist\/provider\/.+\.(js|d\.ts)$/.test(f) && !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(f))).toEqual([]);
    tarball = path.join(packDir, packed!.filename);
    const manifest = await run("tar", ["-xzOf", tarball, "package/package.json"], packDir);
    ok("tar", manifest);
    const pj = JSON.parse(manifest.stdout) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    expect(pj.dependencies?.["@pulumi/pulumi"]).toBeUndefined();
    expect(pj.peerDependencies?.["@pulumi/pulumi"]).toBe(`>=${lowestSupportedSdk()} <4`);
  });

  it("with the newest @pulumi/pulumi: one copy of the SDK, types checked, up and destroy; the provider is stored as a package reference", async () => {
    expect(tarball).toBeDefined();
    const serialized = await project("kcreg-packed-newest", installedVersion("@pulumi/pulumi"), true);
    // Installed in a real node_modules, the serialized provider is one line requiring the package's
    // shell module, not the shell's code (about 2.4 KB when the package is loaded by a relative path).
    process.stderr.write(`serialized provider from the installed package: ${serialized.length} bytes\n`);
    expect(serialized).toBe(`exports.handler = () => require("${PACKAGE}/shells/keycloakClient");\n`);
  });

  it("with the lowest @pulumi/pulumi the peer range admits: one copy of the SDK, types checked, up and destroy", async () => {
    expect(tarball).toBeDefined();
    await project("kcreg-packed-lowest", lowestSupportedSdk(), false);
  });
});
