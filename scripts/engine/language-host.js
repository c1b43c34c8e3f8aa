#!/usr/bin/env node
// A small Node.js language host ("pulumi-language-nodejs") for the Pulumi engine, written for this
// project's test bed. The engine launches it as
//
//     pulumi-language-nodejs [-flag=value ...] <engine-address>
//
// with the program's directory as the working directory, reads the port of our gRPC server from the
// first line of stdout, then calls the pulumirpc.LanguageRuntime service. `Run` spawns
// `node <@pulumi/pulumi/cmd/run> --monitor ... <entry point>`, resolved from the program's directory, with the
// stack's config in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS. The child's stdout/stderr are our
// stdout/stderr, which the engine shows as the program's output.
//
// Self-contained on purpose: it is copied into the engine cache's bin dir, outside any checkout, and
// loads @grpc/grpc-js and the generated stubs from the @pulumi/pulumi that the program itself uses.
//
// TypeScript as with Pulumi's own host: on unless the project's `runtime.options.typescript` is false
// (or the host is started with -typescript=false); then PULUMI_NODEJS_TYPESCRIPT=true tells
// @pulumi/pulumi/cmd/run to register ts-node itself (the program's typescript and ts-node, else the
// SDK's vendored ones), with `tsconfig` as PULUMI_NODEJS_TSCONFIG_PATH.
//
// GenerateProgram (what `pulumi import` asks for: PCL in, the TypeScript declaration out) runs Pulumi's
// own Node.js program generator, pkg/v3/codegen/nodejs, through `kcreg-gen-program` beside this file
// (scripts/progen; linked here by test/bed/programCodegen.ts, which `npm run engine` calls).
//
// Not implemented (the engine does not need them for up/preview/refresh/destroy/import):
// RunPlugin, Template, GenerateProject, GeneratePackage, Pack, Link. grpc-js answers UNIMPLEMENTED for those.
//
// Debugging: set KCREG_LANGHOST_LOG=<file> to append one line per RPC and per spawned program.
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

const EXIT_CODE_BAIL = 32; // @pulumi/pulumi/cmd/run: "already showed the user an actionable message"

// ---------------------------------------------------------------------------------------------------------
// argv: Go-style flags (-name=value, -name value, --name=value), then the engine address.
const VALUE_FLAGS = new Set(["tracing", "root", "tsconfig", "nodeargs", "packagemanager", "logflow", "v"]);
const BOOL_FLAGS = new Set(["typescript", "logtostderr"]);

function parseArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(a);
    if (!m) {
      positional.push(a);
      continue;
    }
    const [, name, value] = m;
    if (value !== undefined) flags[name] = value;
    else if (BOOL_FLAGS.has(name)) flags[name] = "true";
    else if (VALUE_FLAGS.has(name) && i + 1 < argv.length) flags[name] = argv[++i];
    else flags[name] = "true";
  }
  return { flags, positional };
}

const { flags, positional } = parseArgs(process.argv.slice(2));
let engineAddress = positional[0] || "";

// ---------------------------------------------------------------------------------------------------------
const logFile = process.env.KCREG_LANGHOST_LOG;
function debug(msg) {
  if (!logFile) return;
  try {
    fs.appendFileSync(logFile, `${new Date().toISOString()} [langhost ${process.pid}] ${msg}\n`);
  } catch {
    /* ignore */
  }
}

// ---------------------------------------------------------------------------------------------------------
// Locate @pulumi/pulumi (for the gRPC stubs and grpc-js) from the program directory first.
function resolveFrom(request, dirs) {
  const errors = [];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      return require.resolve(request, { paths: [dir] });
    } catch (e) {
      errors.push(`${dir}: ${e.code || e.message}`);
    }
  }
  const err = new Error(`cannot resolve ${request} from ${errors.join("; ")}`);
  err.code = "MODULE_NOT_FOUND";
  throw err;
}

function loadRpc() {
  const dirs = [process.cwd(), flags.root, __dirname];
  const pulumiPkg = path.dirname(resolveFrom("@pulumi/pulumi/package.json", dirs));
  const grpcPath = resolveFrom("@grpc/grpc-js", [pulumiPkg]);
  return {
    pulumiPkg,
    grpc: require(grpcPath),
    services: require(path.join(pulumiPkg, "proto", "language_grpc_pb.js")),
    lang: require(path.join(pulumiPkg, "proto", "language_pb.js")),
    plugin: require(path.join(pulumiPkg, "proto", "plugin_pb.js")),
    empty: require(resolveFrom("google-protobuf/google/protobuf/empty_pb.js", [pulumiPkg])),
    hcl: require(path.join(pulumiPkg, "proto", "codegen", "hcl_pb.js")),
  };
}

let rpc;
try {
  rpc = loadRpc();
} catch (e) {
  process.stderr.write(
    `pulumi-language-nodejs (kcreg test bed): ${e.message}\n` +
      `It looks like the Pulumi SDK is not installed for the program in ${process.cwd()}: run npm install.\n`,
  );
  process.exit(1);
}
const { grpc, services, lang, plugin, empty, hcl } = rpc;
// Reported by GetPluginInfo: the version of the SDK whose runner we start.
const HOST_VERSION = JSON.parse(fs.readFileSync(path.join(rpc.pulumiPkg, "package.json"), "utf8")).version;

