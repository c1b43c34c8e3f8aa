/**
 * Smoke test of the Keycloak half of the test bed: a server (started here, or KEYCLOAK_URL), a
 * realm, initial access tokens, registration over plain HTTP, registration policies, RAT rotation
 * on/off, service accounts, and the admin helpers.
 *
 * Tokens never reach the test output: HTTP is done with validateStatus: () => true (an AxiosError
 * would carry the Authorization header), failures report only status + OAuth error fields, and
 * token comparisons assert on booleans.
 */
import axios from "axios";
import { startKeycloak, type KeycloakServer } from "../bed/keycloak";
import { createTestRealm, DEFAULT_ALLOWED_PROTOCOL_MAPPER_TYPES, defaultRegistrationPolicies, oauthError, POLICY, type TestRealm } from "../bed/realm";

jest.setTimeout(120_000);

let server: KeycloakServer | undefined;
let realm: TestRealm;

beforeAll(async () => {
  server = await startKeycloak();
  realm = await createTestRealm(server);
}, 300_000);

afterAll(async () => {
  await realm?.remove().catch(() => undefined);
  await server?.stop();
}, 60_000);

interface Res {
  status: number;
  data: Record<string, unknown>;
}

async function call(method: "GET" | "POST" | "PUT" | "DELETE", url: string, token?: string, body?: unknown): Promise<Res> {
  try {
    const res = await axios.request({
      method,
      url,
      data: body,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
      validateStatus: () => true,
      timeout: 30_000,
    });
    return { status: res.status, data: (res.data ?? {}) as Record<string, unknown> };
  } catch (e) {
    throw new Error(`${method} ${url}: ${(e as { code?: string }).code ?? "request failed"}`); // never the AxiosError itself
  }
}

