/**
 * Benchmark: N clients through `pulumi up` (speed, requests per client, state size), against the
 * same work done with the raw registration API (axios) and with Keycloak's own `kcreg.sh`.
 *
 *   npm run bench -- --clients 100 [--kcreg 20]
 *
 * Uses the test bed: the local Keycloak (or KEYCLOAK_URL), a realm of its own, the Pulumi engine,
 * and the counting proxy between the provider and Keycloak. Prints a table and writes the figures to
 * `.bench/<timestamp>.json`. Wall times on a shared 2-core machine are noisy; request counts and
 * bytes are exact.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import axios from "axios";
import { startFaultProxy, type FaultProxy } from "../test/bed/faultProxy";
import { ensureKeycloakDist, pickJdk, startKeycloak } from "../test/bed/keycloak";
import { makeProgramDir, PulumiStack, REPO_ROOT } from "../test/bed/pulumiHarness";
import { createTestRealm, type TestRealm } from "../test/bed/realm";
import { linkPackageInto } from "../test/bed/selfLink";
import { render, type Results, type Row } from "./report";

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const config = new pulumi.Config("bench");
const count = Number(config.require("count"));
const description = config.require("description");
for (let i = 0; i < count; i++) {
  new KeycloakClient("c" + i, { clientId: "bench-" + i, description, redirectUris: ["https://app" + i + ".example.com/*"], publicClient: i % 2 === 0 });
}
`;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}


const rows: Row[] = [];
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function byMethod(proxy: FaultProxy): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of proxy.requests) {
    const key = `${r.method} ${r.path.includes("/protocol/openid-connect/auth") ? "existence probe" : r.path.includes("/admin/") ? "admin" : r.path.includes("/protocol/openid-connect/token") ? "token" : "registration"}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

async function pulumiRun(realm: TestRealm, proxy: FaultProxy, n: number): Promise<Record<string, number>> {
  linkPackageInto(path.join(REPO_ROOT, "test", ".tmp"));
  const programDir = makeProgramDir({ prefix: "bench", files: { "index.js": PROGRAM } });
  const iat = await realm.createInitialAccessToken({ count: n + 5, expiration: 7200 });
  const stack = await PulumiStack.create({
    programDir,
    config: {
      "keycloak-registration:serverUrl": proxy.url,
      "keycloak-registration:realm": realm.name,
      "keycloak-registration:initialAccessToken": { value: iat, secret: true },
      "bench:count": String(n),
      "bench:description": "v1",
    },
  });
  const sizes: Record<string, number> = {};
  try {
    const step = async (name: string, fn: () => Promise<unknown>) => {
      proxy.clearRequests();
      const { seconds } = await timed(fn);
      rows.push({ tool: "pulumi", step: name, clients: n, seconds, requests: byMethod(proxy) });
      log(`pulumi ${name}: ${seconds.toFixed(1)} s, ${proxy.requests.length} requests`);
    };
    await step("up (create)", () => stack.up());
    await step("preview, no change", () => stack.preview({ expectNoChanges: true }));
    await step("up, no change", () => stack.up({ args: ["--expect-no-changes"] }));
    await stack.setConfig("bench:description", "v2");
    await step("up (update all)", () => stack.up());
    await step("refresh", () => stack.refresh());
    const exported = await stack.exportState();
    const clients = exported.json.deployment.resources.filter((r: { type: string }) => r.type.endsWith(":KeycloakClient"));
    const providerBytes = clients.reduce((sum: number, r: { inputs: { __provider: string } }) => sum + r.inputs.__provider.length, 0);
    sizes.stateBytes = exported.raw.length;
    sizes.stateBytesPerClient = Math.round(exported.raw.length / n);
    sizes.providerBytesPerClient = Math.round(providerBytes / clients.length);
    sizes.providerShareOfState = Math.round((providerBytes / exported.raw.length) * 100);
    await step("destroy", () => stack.destroy());
  } finally {
    await stack.destroy({ allowFailure: true });
    stack.remove();
    fs.rmSync(programDir, { recursive: true, force: true });
  }
  return sizes;
}

async function rawApiRun(realm: TestRealm, n: number, concurrency: number): Promise<void> {
  const iat = await realm.createInitialAccessToken({ count: n + 5, expiration: 7200 });
  const url = realm.registrationUrl("default");
  const tokens = new Map<string, string>();
  const pool = async (items: number[], fn: (i: number) => Promise<void>) => {
    const queue = [...items];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await fn(i);
    }));
  };
  const ids = Array.from({ length: n }, (_, i) => i);
  const label = `raw API (${concurrency} at a time)`;
  let t = await timed(() => pool(ids, async (i) => {
    const res = await axios.post(url, { clientId: `raw-${concurrency}-${i}`, description: "v1", redirectUris: [`https://app${i}.example.com/*`], publicClient: i % 2 === 0 }, { headers: { Authorization: `Bearer ${iat}` } });
    tokens.set(`raw-${concurrency}-${i}`, res.data.registrationAccessToken);
  }));
  rows.push({ tool: label, step: "create", clients: n, seconds: t.seconds, requests: { "POST registration": n } });
  t = await timed(() => pool(ids, async (i) => {
    const id = `raw-${concurrency}-${i}`;
    const res = await axios.put(`${url}/${id}`, { clientId: id, description: "v2" }, { headers: { Authorization: `Bearer ${tokens.get(id)}` } });
    tokens.set(id, res.data.registrationAccessToken);
  }));
  rows.push({ tool: label, step: "update all", clients: n, seconds: t.seconds, requests: { "PUT registration": n } });
  t = await timed(() => pool(ids, async (i) => {
    const id = `raw-${concurrency}-${i}`;
    await axios.delete(`${url}/${id}`, { headers: { Authorization: `Bearer ${tokens.get(id)}` } });
  }));
  rows.push({ tool: label, step: "delete", clients: n, seconds: t.seconds, requests: { "DELETE registration": n } });
  log(`${label}: done`);
}

async function kcregRun(realm: TestRealm, version: string, m: number): Promise<void> {
  if (m <= 0) return;
  const dist = await ensureKeycloakDist(version);
  const jdk = pickJdk(version);
  const kcreg = path.join(dist, "bin", "kcreg.sh");
  const configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kcreg-bench-")), "kcreg.config");
  const iat = await realm.createInitialAccessToken({ count: m + 5, expiration: 7200 });
  const env = { ...process.env, JAVA_HOME: jdk.home, PATH: `${jdk.home}/bin:${process.env.PATH}` };
  const run = (args: string[]) => {
    const [command, ...rest] = args;
    const r = spawnSync(kcreg, [command!, "--config", configFile, ...rest], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`kcreg ${args[0]} failed: ${r.stderr.replace(/eyJ[\w.-]+/g, "[token]").slice(0, 300)}`);
    return r.stdout;
  };
  const common = ["--server", realm.server.url, "--realm", realm.name];
  let t = await timed(async () => {
    for (let i = 0; i < m; i++) run(["create", ...common, "-t", iat, "-s", `clientId=kcreg-${i}`, "-s", "description=v1", "-s", `redirectUris=["https://app${i}.example.com/*"]`]);
  });
  rows.push({ tool: "kcreg.sh", step: "create", clients: m, seconds: t.seconds, note: "one JVM per command; keeps each registration access token in its config file, in plaintext" });
  t = await timed(async () => {
    for (let i = 0; i < m; i++) run(["update", `kcreg-${i}`, ...common, "-s", "description=v2"]);
  });
  rows.push({ tool: "kcreg.sh", step: "update all", clients: m, seconds: t.seconds });
  t = await timed(async () => {
    for (let i = 0; i < m; i++) run(["delete", `kcreg-${i}`, ...common]);
  });
  rows.push({ tool: "kcreg.sh", step: "delete", clients: m, seconds: t.seconds });
  fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
  log("kcreg: done");
}

async function main(): Promise<void> {
  const n = arg("clients", 100);
  const m = arg("kcreg", Math.min(n, 20));
  const server = await startKeycloak({ log });
  const realm = await createTestRealm(server, `bench-${Date.now().toString(36)}`);
  const proxy = await startFaultProxy(server.url);
  let sizes: Record<string, number> = {};
  try {
    sizes = await pulumiRun(realm, proxy, n);
    await rawApiRun(realm, n, 1);
    await rawApiRun(realm, n, 8);
    await kcregRun(realm, server.version, m);
  } finally {
    await proxy.close();
    await realm.remove();
    await server.stop();
  }

  const results: Results = { clients: n, kcregClients: m, keycloak: server.version, rows, sizes };
  const report = render(results);
  process.stdout.write(report);
  fs.mkdirSync(path.join(REPO_ROOT, ".bench"), { recursive: true });
  const file = path.join(REPO_ROOT, ".bench", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  fs.writeFileSync(path.join(REPO_ROOT, "BENCHMARKS.md"), report);
  log(`figures written to ${path.relative(REPO_ROOT, file)} and BENCHMARKS.md`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