// ---------------------------------------------------------------------------------------------------------
// Helpers.
function programInfo(req) {
  const info = typeof req.getInfo === "function" ? req.getInfo() : undefined;
  const options = info && info.hasOptions() ? info.getOptions().toJavaScript() : {};
  const programDirectory = (info && info.getProgramDirectory()) || (req.getPwd && req.getPwd()) || process.cwd();
  const rootDirectory = (info && info.getRootDirectory()) || programDirectory;
  const entryPoint = (info && info.getEntryPoint()) || (req.getProgram && req.getProgram()) || ".";
  return { programDirectory, rootDirectory, entryPoint, options: options || {} };
}

/** "proj:key" -> "proj:config:key" (what @pulumi/pulumi's runtime expects in PULUMI_CONFIG). */
function oldStyleConfigKey(key) {
  if (/^[^:]+:config:/.test(key)) return key;
  const i = key.indexOf(":");
  if (i < 0) throw new Error(`config key ${JSON.stringify(key)} is not of the form <namespace>:<name>`);
  return `${key.slice(0, i)}:config:${key.slice(i + 1)}`;
}

function splitArgs(s) {
  if (!s) return [];
  const out = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m;
  while ((m = re.exec(s))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2] !== undefined ? m[2] : m[3]);
  return out;
}

function grpcError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/** Wrap a unary handler: log, turn thrown errors into gRPC errors. */
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

