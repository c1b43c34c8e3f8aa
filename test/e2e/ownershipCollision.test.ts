/**
 * Two stacks of the same project (team-a, team-b) declare the same clientId, each with a recovery
 * account configured. The provider must refuse B's `up` with the collision named (ClientOwnedElsewhere)
 * and must not mint a token for, read with a token, update or delete A's client: A's token, settings
 * and client survive B's `up` and `destroy`, and A carries on. Both stacks reach Keycloak through a
 * counting front (test/bed/hostileServer.ts), so "no token minted" is counted at the server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash, createHmac } from "node:crypto";
import axios from "axios";
import { CredentialLedger, startKeycloakFront, withoutSecrets, type KeycloakFront } from "../bed/hostileServer";
import { startKeycloak } from "../bed/keycloak";
import { makeProgramDir, PulumiStack, type CommandResult } from "../bed/pulumiHarness";
import { createTestRealm, type TestRealm } from "../bed/realm";
import { SecretRegistry } from "../support/leaks";

const PROGRAM = `"use strict";
const fs = require("fs");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const spec = JSON.parse(fs.readFileSync(__dirname + "/clients.json", "utf8"));
for (const [name, args] of Object.entries(spec)) {
  const client = new KeycloakClient(name, args);
  exports[name] = { clientId: client.clientId, registrationAccessToken: client.registrationAccessToken };
}
`;
const PROJECT = "collision";
const CLIENT_ID = "shared-e2e";
const OWNER_ATTRIBUTE = "pulumi-keycloak-registration.owner";

describe("two stacks declaring the same clientId", () => {
  let realm: TestRealm;
  let front: KeycloakFront;
  const dirs: string[] = [];
  const stacks: PulumiStack[] = [];
  const secrets = new SecretRegistry();
  const transcripts: Array<{ where: string; text: string }> = [];
  const record = (what: string, r: CommandResult) => {
    transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
    return r;
  };

  /** A stack of the project with its own program dir (so each can declare on its own), IAT and recovery account. */
  async function stackOf(name: string): Promise<{ stack: PulumiStack; declare: (spec: Record<string, unknown>) => void; recoverySecret: string }> {
    const programDir = makeProgramDir({ prefix: `collision-${name}`, project: PROJECT, files: { "index.js": PROGRAM } });
    dirs.push(programDir);
    const iat = await realm.createInitialAccessToken({ count: 5, expiration: 3600 });
    const rescue = await realm.createServiceAccount({ roles: ["manage-clients"] });
    secrets.add(`${name} initial access token`, iat);
    secrets.add(`${name} recovery secret`, rescue.clientSecret);
    const stack = await PulumiStack.create({
      programDir,
      stackName: name,
      config: {
        "keycloak-registration:serverUrl": front.url,
        "keycloak-registration:realm": realm.name,
        "keycloak-registration:initialAccessToken": { value: iat, secret: true },
        "keycloak-registration:recoveryClientId": rescue.clientId,
        "keycloak-registration:recoveryClientSecret": { value: rescue.clientSecret, secret: true },
      },
    });
    stacks.push(stack);
    return { stack, declare: (spec) => fs.writeFileSync(path.join(programDir, "clients.json"), JSON.stringify(spec, null, 2)), recoverySecret: rescue.clientSecret };
  }

  async function tokenWorks(token: unknown): Promise<boolean> {
    const res = await axios.get(`${realm.registrationUrl("default")}/${CLIENT_ID}`, { headers: { Authorization: `Bearer ${String(token)}` }, validateStatus: () => true });
    return res.status === 200;
  }

  beforeAll(async () => {
    realm = await createTestRealm(await startKeycloak(), `e2e-collision-${Math.random().toString(36).slice(2, 8)}`);
    front = await startKeycloakFront(realm.server.url, new CredentialLedger(), "Keycloak front");
  });

  afterAll(async () => {
    for (const s of stacks) {
      await s.destroy({ allowFailure: true });
      s.remove();
    }
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    await front?.close();
    await realm?.remove();
  });

  test("B's up fails with the collision named; A's token, settings and client survive B's up and destroy; A can still update and destroy", async () => {
    const a = await stackOf("team-a");
    const b = await stackOf("team-b");
    const declaredA = { clientId: CLIENT_ID, description: "team A", redirectUris: ["https://a.example.com/*"] };
    a.declare({ app: declaredA });
    b.declare({ app: { clientId: CLIENT_ID, description: "team B", redirectUris: ["https://b.example.com/*"] } });

    record("A up", await a.stack.up());
    const aToken = ((await a.stack.outputs({ showSecrets: true })).app as { registrationAccessToken: string }).registrationAccessToken;
    secrets.add("A's registration access token", aToken);
    const before = await realm.getClient(CLIENT_ID);
    expect(withoutSecrets(before)).toMatchObject({ description: "team A", redirectUris: ["https://a.example.com/*"] });
    // Keyed with A's recovery account: no other registrant can compute it.
    expect(before?.attributes?.[OWNER_ATTRIBUTE]).toBe(createHmac("sha256", a.recoverySecret).update(`${PROJECT}/team-a/KeycloakClient/app`).digest("hex"));
    const digest = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex");
    const aState = digest((await a.stack.exportState({ showSecrets: true })).json.deployment.resources);

    // B's up: refused, naming the clientId and the realm; nothing minted, no token used, nothing stored.
    front.clearRequests();
    const bUp = record("B up", await b.stack.up({ allowFailure: true }));
    expect(bUp.code).not.toBe(0);
    const said = bUp.stdout + bUp.stderr;
    expect(said).toContain(`"${CLIENT_ID}"`);
    expect(said).toContain(realm.name);
    expect(said).toMatch(/another stack/);
    expect(front.count("POST", /\/registration-access-token$/)).toBe(0);
    expect(front.count(undefined, `/clients-registrations/default/${CLIENT_ID}`)).toBe(0);
    expect(front.count("POST", `/realms/${realm.name}/clients-registrations/default`)).toBe(1);
    expect((await b.stack.resources()).filter((r) => String(r.type).endsWith(":KeycloakClient"))).toEqual([]);
    expect(withoutSecrets(await realm.getClient(CLIENT_ID))).toEqual(withoutSecrets(before));
    expect(await tokenWorks(aToken)).toBe(true);

    // B's destroy touches nothing of A's.
    front.clearRequests();
    record("B destroy", await b.stack.destroy());
    expect(front.requests).toEqual([]);
    expect(withoutSecrets(await realm.getClient(CLIENT_ID))).toEqual(withoutSecrets(before));
    expect(await tokenWorks(aToken)).toBe(true);
    expect(digest((await a.stack.exportState({ showSecrets: true })).json.deployment.resources)).toBe(aState);

    // A carries on with the token it holds: an update (no recovery needed), then destroy.
    a.declare({ app: { ...declaredA, description: "team A v2" } });
    record("A up v2", await a.stack.up());
    expect(withoutSecrets(await realm.getClient(CLIENT_ID))).toMatchObject({ description: "team A v2", redirectUris: ["https://a.example.com/*"] });
    expect(front.count("POST", /\/registration-access-token$/)).toBe(0);
    const aToken2 = ((await a.stack.outputs({ showSecrets: true })).app as { registrationAccessToken: string }).registrationAccessToken;
    secrets.add("A's rotated registration access token", aToken2);
    record("A destroy", await a.stack.destroy());
    expect(await realm.getClient(CLIENT_ID)).toBeUndefined();

    expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
  });
});
