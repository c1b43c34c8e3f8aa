import * as fs from "node:fs";
import * as path from "node:path";
import { startKeycloak } from "../bed/keycloak";
import { startOidcProvider, type OidcProviderServer } from "../bed/oidcProvider";
import { makeProgramDir, PulumiStack, type CommandResult, type ConfigValue } from "../bed/pulumiHarness";
import { createTestRealm, type TestRealm } from "../bed/realm";
import { isCiphertext, SecretRegistry } from "../support/leaks";

/** A program that declares one OidcClient per entry of clients.json, which the test rewrites between runs. */
const PROGRAM = `"use strict";
const fs = require("fs");
const { OidcClient } = require("pulumi-keycloak-registration");
const spec = JSON.parse(fs.readFileSync(__dirname + "/clients.json", "utf8"));
for (const [name, args] of Object.entries(spec)) {
  const client = new OidcClient(name, args);
  exports[name] = { client_id: client.client_id, registration_access_token: client.registration_access_token, client_secret: client.client_secret };
}
`;

/** One registration server under test, seen the way its administrator sees it. */
interface Server {
  /** Stack configuration: where and how to register. */
  config: Record<string, ConfigValue>;
  /** Resource arguments that say where the client lives (none for Keycloak: the stack config says it). */
  location: Record<string, string>;
  clientName(clientId: string): Promise<string | undefined>;
  redirectUris(clientId: string): Promise<string[] | undefined>;
  /** An administrator rewrites the redirect URIs behind Pulumi's back. */
  drift(clientId: string, redirectUris: string[]): Promise<void>;
  exists(clientId: string): Promise<boolean>;
  stop(): Promise<void>;
}

async function keycloakServer(secrets: SecretRegistry): Promise<Server> {
  const realm: TestRealm = await createTestRealm(await startKeycloak(), `e2e-oidc-${Math.random().toString(36).slice(2, 8)}`);
  const iat = await realm.createInitialAccessToken({ count: 5, expiration: 3600 });
  secrets.add("initial access token", iat);
  return {
    config: {
      "keycloak-registration:serverUrl": realm.server.url,
      "keycloak-registration:realm": realm.name,
      "keycloak-registration:initialAccessToken": { value: iat, secret: true },
    },
    location: {},
    clientName: async (id) => (await realm.getClient(id))?.name,
    redirectUris: async (id) => (await realm.getClient(id))?.redirectUris,
    drift: (id, redirectUris) => realm.updateClient(id, { redirectUris }),
    exists: async (id) => (await realm.getClient(id)) !== undefined,
    stop: () => realm.remove(),
  };
}

async function oidcProviderServer(secrets: SecretRegistry): Promise<Server> {
  const op: OidcProviderServer = await startOidcProvider();
  secrets.add("initial access token", op.initialAccessToken);
  return {
    // The stack's credentials are bound to the origin of serverUrl: here the authorization server's.
    config: {
      "keycloak-registration:serverUrl": op.issuer,
      "keycloak-registration:initialAccessToken": { value: op.initialAccessToken, secret: true },
    },
    location: { registrationEndpoint: op.registrationEndpoint },
    clientName: async (id) => op.getClient(id)?.client_name as string | undefined,
    redirectUris: async (id) => op.getClient(id)?.redirect_uris as string[] | undefined,
    drift: async (id, redirectUris) => op.updateClient(id, { redirect_uris: redirectUris }),
    exists: async (id) => op.getClient(id) !== undefined,
    stop: () => op.stop(),
  };
}