function expectStatus(res: Res, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${oauthError(res.data)}`);
}

function rat(res: Res): string {
  const token = res.data.registrationAccessToken;
  if (typeof token !== "string" || token.length === 0) throw new Error("response has no registrationAccessToken");
  return token;
}

const defaultUrl = (clientId?: string): string => (clientId ? `${realm.registrationUrl("default")}/${encodeURIComponent(clientId)}` : realm.registrationUrl("default"));

test("an initial access token with count 1 registers one client; the RAT reads and deletes it", async () => {
  const iat = await realm.createInitialAccessToken({ count: 1, expiration: 600 });

  const created = await call("POST", defaultUrl(), iat, { clientId: "smoke-a", redirectUris: ["http://127.0.0.1:1/cb"] });
  expectStatus(created, 201, "create with IAT");
  expect(created.data.clientId).toBe("smoke-a");
  const ratA = rat(created);
  const admin = await realm.getClient("smoke-a"); // not printed whole: it holds the client secret
  expect(admin?.clientId).toBe("smoke-a");
  expect(admin?.redirectUris).toEqual(["http://127.0.0.1:1/cb"]);
  expect(await realm.listClientIds()).toContain("smoke-a");

  const again = await call("POST", defaultUrl(), iat, { clientId: "smoke-b" });
  expect(again.status).toBe(401);
  expect(again.data.error_description).toMatch(/No remaining count/);
  expect(await realm.getClient("smoke-b")).toBeUndefined();

  expectStatus(await call("GET", defaultUrl("smoke-a"), ratA), 200, "GET with RAT");
  expectStatus(await call("DELETE", defaultUrl("smoke-a"), ratA), 204, "DELETE with RAT");
  expect(await realm.getClient("smoke-a")).toBeUndefined();
});

test("a new realm has Keycloak's default registration policies; a policy can be added and removed", async () => {
  const policies = await realm.listRegistrationPolicies();
  const summary = (sub: string) =>
    policies
      .filter((p) => p.subType === sub)
      .map((p) => `${p.providerId}|${p.name}`)
      .sort();
  const expected = defaultRegistrationPolicies(server!.version);
  for (const sub of ["anonymous", "authenticated"] as const) {
    expect(summary(sub)).toEqual(expected[sub].map((p) => `${p.providerId}|${p.name}`).sort());
  }
  const trusted = policies.find((p) => p.subType === "anonymous" && p.providerId === POLICY.trustedHosts.providerId);
  expect(trusted?.config[POLICY.trustedHosts.hostSendingRegistrationRequestMustMatch]).toEqual(["true"]);
  expect(trusted?.config[POLICY.trustedHosts.clientUrisMustMatch]).toEqual(["true"]);
  const max = policies.find((p) => p.subType === "anonymous" && p.providerId === POLICY.maxClients.providerId);
  expect(max?.config[POLICY.maxClients.maxClients]).toEqual(["200"]);
  const scopes = policies.find((p) => p.subType === "authenticated" && p.providerId === POLICY.allowedClientScopes.providerId);
  expect(scopes?.config[POLICY.allowedClientScopes.allowDefaultScopes]).toEqual(["true"]);
  const mappers = policies.find((p) => p.subType === "authenticated" && p.providerId === POLICY.allowedProtocolMappers.providerId);
  expect([...(mappers?.config[POLICY.allowedProtocolMappers.allowedProtocolMapperTypes] ?? [])].sort()).toEqual(
    [...DEFAULT_ALLOWED_PROTOCOL_MAPPER_TYPES].sort(),
  );

  // Anonymous registration is off by default (no trusted hosts).
  const anon = await call("POST", defaultUrl(), undefined, { clientId: "smoke-anon" });
  expect(anon.status).toBe(403);
  expect(anon.data.error_description).toMatch(/Policy 'Trusted Hosts' rejected request/);

  // A realm always has several built-in clients, so a limit of 1 refuses every registration.
  const iat = await realm.createInitialAccessToken({ count: 5, expiration: 600 });
  const policyId = await realm.addMaxClientsPolicy("authenticated", 1, "Smoke Max Clients");
  const refused = await call("POST", defaultUrl(), iat, { clientId: "smoke-max" });
  expect(refused.status).toBe(403);
  expect(refused.data.error).toBe("insufficient_scope");
  expect(refused.data.error_description).toMatch(/Policy 'Smoke Max Clients' rejected request/);

  await realm.removeRegistrationPolicy(policyId);
  const accepted = await call("POST", defaultUrl(), iat, { clientId: "smoke-max" });
  expectStatus(accepted, 201, "create after removing the policy");
  await realm.deleteClient("smoke-max");
  expect(await realm.getClient("smoke-max")).toBeUndefined();
});

test("RAT rotation: on by default, off with disableRegistrationAccessTokenRotation(), back on with enable…()", async () => {
  const iat = await realm.createInitialAccessToken({ count: 2, expiration: 600 });

  // Default: every PUT rotates; the old token is dead.
  const c1 = await call("POST", defaultUrl(), iat, { clientId: "smoke-rot" });
  expectStatus(c1, 201, "create smoke-rot");
  const r1 = rat(c1);
  const u1 = await call("PUT", defaultUrl("smoke-rot"), r1, { clientId: "smoke-rot", description: "one" });
  expectStatus(u1, 200, "first PUT");
  const r2 = rat(u1);
  expect(r2 === r1).toBe(false);
  const stale = await call("PUT", defaultUrl("smoke-rot"), r1, { clientId: "smoke-rot", description: "two" });
  expect(stale.status).toBe(401);
  expectStatus(await call("PUT", defaultUrl("smoke-rot"), r2, { clientId: "smoke-rot", description: "two" }), 200, "PUT with new RAT");

  // Disabled: the same RAT keeps working across PUTs.
  await realm.disableRegistrationAccessTokenRotation();
  await realm.disableRegistrationAccessTokenRotation(); // idempotent
  const c2 = await call("POST", defaultUrl(), iat, { clientId: "smoke-norot" });
  expectStatus(c2, 201, "create smoke-norot");
  const n1 = rat(c2);
  expectStatus(await call("PUT", defaultUrl("smoke-norot"), n1, { clientId: "smoke-norot", description: "one" }), 200, "PUT 1 (rotation off)");
  const second = await call("PUT", defaultUrl("smoke-norot"), n1, { clientId: "smoke-norot", description: "two" });
  expectStatus(second, 200, "PUT 2 with the same RAT (rotation off)");
  expectStatus(await call("GET", defaultUrl("smoke-norot"), rat(second)), 200, "GET with the RAT returned by PUT 2");
  expect((await realm.getClient("smoke-norot"))?.description).toBe("two");

  // Enabled again: rotation is back.
  await realm.enableRegistrationAccessTokenRotation();
  const u3 = await call("PUT", defaultUrl("smoke-norot"), n1, { clientId: "smoke-norot", description: "three" });
  expectStatus(u3, 200, "PUT after re-enabling rotation");
  expect((await call("GET", defaultUrl("smoke-norot"), n1)).status).toBe(401);

  // The admin can always issue a fresh RAT; the previous one dies.
  const fresh = await realm.issueRegistrationAccessToken("smoke-norot");
  expectStatus(await call("GET", defaultUrl("smoke-norot"), fresh), 200, "GET with admin-issued RAT");
  expect((await call("GET", defaultUrl("smoke-norot"), rat(u3))).status).toBe(401);

  await realm.updateClient("smoke-norot", { description: "admin" });
  expect((await realm.getClient("smoke-norot"))?.description).toBe("admin");
  await realm.deleteClient("smoke-norot");
  await realm.deleteClient("smoke-rot");
  expect(await realm.listClientIds()).not.toEqual(expect.arrayContaining(["smoke-norot"]));
});

test("service accounts: create-client may only create, manage-clients may read/update/delete", async () => {
  const creator = await realm.createServiceAccount({ roles: ["create-client"] });
  const manager = await realm.createServiceAccount({ clientId: "smoke-manager", roles: ["manage-clients"] });
  expect(manager.clientId).toBe("smoke-manager");
  const creatorToken = await realm.serviceAccountToken(creator);
  const managerToken = await realm.serviceAccountToken(manager);

  const created = await call("POST", defaultUrl(), creatorToken, { clientId: "smoke-sa" });
  expectStatus(created, 201, "create with create-client bearer");
  expect((await call("GET", defaultUrl("smoke-sa"), creatorToken)).status).toBe(403);
  expectStatus(await call("GET", defaultUrl("smoke-sa"), managerToken), 200, "GET with manage-clients bearer");
  expectStatus(await call("DELETE", defaultUrl("smoke-sa"), managerToken), 204, "DELETE with manage-clients bearer");
  expect(await realm.getClient("smoke-sa")).toBeUndefined();
});
