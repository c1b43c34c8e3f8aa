#!/usr/bin/env node
// Launcher for the dynamic-provider plugin ("pulumi-resource-pulumi-nodejs") of this project's test bed.
// The engine starts it as `pulumi-resource-pulumi-nodejs [flags...] <engine-address>` with the program's
// directory as working directory. We load @pulumi/pulumi/cmd/dynamic-provider as resolved from there
// (so the provider code runs against the same @pulumi/pulumi the program uses), in this process.
//
// One addition over a plain `node .../cmd/dynamic-provider`: a watchdog that exits when the engine's
// address stops accepting connections, so a `pulumi up` killed with SIGKILL leaves no provider behind.
"use strict";

const fs = require("node:fs");
const net = require("node:net");

const logFile = process.env.KCREG_LANGHOST_LOG;
function debug(msg) {
  if (!logFile) return;
  try {
    fs.appendFileSync(logFile, `${new Date().toISOString()} [dynprov ${process.pid}] ${msg}\n`);
  } catch {
    /* ignore */
  }
}
debug(`argv=${JSON.stringify(process.argv.slice(2))} cwd=${process.cwd()}`);

const engineAddress = process.argv.slice(2).find((a) => /^[^-].*:\d+$/.test(a));

let entry;
try {
  entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] });
} catch (e) {
  process.stderr.write(
    `pulumi-resource-pulumi-nodejs (kcreg test bed): cannot resolve @pulumi/pulumi/cmd/dynamic-provider ` +
      `from ${process.cwd()}: ${e.message}\n`,
  );
  process.exit(1);
}

if (engineAddress) {
  const m = /^(.*):(\d+)$/.exec(engineAddress);
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
        process.exit(1);
      }
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.once("timeout", () => done(false));
  }, 1000);
  timer.unref();
}

// cmd/dynamic-provider reads process.argv itself and prints the port of its gRPC server.
require(entry);