describe.each([
  ["Keycloak's openid-connect endpoint", keycloakServer],
  ["oidc-provider", oidcProviderServer],
])("OidcClient through a real `pulumi up` against %s", (_name, startServer) => {
  let server: Server;
  let programDir: string;
  let stack: PulumiStack;
  const secrets = new SecretRegistry();
  const transcripts: Array<{ where: string; text: string }> = [];

  const declare = (spec: Record<string, Record<string, unknown>>) => fs.writeFileSync(path.join(programDir, "clients.json"), JSON.stringify(spec, null, 2));
  const record = (what: string, r: CommandResult) => {
    transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
    return r;
  };
  const outputs = async () => {
    const out = (await stack.outputs({ showSecrets: true })) as Record<string, { client_id: string; registration_access_token: string; client_secret?: string }>;
    for (const [name, o] of Object.entries(out)) {
      secrets.add(`${name} registration access token`, o.registration_access_token);
      secrets.add(`${name} client secret`, o.client_secret);
    }
    return out;
  };
  /** After every step: the token and the secret are ciphertext in the export and no secret value appears anywhere in it. */
  const exportIsClean = async (step: string) => {
    const exported = await stack.exportState();
    transcripts.push({ where: `stack export after ${step}`, text: exported.raw });
    for (const r of exported.json.deployment.resources ?? []) {
      if (!String(r.type).endsWith(":OidcClient")) continue;
      expect({ step, rat: isCiphertext(r.outputs.registration_access_token), secret: isCiphertext(r.outputs.client_secret) }).toEqual({ step, rat: true, secret: true });
    }
    expect(secrets.findIn(`export after ${step}`, exported.raw)).toEqual([]);
    return exported.json;
  };

  beforeAll(async () => {
    server = await startServer(secrets);
    programDir = makeProgramDir({ prefix: "oidc-lifecycle", files: { "index.js": PROGRAM } });
    stack = await PulumiStack.create({ programDir, config: server.config });
  });

  afterAll(async () => {
    await stack?.teardown();
    if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
    await server?.stop();
  });

  test("up, three rotating updates, drift repaired after refresh, destroy — with secrets ciphertext throughout", async () => {
    const web = {
      ...server.location,
      client_name: "v0",
      redirect_uris: ["https://web.example.com/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      scope: "email profile",
    };

    // 1. up registers the client; its id is the client_id the server generated.
    declare({ web });
    record("up #1", await stack.up());
    let out = await outputs();
    const clientId = out.web!.client_id;
    expect(await server.clientName(clientId)).toBe("v0");
    expect(out.web!.client_secret).toEqual(expect.any(String));
    await exportIsClean("up #1");

    // A preview with nothing changed shows nothing to do (server defaults and `none` response types included).
    record("preview (no change)", await stack.preview({ expectNoChanges: true }));

    // 2. three updates, each authenticating with the token the previous one rotated.
    for (const version of ["v1", "v2", "v3"]) {
      const before = out.web!.registration_access_token;
      declare({ web: { ...web, client_name: version } });
      record(`preview ${version}`, await stack.preview());
      expect(await server.clientName(clientId)).not.toBe(version);
      record(`up ${version}`, await stack.up());
      expect(await server.clientName(clientId)).toBe(version);
      out = await outputs();
      expect(out.web!.registration_access_token).not.toBe(before);
      expect(out.web!.client_id).toBe(clientId);
      await exportIsClean(`up ${version}`);
    }

    // 3. an administrator rewrites the redirect URIs; refresh notices, up restores.
    await server.drift(clientId, ["https://elsewhere.example.com/cb"]);
    record("refresh", await stack.refresh());
    const refreshed = await exportIsClean("refresh");
    const state = refreshed.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::web"));
    expect(state.outputs.redirect_uris).toEqual(["https://elsewhere.example.com/cb"]);
    const drift = record("preview after drift", await stack.preview());
    expect(drift.json?.changeSummary).toMatchObject({ update: 1 });
    record("up after drift", await stack.up());
    expect(await server.redirectUris(clientId)).toEqual(["https://web.example.com/cb"]);
    await exportIsClean("up after drift");

    // 4. destroy removes the client from the server and the stack.
    record("destroy", await stack.destroy());
    expect(await server.exists(clientId)).toBe(false);
    expect((await stack.resources()).filter((r) => String(r.type).endsWith(":OidcClient"))).toEqual([]);

    // No token or secret seen in this test appears in anything Pulumi printed or stored.
    expect(secrets.size).toBeGreaterThanOrEqual(6);
    expect(transcripts.flatMap((t) => secrets.findIn(t.where, t.text))).toEqual([]);
  });
});
