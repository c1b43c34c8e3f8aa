#!/usr/bin/env node
// A small Go language host ("pulumi-language-go") for the Pulumi engine, written for this project's
// test bed because Pulumi's own (the Go module github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3)
// is not served by the module proxy here. The engine launches it as
//
//     pulumi-language-go [-flag=value ...] <engine-address>
//
// with the program's directory as the working directory, reads the port of our gRPC server from the
// first line of stdout, then calls the pulumirpc.LanguageRuntime service. It behaves as Pulumi's host
// does by default:
//
// - `Run` builds the program with `go build -o <binary>` in the program directory (the environment's
//   GOFLAGS apply; the binary goes to a temporary directory, removed afterwards), then runs the binary
//   in the request's working directory with the RunInfo in the environment the Go SDK reads
//   (sdk/go/pulumi/run.go): PULUMI_ORGANIZATION, PULUMI_PROJECT, PULUMI_ROOT_DIRECTORY, PULUMI_STACK,
//   PULUMI_CONFIG (the config map as JSON, keys "<namespace>:<name>"), PULUMI_CONFIG_SECRET_KEYS,
//   PULUMI_DRY_RUN, PULUMI_PARALLEL, PULUMI_MONITOR, PULUMI_ENGINE, each only when non-empty.
//   The runtime options `binary` (a prebuilt executable, found on PATH) and `buildTarget` (where to put
//   the binary, kept) work as in Pulumi's host. Exit 0 is success, 32 "already reported" (bail),
//   anything else an error naming the code. A failed build is the run's error, with the compiler output.
// - `GetRequiredPackages`: the modules of the program's go.mod that declare a resource plugin in a
//   pulumi-plugin.json (located with `go list -m -json`, as Pulumi's host does).
// - `GetProgramDependencies`: go.mod's requirements (direct ones unless transitive are asked for).
// - `InstallDependencies`: `go mod tidy -compat=1.18`, streamed. `About`: `go version`.
//
// Not implemented, as in Pulumi's Go host or not needed for up/preview/refresh/destroy (UNIMPLEMENTED):
// GetRequiredPlugins (the engine falls back to it only when GetRequiredPackages is missing), RunPlugin,
// Template, GenerateProgram, GenerateProject, GeneratePackage, Pack, Link; the PULUMI_GO_USE_RUN switch
// and debugger attachment.
//
// Self-contained: it is copied into a bin dir of the test bed's cache and loads @grpc/grpc-js and the
// generated stubs from the @pulumi/pulumi package named by -kcreg-pulumi-sdk=<dir> (the launcher
// passes the repository's), else one resolvable from the working directory.
//
// Debugging: set KCREG_LANGHOST_LOG=<file> to append one line per RPC and per spawned process (never values).
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const EXIT_CODE_BAIL = 32; // the Go SDK's ExitStatusLoggedError: the program already reported its error
const SDK_FLAG = "kcreg-pulumi-sdk";

// ---------------------------------------------------------------------------------------------------------
// argv: Go-style flags (-name=value, -name value, --name=value), then the engine address.
const VALUE_FLAGS = new Set(["tracing", "binary", "buildTarget", "root", SDK_FLAG]);

function parseArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      positional.push(argv[i]);
      continue;
    }
    const [, name, value] = m;
    if (value !== undefined) flags[name] = value;
    else if (VALUE_FLAGS.has(name) && i + 1 < argv.length) flags[name] = argv[++i];
    else flags[name] = "true";
  }
  return { flags, positional };
}

const { flags, positional } = parseArgs(process.argv.slice(2));
let engineAddress = positional[0] || "";
const hostCwd = process.cwd();

const logFile = process.env.KCREG_LANGHOST_LOG;
function debug(msg) {
  if (!logFile) return;
  try {
    fs.appendFileSync(logFile, `${new Date().toISOString()} [go langhost ${process.pid}] ${msg}\n`);
  } catch {
    /* ignore */
  }
}

