import * as grpc from "@grpc/grpc-js";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { KeycloakRegistrationProvider, ResourceProviderService } from "./server";

/**
 * `pulumi-resource-keycloak-registration [flags] <engine address>`: the provider plugin's process.
 * The engine starts it, reads the port of its gRPC server from the first line of stdout and stops it
 * when done; if the engine goes away without stopping it (killed), it exits by itself.
 */

/** schema.json beside the bundle (the plugin tarball) or at the repository root (a build in dist/). */
function readSchema(): string {
  const candidates = [path.join(__dirname, "schema.json"), path.resolve(__dirname, "..", "..", "..", "schema.json"), path.resolve(__dirname, "..", "..", "schema.json")];
  for (const file of candidates) if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
  throw new Error(`schema.json not found next to ${__dirname}`);
}

/** The engine's address: the last argument that is not a Go-style flag (-v=9, --logtostderr, --tracing <url>). */
export function engineAddressOf(argv: string[]): string | undefined {
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("-")) {
      if (/^--?tracing$/.test(a)) i++;
      continue;
    }
    positional.push(a);
  }
  return positional[positional.length - 1];
}

/** Exits once the engine's port has refused three connections in a row (one check a second). */
function watchEngine(address: string): void {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) return;
  const host = m[1]!.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(m[2]);
  let failures = 0;
  const timer = setInterval(() => {
    const sock = net.connect({ host, port });
    sock.setTimeout(2000);
    const done = (ok: boolean) => {
      sock.destroy();
      failures = ok ? 0 : failures + 1;
      if (failures >= 3) process.exit(1);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.once("timeout", () => done(false));
  }, 1000);
  timer.unref();
}

/** The oldest Node.js major the plugin runs on, as package.json's `engines` says for the whole package. */
export const MIN_NODE_MAJOR = 22;

/**
 * Why the plugin will not run on this Node.js, or undefined when it will. The launcher takes `node`
 * from PATH, which on many machines is an older release (Debian 12's is 18): the plugin refuses it at
 * start, naming what to do, rather than run untested on it and fail in the middle of an operation.
 */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const major = Number(version.split(".")[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return (
    `pulumi-resource-keycloak-registration: Node.js ${version} is not supported; it needs Node.js ${MIN_NODE_MAJOR} or newer. ` +
    `Put such a node first on PATH, or set PULUMI_KEYCLOAK_REGISTRATION_NODE to the path of its binary`
  );
}

export function main(argv: string[]): void {
  const refusal = unsupportedNode();
  if (refusal) {
    process.stderr.write(`${refusal}\n`);
    process.exit(1);
  }
  const engineAddress = engineAddressOf(argv);
  const schema = readSchema();
  const version = (JSON.parse(schema) as { version?: string }).version ?? "0.0.0";
  const provider = new KeycloakRegistrationProvider({ schema, version, engineAddress });
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(ResourceProviderService, provider.service());
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      process.stderr.write(`pulumi-resource-keycloak-registration: could not start its gRPC server: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${port}\n`);
    if (engineAddress) watchEngine(engineAddress);
  });
  // The engine stops plugins with SIGINT/SIGTERM once it no longer needs them.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.tryShutdown(() => process.exit(0)));
}

if (require.main === module) main(process.argv.slice(2));
