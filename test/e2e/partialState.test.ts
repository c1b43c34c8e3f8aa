import axios from "axios";
import * as fs from "node:fs";
import * as path from "node:path";
import { startFaultProxy, type FaultProxy } from "../bed/faultProxy";
import type { PulumiStack } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";

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
  // The stack talks to Keycloak through a fault proxy, so its config binds the credentials to the proxy.
  const fx = useStackFixture({ name: "partial", program: PROGRAM, initialAccessToken: { count: 3 }, stack: false });
  let proxy: FaultProxy;
  let stack: PulumiStack;
  const clientId = "partial-e2e";
  const realmPath = () => `/realms/${fx.realm.name}/clients-registrations`;
  const installPath = () => `${realmPath()}/install/${clientId}`;

  const declare = (args: Record<string, unknown>) =>
    fs.writeFileSync(path.join(fx.programDir, "client.json"), JSON.stringify({ clientId, fetchAdapterConfig: true, serviceAccountsEnabled: true, ...args }));
  /** The checkpointed client: its token must be ciphertext in the export and a working token. */
  const checkpointed = async (step: string) => {
    const exported = await stack.exportState();
    fx.transcripts.push({ where: `export after ${step}`, text: exported.raw });
    const resources = (exported.json.deployment.resources ?? []).filter((r: { type: string }) => String(r.type).endsWith(":KeycloakClient"));
    expect(resources).toHaveLength(1);
    expect({ step, rat: isCiphertext(resources[0].outputs.registrationAccessToken) }).toEqual({ step, rat: true });
    const plain = (await stack.exportState({ showSecrets: true })).json.deployment.resources.find((r: { type: string }) => String(r.type).endsWith(":KeycloakClient"));
    const token = revealed(plain.outputs.registrationAccessToken);
    fx.secrets.add(`token after ${step}`, token);
    fx.secrets.add(`client secret after ${step}`, revealed(plain.outputs.clientSecret));
    const res = await axios.get(`${fx.realm.server.url}${realmPath()}/default/${clientId}`, {
      headers: { Authorization: `Bearer ${token}` },
      validateStatus: () => true,
    });
    expect({ step, status: res.status }).toEqual({ step, status: 200 });
    return token;
  };

  beforeAll(async () => {
    proxy = await startFaultProxy(fx.realm.server.url);
    stack = await fx.newStack(
      fx.connection({
        "keycloak-registration:serverUrl": proxy.url,
        "keycloak-registration:initialAccessToken": { value: fx.initialAccessToken!, secret: true },
      }),
    );
  });
  afterAll(async () => proxy?.close());

  test("install GET failing after the create, then after an update: each up fails, the stack keeps the client and the newest token, the next up carries on", async () => {
    // 1. The create succeeds, the adapter-config GET after it fails (500: not retried).
    declare({ description: "v0" });
    proxy.addRule({ method: "GET", path: installPath(), fault: { kind: "status", status: 500 }, times: 1 });
    const failedCreate = fx.record("up 1", await stack.up({ allowFailure: true }));
    expect(failedCreate.code).not.toBe(0);
    expect(failedCreate.stdout + failedCreate.stderr).toContain("saved in the stack");
    const afterCreate = await checkpointed("failed create");
    expect(await fx.ownClientIds()).toEqual([clientId]);

    // 2. The next up finishes it: the same client, no second registration.
    const posts = proxy.count("POST", `${realmPath()}/default`);
    fx.record("up 2", await stack.up());
    expect(proxy.count("POST", `${realmPath()}/default`)).toBe(posts);
    const settled = await checkpointed("second up");
    expect(settled).not.toBe(afterCreate); // the init-failed resource was updated, which rotates the token

    // 3. An update whose install GET fails: Keycloak rotated the token, the stack must hold the new one.
    declare({ description: "v1" });
    proxy.addRule({ method: "GET", path: installPath(), fault: { kind: "status", status: 500 }, times: 1 });
    const failedUpdate = fx.record("up 3", await stack.up({ allowFailure: true }));
    expect(failedUpdate.code).not.toBe(0);
    const rotated = await checkpointed("failed update");
    expect(rotated).not.toBe(settled);
    expect((await fx.realm.getClient(clientId))?.description).toBe("v1");

    // 4. And carries on: converged, then no changes.
    fx.record("up 4", await stack.up());
    await checkpointed("fourth up");
    const preview = fx.record("preview", await stack.preview({ expectNoChanges: true, allowFailure: true }));
    expect(preview.code).toBe(0);

    fx.record("destroy", await stack.destroy());
    expect(await fx.realm.getClient(clientId)).toBeUndefined();
    expect(fx.leaks()).toEqual([]);
  });
});