// ---------------------------------------------------------------------------------------------------------
// The gRPC stubs, from the @pulumi/pulumi the launcher names (a Go program has no node_modules).
function loadRpc() {
  const candidates = [flags[SDK_FLAG], process.cwd(), flags.root, __dirname].filter(Boolean);
  let pulumiPkg;
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, "proto", "language_grpc_pb.js"))) {
      pulumiPkg = dir;
      break;
    }
    try {
      pulumiPkg = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [dir] }));
      break;
    } catch {
      /* next */
    }
  }
  if (!pulumiPkg) throw new Error(`no @pulumi/pulumi package (for its gRPC stubs) in ${candidates.join(", ")}`);
  const fromPkg = (request) => require(require.resolve(request, { paths: [pulumiPkg] }));
  return {
    pulumiPkg,
    grpc: fromPkg("@grpc/grpc-js"),
    services: require(path.join(pulumiPkg, "proto", "language_grpc_pb.js")),
    lang: require(path.join(pulumiPkg, "proto", "language_pb.js")),
    plugin: require(path.join(pulumiPkg, "proto", "plugin_pb.js")),
    empty: fromPkg("google-protobuf/google/protobuf/empty_pb.js"),
  };
}

let rpc;
try {
  rpc = loadRpc();
} catch (e) {
  process.stderr.write(`pulumi-language-go (kcreg test bed): ${e.message}; pass -${SDK_FLAG}=<dir of @pulumi/pulumi>\n`);
  process.exit(1);
}
const { grpc, services, lang, plugin, empty } = rpc;
// Reported by GetPluginInfo: the Pulumi release whose protocol we speak (Pulumi's host reports its own build).
const HOST_VERSION = JSON.parse(fs.readFileSync(path.join(rpc.pulumiPkg, "package.json"), "utf8")).version;

// ---------------------------------------------------------------------------------------------------------
// Helpers.
function grpcError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

function summarize(req) {
  try {
    const o = req && typeof req.toObject === "function" ? req.toObject() : {};
    if (o.configMap) o.configMap = o.configMap.map(([k]) => k); // never log config values
    if (o.configpropertymap) delete o.configpropertymap;
    return JSON.stringify(o);
  } catch {
    return "";
  }
}

/** Wraps a unary handler: log, turn thrown errors into gRPC errors. */
function unary(name, fn) {
  return (call, callback) => {
    debug(`${name} ${summarize(call.request)}`);
    Promise.resolve()
      .then(() => fn(call.request, call))
      .then(
        (res) => callback(null, res),
        (err) => {
          debug(`${name} failed: ${err && err.stack}`);
          callback(err && typeof err.code === "number" ? err : grpcError(grpc.status.UNKNOWN, String(err && err.message)));
        },
      );
  };
}

function programInfo(req) {
  const info = typeof req.getInfo === "function" ? req.getInfo() : undefined;
  const options = info && info.hasOptions() ? info.getOptions().toJavaScript() : {};
  const programDirectory = (info && info.getProgramDirectory()) || (req.getPwd && req.getPwd()) || hostCwd;
  const rootDirectory = (info && info.getRootDirectory()) || programDirectory;
  return { programDirectory, rootDirectory, options: options || {} };
}

function isExecutableFile(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `name` as an absolute or relative path, else the first executable of that name on PATH. */
function findExecutable(name) {
  if (name.includes(path.sep)) {
    const p = path.resolve(hostCwd, name);
    return isExecutableFile(p) ? p : undefined;
  }
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    const p = dir && path.join(dir, name);
    if (p && isExecutableFile(p)) return p;
  }
  return undefined;
}

