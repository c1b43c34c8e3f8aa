import axios from "axios";
import * as fs from "node:fs";
import * as path from "node:path";
import { startFaultProxy, type FaultProxy } from "../bed/faultProxy";
import { startKeycloak } from "../bed/keycloak";
import { makeProgramDir, PulumiStack, type CommandResult } from "../bed/pulumiHarness";
import { createTestRealm, type TestRealm } from "../bed/realm";
import { isCiphertext, SecretRegistry } from "../support/leaks";

/**
 * A failure after a successful write, through the real engine: the provider's error carries the
 * partial state (ErrorResourceInitFailed), so the engine checkpoints the client and its newest token
 * — as a secret — and the next `up` carries on with it.
 */
const PROGRAM = `"use strict";
const fs = require("fs");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const args = JSON.parse(fs.readFileSync(__dirname + "/client.json", "utf8"));
const client = new KeycloakClient("api", args);
exports.clientId = client.clientId;
`;

/** A secret in `stack export --show-secrets` is `{ <sig>: ..., plaintext: "<JSON>" }`. */
function revealed(value: unknown): string {
  const plaintext = (value as { plaintext?: string } | undefined)?.plaintext;
  return plaintext === undefined ? String(value) : (JSON.parse(plaintext) as string);
}

describe("a failure after a write keeps the client and its newest token in the stack", () => {
  let realm: TestRealm;
  let proxy: FaultProxy;
  let programDir: string;
  let stack: PulumiStack;
  const secrets = new SecretRegistry();
  const transcripts: Array<{ where: string; text: string }> = [];
  const clientId = "partial-e2e";
  const installPath = () => `/realms/${realm.name}/clients-registrations/install/${clientId}`;

  const declare = (args: Record<string, unknown>) =>
    fs.writeFileSync(path.join(programDir, "client.json"), JSON.stringify({ clientId, fetchAdapterConfig: true, serviceAccountsEnabled: true, ...args }));
  const record = (what: string, r: CommandResult) => {
    transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
    return r;
  };
  /** The checkpointed client: its token must be ciphertext in the export and a working token. */
  const checkpointed = async (step: string) => {
    const exported = await stack.exportState();
    transcripts.push({ where: `export after ${step}`, text: exported.raw });
    const resources = (exported.json.deployment.resources ?? []).filter((r: { type: string }) => String(r.type).endsWith(":KeycloakClient"));
    expect(resources).toHaveLength(1);
    expect({ step, rat: isCiphertext(resources[0].outputs.registrationAccessToken) }).toEqual({ step, rat: true });
    const plain = (await stack.exportState({ showSecrets: true })).json.deployment.resources.find((r: { type: string }) => String(r.type).endsWith(":KeycloakClient"));
    const token = revealed(plain.outputs.registrationAccessToken);
    secrets.add(`token after ${step}`, token);
    secrets.add(`client secret after ${step}`, revealed(plain.outputs.clientSecret));
    const res = await axios.get(`${realm.server.url}/realms/${realm.name}/clients-registrations/default/${clientId}`, {
      headers: { Authorization: `Bearer ${token}` },
      validateStatus: () => true,
    });
    expect({ step, status: res.status }).toEqual({ step, status: 200 });
    return token;
  };

  beforeAll(async () => {
    realm = await createTestRealm(await startKeycloak(), `partial-${Math.random().toString(36).slice(2, 8)}`);
    proxy = await startFaultProxy(realm.server.url);
    const iat = await realm.createInitialAccessToken({ count: 3, expiration: 3600 });
    secrets.add("initial access token", iat);
    programDir = makeProgramDir({ prefix: "partial-state", files: { "index.js": PROGRAM } });
    stack = await PulumiStack.create({
      programDir,
      config: {
        "keycloak-registration:serverUrl": proxy.url,
        "keycloak-registration:realm": realm.name,
        "keycloak-registration:initialAccessToken": { value: iat, secret: true },
      },
    });
  });

  afterAll(async () => {
    if (stack) await stack.destroy({ allowFailure: true });
    stack?.remove();
    if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
    await proxy?.close();
    await realm?.remove();
  });

  test("install GET failing after the create, then after an update: each up fails, the stack keeps the client and the newest token, the next up carries on", async () => {
    // 1. The create succeeds, the adapter-config GET after it fails (500: not retried).
    declare({ description: "v0" });
    proxy.addRule({ method: "GET", path: installPath(), fault: { kind: "status", status: 500 }, times: 1 });
    const failedCreate = record("up 1", await stack.up({ allowFailure: true }));
    expect(failedCreate.code).not.toBe(0);
    expect(failedCreate.stdout + failedCreate.stderr).toContain("saved in the stack");
    const afterCreate = await checkpointed("failed create");
    expect((await realm.listClientIds()).filter((c) => c === clientId)).toHaveLength(1);

    // 2. The next up finishes it: the same client, no second registration.
    const posts = proxy.count("POST", `/realms/${realm.name}/clients-registrations/default`);
    record("up 2", await stack.up());
    expect(proxy.count("POST", `/realms/${realm.name}/clients-registrations/default`)).toBe(posts);
    const settled = await checkpointed("second up");
    expect(settled).not.toBe(afterCreate); // the init-failed resource was updated, which rotates the token

    // 3. An update whose install GET fails: Keycloak rotated the token, the stack must hold the new one.
    declare({ description: "v1" });
    proxy.addRule({ method: "GET", path: installPath(), fault: { kind: "status", status: 500 }, times: 1 });
    const failedUpdate = record("up 3", await stack.up({ allowFailure: true }));
    expect(failedUpdate.code).not.toBe(0);
    const rotated = await checkpointed("failed update");
    expect(rotated).not.toBe(settled);
    expect((await realm.getClient(clientId))?.description).toBe("v1");

    // 4. And carries on: converged, then no changes.
    record("up 4", await stack.up());
    await checkpointed("fourth up");
    const preview = record("preview", await stack.preview({ expectNoChanges: true, allowFailure: true }));
    expect(preview.code).toBe(0);

    record("destroy", await stack.destroy());
    expect(await realm.getClient(clientId)).toBeUndefined();
    for (const t of transcripts) expect(secrets.findIn(t.where, t.text)).toEqual([]);
  });
});
