import { type CommandResult } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";

/** A program that declares one KeycloakClient per entry of clients.json, which the test rewrites between runs. */
const PROGRAM = `"use strict";
const fs = require("fs");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const spec = JSON.parse(fs.readFileSync(__dirname + "/clients.json", "utf8"));
for (const [name, args] of Object.entries(spec)) {
  const client = new KeycloakClient(name, args);
  exports[name] = { clientId: client.clientId, internalId: client.internalId, registrationAccessToken: client.registrationAccessToken, clientSecret: client.clientSecret };
}
`;

type Spec = Record<string, Record<string, unknown>>;

describe("KeycloakClient through a real `pulumi up`", () => {
  const fx = useStackFixture({ name: "client-lifecycle", program: PROGRAM });
  const { secrets } = fx;

  const declare = (spec: Spec) => fx.declare(spec);
  const record = (what: string, r: CommandResult) => fx.record(what, r);
  const outputs = async () => {
    const out = (await fx.stack.outputs({ showSecrets: true })) as Record<string, { registrationAccessToken: string; clientSecret?: string }>;
    for (const [name, o] of Object.entries(out)) {
      secrets.add(`${name} registration access token`, o.registrationAccessToken);
      secrets.add(`${name} client secret`, o.clientSecret);
    }
    return out;
  };
  /** After every step: secrets are ciphertext in the export and no secret value appears anywhere in it. */
  const exportIsClean = async (step: string) => {
    const exported = await fx.stack.exportState();
    fx.transcripts.push({ where: `stack export after ${step}`, text: exported.raw });
    for (const r of exported.json.deployment.resources ?? []) {
      if (!String(r.type).endsWith(":KeycloakClient")) continue;
      expect({ step, urn: r.urn, rat: isCiphertext(r.outputs.registrationAccessToken) }).toEqual({ step, urn: r.urn, rat: true });
      if (r.outputs.clientSecret !== undefined) expect(isCiphertext(r.outputs.clientSecret)).toBe(true);
    }
    expect(secrets.findIn(`export after ${step}`, exported.raw)).toEqual([]);
    return exported.json;
  };

  test("up, three rotating updates, drift repaired after refresh, destroy — with secrets ciphertext throughout", async () => {
    const web = { clientId: "e2e-web", publicClient: true, redirectUris: ["https://web.example.com/*"], description: "v0" };
    const api = { clientId: "e2e-api", serviceAccountsEnabled: true, standardFlowEnabled: false };

    // 1. up registers both clients.
    declare({ web, api });
    record("up #1", await fx.stack.up());
    expect(await fx.realm.getClient("e2e-web")).toMatchObject({ publicClient: true, redirectUris: ["https://web.example.com/*"], description: "v0" });
    const apiLive = await fx.realm.getClient("e2e-api");
    expect(apiLive).toMatchObject({ serviceAccountsEnabled: true, standardFlowEnabled: false });
    let out = await outputs();
    expect(out.api!.clientSecret).toBe(apiLive?.secret);
    expect(out.web!.clientSecret).toBeUndefined();
    const state = await exportIsClean("up #1");
    const providerBytes = state.deployment.resources
      .filter((r: { type: string }) => r.type.endsWith(":KeycloakClient"))
      .map((r: { inputs: { __provider: string } }) => r.inputs.__provider.length);
    process.stderr.write(`serialized provider: ${providerBytes.join(", ")} bytes per resource\n`);
    expect(Math.max(...providerBytes)).toBeLessThan(4096);

    // A preview with nothing changed shows nothing to do.
    const quiet = record("preview (no change)", await fx.stack.preview({ expectNoChanges: true }));
    expect(quiet.code).toBe(0);

    // 2. three updates, each authenticating with the token the previous one rotated.
    for (const version of ["v1", "v2", "v3"]) {
      const before = out.web!.registrationAccessToken;
      declare({ web: { ...web, description: version }, api });
      // Preview writes nothing.
      record(`preview ${version}`, await fx.stack.preview());
      expect((await fx.realm.getClient("e2e-web"))?.description).not.toBe(version);
      record(`up ${version}`, await fx.stack.up());
      expect((await fx.realm.getClient("e2e-web"))?.description).toBe(version);
      out = await outputs();
      expect(out.web!.registrationAccessToken).not.toBe(before);
      await exportIsClean(`up ${version}`);
    }

    // 3. an admin edits the redirect URIs out of band; refresh notices, up restores.
    await fx.realm.updateClient("e2e-web", { redirectUris: ["https://elsewhere.example.com/*"] });
    record("refresh", await fx.stack.refresh());
    const refreshed = await exportIsClean("refresh");
    const webState = refreshed.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::web"));
    expect(webState.outputs.redirectUris).toEqual(["https://elsewhere.example.com/*"]);
    const drift = record("preview after drift", await fx.stack.preview());
    expect(drift.json?.changeSummary).toMatchObject({ update: 1 });
    record("up after drift", await fx.stack.up());
    expect((await fx.realm.getClient("e2e-web"))?.redirectUris).toEqual(["https://web.example.com/*"]);
    await exportIsClean("up after drift");

    // 4. an admin deletes a client out of band: refresh drops it from the stack, up registers it again.
    await fx.realm.deleteClient("e2e-api");
    record("refresh after deletion", await fx.stack.refresh());
    const afterDeletion = await exportIsClean("refresh after deletion");
    expect(afterDeletion.deployment.resources.some((r: { urn: string }) => r.urn.endsWith("::api"))).toBe(false);
    record("up after deletion", await fx.stack.up());
    expect(await fx.realm.getClient("e2e-api")).toMatchObject({ serviceAccountsEnabled: true, standardFlowEnabled: false });
    out = await outputs();
    await exportIsClean("up after deletion");

    // 5. destroy removes both clients from Keycloak and the stack.
    record("destroy", await fx.stack.destroy());
    expect(await fx.realm.getClient("e2e-web")).toBeUndefined();
    expect(await fx.realm.getClient("e2e-api")).toBeUndefined();
    expect((await fx.stack.resources()).filter((r) => String(r.type).endsWith(":KeycloakClient"))).toEqual([]);

    // No token or secret seen in this test appears in anything Pulumi printed or stored.
    expect(secrets.size).toBeGreaterThanOrEqual(6);
    expect(fx.leaks()).toEqual([]);
  });

  test("credentials are not client state, and a new clientId replaces the client", async () => {
    declare({ svc: { clientId: "e2e-svc-1", description: "a" } });
    record("up svc", await fx.stack.up());
    expect(await fx.realm.getClient("e2e-svc-1")).toBeDefined();

    // A changed (here: unusable) initial access token is no change to the client…
    await fx.stack.setConfig("keycloak-registration:initialAccessToken", "exhausted-or-revoked-token", { secret: true });
    const unchanged = record("preview after credential change", await fx.stack.preview({ expectNoChanges: true }));
    expect(unchanged.code).toBe(0);
    // …and updates keep working with the client's own registration access token.
    declare({ svc: { clientId: "e2e-svc-1", description: "b" } });
    record("up with unusable credentials", await fx.stack.up());
    expect((await fx.realm.getClient("e2e-svc-1"))?.description).toBe("b");

    // A new clientId is a new client: registered (with a fresh token), then the old one deleted.
    const iat = await fx.realm.createInitialAccessToken({ count: 1, expiration: 600 });
    secrets.add("second initial access token", iat);
    await fx.stack.setConfig("keycloak-registration:initialAccessToken", iat, { secret: true });
    declare({ svc: { clientId: "e2e-svc-2", description: "b" } });
    const plan = record("preview replace", await fx.stack.preview());
    expect(plan.json?.changeSummary).toMatchObject({ replace: 1 });
    record("up replace", await fx.stack.up());
    expect(await fx.realm.getClient("e2e-svc-1")).toBeUndefined();
    expect(await fx.realm.getClient("e2e-svc-2")).toMatchObject({ description: "b" });
    await exportIsClean("replace");

    record("destroy svc", await fx.stack.destroy());
    expect(await fx.realm.getClient("e2e-svc-2")).toBeUndefined();
    expect(fx.leaks()).toEqual([]);
  });
});