/** Runs a command to completion, collecting its output (for short `go` queries and the build). */
function capture(cmd, args, opts) {
  return new Promise((resolve) => {
    let child;
    try {
      child = childProcess.spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      resolve({ code: null, signal: null, stdout: "", stderr: "", error: e });
      return;
    }
    running.add(child);
    const out = [];
    const err = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => err.push(c));
    child.on("error", (e) => {
      running.delete(child);
      resolve({ code: null, signal: null, stdout: "", stderr: "", error: e });
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Running programs.
const running = new Set();
const tempDirs = new Set();

function runOptions(options) {
  const opts = {};
  for (const name of ["binary", "buildTarget"]) {
    if (options[name] === undefined) continue;
    if (typeof options[name] !== "string") throw new Error(`${name} option must be a string`);
    opts[name] = options[name];
  }
  if (opts.binary && opts.buildTarget) throw new Error("binary and buildTarget cannot both be specified");
  return opts;
}

/** The Go SDK's RunInfo, as environment variables (each only when it has a value). */
function programEnv(req, rootDirectory) {
  const env = { ...process.env };
  const config = {};
  req.getConfigMap().forEach((value, key) => {
    config[key] = value;
  });
  const set = (name, value) => {
    if (value !== undefined && value !== null && value !== "") env[name] = String(value);
  };
  set("PULUMI_ORGANIZATION", req.getOrganization());
  set("PULUMI_PROJECT", req.getProject());
  set("PULUMI_ROOT_DIRECTORY", rootDirectory);
  set("PULUMI_STACK", req.getStack());
  set("PULUMI_CONFIG", JSON.stringify(config));
  set("PULUMI_CONFIG_SECRET_KEYS", JSON.stringify(req.getConfigsecretkeysList() || []));
  set("PULUMI_DRY_RUN", String(Boolean(req.getDryrun())));
  set("PULUMI_PARALLEL", String(req.getParallel()));
  set("PULUMI_MONITOR", req.getMonitorAddress());
  set("PULUMI_ENGINE", engineAddress);
  return env;
}

/** `go build -o <outfile>` in the program directory; returns the binary or the error to report. */
async function compileProgram(programDirectory, buildTarget) {
  if (!fs.readdirSync(programDirectory).some((f) => f.endsWith(".go"))) {
    return { error: `Failed to find go files for 'go build' matching ${path.join(programDirectory, "*.go")}` };
  }
  const go = findExecutable("go");
  if (!go) return { error: "unable to find 'go' executable: no go on PATH" };
  let outfile = buildTarget ? path.resolve(programDirectory, buildTarget) : undefined;
  let tempDir;
  if (!outfile) {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-go-"));
    tempDirs.add(tempDir);
    outfile = path.join(tempDir, "program");
  }
  const started = Date.now();
  debug(`spawn ${go} build -o ${outfile} (cwd ${programDirectory})`);
  const r = await capture(go, ["build", "-o", outfile], { cwd: programDirectory, env: process.env });
  debug(`go build exited code=${r.code} signal=${r.signal} in ${Date.now() - started} ms`);
  const output = `${r.stdout}${r.stderr}`.trimEnd();
  const cleanup = () => {
    if (tempDir) {
      fs.rmSync(tempDir, { recursive: true, force: true });
      tempDirs.delete(tempDir);
    }
  };
  if (r.error || r.code !== 0) {
    cleanup();
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
    return { error: `error in compiling Go: unable to run \`go build\`: ${why}${output ? `\n${output}` : ""}` };
  }
  // Warnings and module downloads, as Pulumi's host passes them on.
  if (output) process.stderr.write(`${output}\n`);
  if (!isExecutableFile(outfile)) {
    cleanup();
    return { error: "go program is not executable, does your program have a 'main' package?" };
  }
  return { binary: outfile, cleanup };
}

function execute(binary, cwd, env) {
  return new Promise((resolve) => {
    let child;
    try {
      // The program writes straight into the pipes the engine reads from us.
      child = childProcess.spawn(binary, [], { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
    } catch (e) {
      resolve({ error: `command errored unexpectedly: ${e.message}` });
      return;
    }
    running.add(child);
    debug(`spawned ${binary} pid ${child.pid} (cwd ${cwd})`);
    child.on("error", (e) => {
      running.delete(child);
      resolve({ error: `command errored unexpectedly: ${e.message}` });
    });
    child.on("exit", (code, signal) => {
      running.delete(child);
      debug(`program exited code=${code} signal=${signal}`);
      if (code === 0) resolve({});
      else if (code === EXIT_CODE_BAIL) resolve({ bail: true });
      else if (signal) resolve({ error: `program exited unexpectedly: killed by ${signal}` });
      else resolve({ error: `program exited with non-zero exit code: ${code}` });
    });
  });
}

async function runProgram(req) {
  if (!engineAddress) throw new Error("when debugging or running explicitly, must call Handshake before Run");
  const { programDirectory, rootDirectory, options } = programInfo(req);
  const opts = runOptions(options);
  if (req.getAttachDebugger()) return { error: "pulumi-language-go (kcreg test bed) cannot attach a debugger" };
  const env = programEnv(req, rootDirectory);
  const cwd = req.getPwd() || programDirectory;
  if (opts.binary) {
    const binary = findExecutable(opts.binary);
    if (!binary) throw new Error(`unable to find '${opts.binary}' executable`);
    return execute(binary, cwd, env);
  }
  const built = await compileProgram(programDirectory, opts.buildTarget);
  if (built.error) return { error: built.error };
  try {
    return await execute(built.binary, cwd, env);
  } finally {
    built.cleanup();
  }
}

function killChildren(signal) {
  for (const child of running) {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// go.mod: found and read by the go command itself.
async function goQuery(args, cwd) {
  const go = findExecutable("go");
  if (!go) throw new Error("couldn't find go binary: no go on PATH");
  // GOWORK=off: only the module of this directory, not every module of a workspace.
  const r = await capture(go, args, { cwd, env: { ...process.env, GOWORK: "off" } });
  if (r.error || r.code !== 0) throw new Error(`go ${args.join(" ")}: ${r.error ? r.error.message : r.stderr.trim() || `exit status ${r.code}`}`);
  return r.stdout;
}

/** The program's go.mod (it may sit in a parent directory) as `go mod edit -json` prints it. */
async function loadGoMod(programDirectory) {
  const gomod = (await goQuery(["list", "-m", "-f", "{{.GoMod}}"], programDirectory)).trim();
  if (!gomod) throw new Error(`no go.mod file found: ${programDirectory}`);
  const parsed = JSON.parse(await goQuery(["mod", "edit", "-json", gomod], programDirectory));
  return { moduleDir: path.dirname(gomod), require: parsed.Require || [], replace: parsed.Replace || [] };
}

/** Where each module's source is: vendor/ in vendor mode, else what `go list -m -json` reports (no downloads). */
async function moduleDirs(moduleDir, modulePaths) {
  if (!modulePaths.length) return [];
  const out = await goQuery(["list", "-m", "-json", ...modulePaths], moduleDir);
  const modules = [];
  // A stream of JSON objects, one per module.
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" && depth++ === 0) start = i;
    else if (c === "}" && --depth === 0) modules.push(JSON.parse(out.slice(start, i + 1)));
  }
  const vendor = path.join(moduleDir, "vendor");
  const vendored = fs.existsSync(vendor);
  return modules
    .map((m) => ({ path: m.Path, version: m.Version || "", dir: vendored ? (fs.existsSync(path.join(vendor, m.Path)) ? path.join(vendor, m.Path) : "") : m.Dir || "" }))
    .filter((m) => m.dir);
}

/** pulumi-plugin.json at the module root, go/, go/*, or any first-level directory (the order Pulumi's host looks). */
function pulumiPluginJson(dir) {
  const subdirs = (d) => {
    try {
      return fs
        .readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(d, e.name, "pulumi-plugin.json"))
        .sort();
    } catch {
      return [];
    }
  };
  for (const file of [path.join(dir, "pulumi-plugin.json"), path.join(dir, "go", "pulumi-plugin.json"), ...subdirs(path.join(dir, "go")), ...subdirs(dir)]) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  }
  return undefined;
}

/** A module version as a plugin version: a pseudo-version (an untagged commit) stands for the release before it. */
function pluginVersion(version) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version || "");
  if (!m) return undefined;
  if (!/\d{14}-[0-9a-f]{12}(\+incompatible)?$/.test(version)) return version;
  const [, major, minor, patch] = m;
  if (major === "0" && minor === "0" && patch === "0") return undefined; // no release before it
  return `v${major}.${minor}.${Math.max(0, Number(patch) - 1)}`;
}

async function requiredPackages(req) {
  const { programDirectory } = programInfo(req);
  let gomod;
  try {
    gomod = await loadGoMod(programDirectory);
  } catch (e) {
    debug(`GetRequiredPackages: ${e.message}`); // not a Go module: nothing required, as in Pulumi's host
    return [];
  }
  let modules;
  try {
    modules = await moduleDirs(gomod.moduleDir, gomod.require.map((r) => r.Path));
  } catch (e) {
    debug(`GetRequiredPackages: ${e.message}`);
    return [];
  }
  const found = [];
  for (const m of modules) {
    let json;
    try {
      json = pulumiPluginJson(m.dir);
    } catch (e) {
      debug(`GetRequiredPackages: ${m.path}: ${e.message}`);
      continue;
    }
    // Only modules that say they are a resource plugin. Pulumi's host also takes a plugin-less
    // github.com/pulumi/pulumi-<name> module for provider <name>, which would make sdk/v3's indirect
    // github.com/pulumi/pulumi-cloud-sdk/go a provider "cloud-sdk" here: left out on purpose.
    if (!json || !json.resource) continue;
    const version = pluginVersion(json.version || m.version);
    if (!version) continue;
    found.push({ name: json.name || "", version, server: json.server || "", parameterization: json.parameterization });
  }
  debug(`GetRequiredPackages: ${found.map((p) => `${p.name}@${p.version}`).join(", ") || "none"}`);
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// The service.
const impl = {
  handshake: unary("Handshake", (req) => {
    if (!req.getEngineAddress()) throw new Error("Must contain address in request");
    engineAddress = req.getEngineAddress();
    watchEngine();
    return new lang.LanguageHandshakeResponse();
  }),

  getPluginInfo: unary("GetPluginInfo", () => {
    const info = new plugin.PluginInfo();
    info.setVersion(HOST_VERSION);
    return info;
  }),

  getRequiredPackages: unary("GetRequiredPackages", async (req) => {
    const res = new lang.GetRequiredPackagesResponse();
    for (const p of await requiredPackages(req)) {
      const dep = new plugin.PackageDependency();
      dep.setName(p.name);
      dep.setKind("resource");
      dep.setVersion(p.version);
      dep.setServer(p.server);
      if (p.parameterization) {
        const param = new plugin.PackageParameterization();
        param.setName(p.parameterization.name || "");
        param.setVersion(p.parameterization.version || "");
        param.setValue(Buffer.from(p.parameterization.value || "", "base64"));
        dep.setParameterization(param);
      }
      res.addPackages(dep);
    }
    return res;
  }),

  run: unary("Run", async (req) => {
    const result = await runProgram(req);
    const res = new lang.RunResponse();
    res.setError(result.error || "");
    res.setBail(Boolean(result.bail));
    return res;
  }),

  installDependencies: (call) => {
    debug(`InstallDependencies ${summarize(call.request)}`);
    const send = (field, text) => {
      const res = new lang.InstallDependenciesResponse();
      res[field](Buffer.from(text, "utf8"));
      call.write(res);
    };
    const go = findExecutable("go");
    if (!go) {
      call.destroy(grpcError(grpc.status.UNKNOWN, "unable to find 'go' executable: no go on PATH"));
      return;
    }
    send("setStdout", "Installing dependencies...\n\n");
    const dir = programInfo(call.request).programDirectory;
    const child = childProcess.spawn(go, ["mod", "tidy", "-compat=1.18"], { cwd: dir, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    child.stdout.on("data", (c) => send("setStdout", c.toString("utf8")));
    child.stderr.on("data", (c) => send("setStderr", c.toString("utf8")));
    child.on("error", (e) => {
      running.delete(child);
      call.destroy(grpcError(grpc.status.UNKNOWN, `\`go mod tidy\` failed to install dependencies: ${e.message}`));
    });
    child.on("close", (code) => {
      running.delete(child);
      if (code !== 0) {
        call.destroy(grpcError(grpc.status.UNKNOWN, `\`go mod tidy\` failed to install dependencies: exit status ${code}`));
        return;
      }
      send("setStdout", "Finished installing dependencies\n\n");
      call.end();
    });
  },

  runtimeOptionsPrompts: unary("RuntimeOptionsPrompts", () => new lang.RuntimeOptionsResponse()),

  about: unary("About", async () => {
    const go = findExecutable("go");
    if (!go) throw new Error("could not find executable 'go'");
    const r = await capture(go, ["version"], { cwd: hostCwd, env: process.env });
    if (r.error || r.code !== 0) throw new Error(`failed to execute '${go} version'`);
    const res = new lang.AboutResponse();
    res.setExecutable(go);
    res.setVersion(r.stdout.trim());
    return res;
  }),

  getProgramDependencies: unary("GetProgramDependencies", async (req) => {
    const gomod = await loadGoMod(programInfo(req).programDirectory);
    // A locally replaced module has no version of its own.
    const replaced = new Set(gomod.replace.map((r) => r.Old.Path.replace(/\/+$/, "")));
    const res = new lang.GetProgramDependenciesResponse();
    for (const r of gomod.require) {
      if (r.Indirect && !req.getTransitivedependencies()) continue;
      const d = new lang.DependencyInfo();
      d.setName(r.Path);
      d.setVersion(replaced.has(r.Path.replace(/\/+$/, "")) ? "" : r.Version);
      res.addDependencies(d);
    }
    return res;
  }),

  cancel: unary("Cancel", () => {
    // The engine asks us to stop gracefully; the program sees its monitor go away. Give it a moment.
    setTimeout(() => killChildren("SIGTERM"), 5000).unref();
    return new empty.Empty();
  }),
};

// ---------------------------------------------------------------------------------------------------------
// Exit when the engine is gone (e.g. `pulumi up` killed with SIGKILL), taking the program with us.
let watching = false;
function watchEngine() {
  if (watching || !engineAddress) return;
  const m = /^(.*):(\d+)$/.exec(engineAddress);
  if (!m) return;
  watching = true;
  const host = m[1].replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(m[2]);
  let failures = 0;
  const timer = setInterval(() => {
    const sock = net.connect({ host, port });
    sock.setTimeout(2000);
    const done = (ok) => {
      sock.destroy();
      failures = ok ? 0 : failures + 1;
      if (failures >= 3) {
        debug(`engine ${engineAddress} is gone; exiting`);
        shutdown(1);
      }
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.once("timeout", () => done(false));
  }, 1000);
  timer.unref();
}

function shutdown(code) {
  killChildren("SIGKILL");
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

function main() {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(services.LanguageRuntimeService, impl);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      process.stderr.write(`pulumi-language-go: could not start gRPC server: ${err.message}\n`);
      process.exit(1);
    }
    debug(`listening on ${port}; argv=${JSON.stringify(process.argv.slice(2))} cwd=${hostCwd}`);
    process.stdout.write(`${port}\n`);
    watchEngine();
  });
  // The engine stops its plugins with SIGINT (after a Cancel call) and kills them a few seconds later.
  process.on("SIGTERM", () => {
    debug("received SIGTERM");
    shutdown(0);
  });
  process.on("SIGINT", () => {
    debug("received SIGINT");
    shutdown(0);
  });
}

main();