function summarize(req) {
  try {
    const o = req && typeof req.toObject === "function" ? req.toObject() : {};
    if (o.configMap) o.configMap = o.configMap.map(([k]) => k); // never log config values
    return JSON.stringify(o);
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Running programs.
const running = new Set();

function runProgram(req) {
  const { programDirectory, rootDirectory, entryPoint, options } = programInfo(req);

  let runPath;
  try {
    runPath = resolveFrom(process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run", [programDirectory]);
  } catch {
    return { error: `It looks like the Pulumi SDK has not been installed for ${programDirectory}. Have you run npm install?` };
  }

  const config = {};
  req.getConfigMap().forEach((value, key) => {
    config[oldStyleConfigKey(key)] = value;
  });
  const secretKeys = req.getConfigsecretkeysList() || [];

  const args = [runPath];
  const add = (k, v) => {
    if (v !== undefined && v !== null && v !== "") args.push(`--${k}`, String(v));
  };
  add("monitor", req.getMonitorAddress());
  add("engine", engineAddress);
  add("organization", req.getOrganization());
  add("project", req.getProject());
  add("root-directory", rootDirectory);
  add("stack", req.getStack());
  add("pwd", programDirectory);
  if (req.getDryrun()) args.push("--dry-run");
  add("query-mode", String(req.getQuerymode()));
  add("parallel", String(req.getParallel()));
  add("tracing", flags.tracing);
  args.push(entryPoint);
  args.push(...req.getArgsList());

  if (options.typescript !== undefined && typeof options.typescript !== "boolean") {
    return { error: "typescript option must be a boolean" };
  }
  const typescript = typeof options.typescript === "boolean" ? options.typescript : flags.typescript !== "false";
  const env = { ...process.env, PULUMI_CONFIG: JSON.stringify(config), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys) };
  if (typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  else delete env.PULUMI_NODEJS_TYPESCRIPT;
  const tsconfig = typeof options.tsconfig === "string" && options.tsconfig ? options.tsconfig : flags.tsconfig;
  if (tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = tsconfig;

  const nodeArgs = [...splitArgs(typeof options.nodeargs === "string" ? options.nodeargs : ""), ...args];
  debug(`spawn ${process.execPath} ${nodeArgs.join(" ")} (cwd ${programDirectory})`);

  return new Promise((resolve) => {
    let child;
    try {
      child = childProcess.spawn(process.execPath, nodeArgs, {
        cwd: programDirectory,
        env,
        // The child writes straight into the pipes the engine reads from us.
        stdio: ["ignore", "inherit", "inherit"],
      });
    } catch (e) {
      resolve({ error: `Problem executing program (could not run language executor): ${e.message}` });
      return;
    }
    running.add(child);
    child.on("error", (e) => {
      running.delete(child);
      resolve({ error: `Problem executing program (could not run language executor): ${e.message}` });
    });
    child.on("exit", (code, signal) => {
      running.delete(child);
      debug(`program exited code=${code} signal=${signal}`);
      if (code === 0) resolve({ error: "" });
      else if (code === EXIT_CODE_BAIL) resolve({ error: "", bail: true });
      else if (signal) resolve({ error: `Program exited unexpectedly: killed by ${signal}` });
      else resolve({ error: `Program exited with non-zero exit code: ${code}` });
    });
  });
}

function killChildren(signal) {
  for (const child of running) {
    try {
      child.kill(signal);
    } catch {
      /* ignore */
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Program dependencies: direct dependencies from the nearest package.json, versions from node_modules.
function findUp(dir, name) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
    if (path.dirname(d) === d) return undefined;
  }
}

function programDependencies(programDirectory) {
  const pj = findUp(programDirectory, "package.json");
  if (!pj) return [];
  const data = JSON.parse(fs.readFileSync(pj, "utf8"));
  const names = Object.keys({ ...(data.dependencies || {}), ...(data.devDependencies || {}) }).sort();
  const out = [];
  for (const name of names) {
    let version = "";
    try {
      version = JSON.parse(fs.readFileSync(resolveFrom(`${name}/package.json`, [path.dirname(pj)]), "utf8")).version || "";
    } catch {
      version = (data.dependencies || {})[name] || (data.devDependencies || {})[name] || "";
    }
    out.push({ name, version });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The service.
const impl = {
  handshake: unary("Handshake", (req) => {
    if (req.getEngineAddress()) {
      engineAddress = req.getEngineAddress();
      watchEngine();
    }
    return new lang.LanguageHandshakeResponse();
  }),

  getPluginInfo: unary("GetPluginInfo", () => {
    const info = new plugin.PluginInfo();
    info.setVersion(HOST_VERSION);
    return info;
  }),

  // Our programs use only dynamic providers (plugin "pulumi-nodejs", found on PATH): nothing to install.
  getRequiredPlugins: unary("GetRequiredPlugins", () => new lang.GetRequiredPluginsResponse()),
  getRequiredPackages: unary("GetRequiredPackages", () => new lang.GetRequiredPackagesResponse()),

  run: unary("Run", async (req) => {
    const result = await runProgram(req);
    const res = new lang.RunResponse();
    res.setError(result.error || "");
    res.setBail(Boolean(result.bail));
    return res;
  }),

  generateProgram: unary("GenerateProgram", async (req) => {
    const generator = path.join(__dirname, "kcreg-gen-program");
    if (!fs.existsSync(generator)) {
      throw grpcError(
        grpc.status.UNIMPLEMENTED,
        "the test bed's Node.js language host generates code with Pulumi's Node.js program generator, which is not built beside it: " +
          "run `npm run engine` in a pulumi-keycloak-registration checkout (it builds it), or pass --generate-code=false",
      );
    }
    const source = {};
    for (const [name, text] of req.getSourceMap().toArray()) source[name] = text;
    const args = [req.getLoaderTarget(), ...(req.getStrict() ? ["strict"] : [])];
    const out = await new Promise((resolve, reject) => {
      const child = childProcess.spawn(generator, args, { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kcreg-gen-program exited ${code}: ${stderr.trim()}`))));
      child.stdin.end(JSON.stringify(source));
    });
    const result = JSON.parse(out);
    const res = new lang.GenerateProgramResponse();
    for (const [name, base64] of Object.entries(result.files || {})) res.getSourceMap().set(name, Buffer.from(base64, "base64"));
    for (const d of result.diagnostics || []) {
      const diagnostic = new hcl.Diagnostic();
      diagnostic.setSeverity(d.severity === "error" ? hcl.DiagnosticSeverity.DIAG_ERROR : hcl.DiagnosticSeverity.DIAG_WARNING);
      diagnostic.setSummary(d.summary || "");
      diagnostic.setDetail(d.detail || "");
      res.addDiagnostics(diagnostic);
    }
    return res;
  }),

  // Dependencies are installed by the repository's own npm install.
  installDependencies: (call) => {
    debug(`InstallDependencies ${summarize(call.request)}`);
    call.end();
  },

  runtimeOptionsPrompts: unary("RuntimeOptionsPrompts", () => new lang.RuntimeOptionsResponse()),

  about: unary("About", () => {
    const res = new lang.AboutResponse();
    res.setExecutable(process.execPath);
    res.setVersion(process.version);
    return res;
  }),

  getProgramDependencies: unary("GetProgramDependencies", (req) => {
    const res = new lang.GetProgramDependenciesResponse();
    for (const { name, version } of programDependencies(programInfo(req).programDirectory)) {
      const d = new lang.DependencyInfo();
      d.setName(name);
      d.setVersion(version);
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
        killChildren("SIGKILL");
        process.exit(1);
      }
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.once("timeout", () => done(false));
  }, 1000);
  timer.unref();
}

function main() {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(services.LanguageRuntimeService, impl);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      process.stderr.write(`pulumi-language-nodejs: could not start gRPC server: ${err.message}\n`);
      process.exit(1);
    }
    debug(`listening on ${port}; argv=${JSON.stringify(process.argv.slice(2))} cwd=${process.cwd()}`);
    process.stdout.write(`${port}\n`);
    watchEngine();
  });
  const stop = (sig) => {
    debug(`received ${sig}`);
    killChildren("SIGKILL");
    process.exit(0);
  };
  // The engine stops its plugins with SIGINT (after a Cancel call) and waits several seconds before it
  // kills them: exit at once, as Pulumi's own host does.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main();
