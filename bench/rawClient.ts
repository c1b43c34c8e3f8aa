/**
 * The raw floor, run by bench/run.ts as a process of its own (as the provider is): N registrations
 * as plain HTTP requests to the `default` registration endpoint, `concurrency` at a time over
 * keep-alive connections, then N updates and N deletes with each client's registration access token.
 * Prints one JSON line: {create, update, delete} in seconds. Nothing else is printed, no token ever.
 *
 * Environment: RAW_URL (registration endpoint, through the counting proxy), RAW_TOKEN (initial access
 * token), RAW_CLIENTS, RAW_CONCURRENCY, RAW_PREFIX (clientId prefix).
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import axios from "axios";

async function main(): Promise<void> {
  const url = process.env.RAW_URL!;
  const iat = process.env.RAW_TOKEN!;
  const n = Number(process.env.RAW_CLIENTS);
  const concurrency = Number(process.env.RAW_CONCURRENCY);
  const prefix = process.env.RAW_PREFIX ?? "raw";
  const client = axios.create({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: concurrency }),
    proxy: false,
  });
  const tokens = new Map<number, string>();
  const pool = async (fn: (i: number) => Promise<void>): Promise<number> => {
    const queue = Array.from({ length: n }, (_, i) => i);
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: Math.min(concurrency, n) }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) await fn(i);
      }),
    );
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
  // The same bodies as the provider sends for the benchmark's program: every declared field, each
  // time, and on create the ownership marker attribute (a SHA-256 in hex, provider/dynamic/ownership.ts).
  const body = (i: number, description: string) => ({ clientId: `${prefix}-${i}`, description, redirectUris: [`https://app${i}.example.com/*`], publicClient: i % 2 === 0 });
  const marker = (i: number) => ({ "pulumi-keycloak-registration.owner": createHash("sha256").update(`bench/raw/KeycloakClient/${prefix}-${i}`).digest("hex") });
  const create = await pool(async (i) => {
    const res = await client.post(url, { ...body(i, "v1"), attributes: marker(i) }, auth(iat));
    tokens.set(i, res.data.registrationAccessToken);
  });
  const update = await pool(async (i) => {
    const res = await client.put(`${url}/${prefix}-${i}`, body(i, "v2"), auth(tokens.get(i)!));
    tokens.set(i, res.data.registrationAccessToken);
  });
  const del = await pool(async (i) => {
    await client.delete(`${url}/${prefix}-${i}`, auth(tokens.get(i)!));
  });
  process.stdout.write(`${JSON.stringify({ create, update, delete: del })}\n`);
}

main().catch((e: unknown) => {
  const status = axios.isAxiosError(e) ? ` (HTTP ${e.response?.status ?? "no answer"})` : "";
  process.stderr.write(`raw client failed${status}: ${(e instanceof Error ? e.message : String(e)).replace(/eyJ[\w.-]+/g, "[token]")}\n`);
  process.exit(1);
});
