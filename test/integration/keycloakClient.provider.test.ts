import axios from "axios";
import { RegistrationAccessTokenRejected } from "../../provider/registration/errors";
import { resetValue } from "../../provider/dynamic/clientDiff";
import type { TestRealm } from "../bed/realm";
import { apply, configureProvider, provider, realmForThisFile, register } from "../support/providerHarness";
import { rejection } from "../support/rejection";

let realm: TestRealm;
let serverUrl: string;
const where = () => ({ serverUrl, realm: realm.name });

beforeAll(async () => {
  const bed = await realmForThisFile("provider");
  realm = bed.realm;
  serverUrl = bed.server.url;
});
afterAll(async () => realm?.remove());

async function withInitialAccessToken(count = 5): Promise<void> {
  await configureProvider({ initialAccessToken: await realm.createInitialAccessToken({ count, expiration: 600 }) });
}

describe("the default registration endpoint through the provider functions", () => {
  test("create registers the declared client and keeps its registration access token and secret", async () => {
    await withInitialAccessToken();
    const { id, outs } = await register({
      ...where(),
      clientId: "create-basic",
      name: "Basic",
      redirectUris: ["https://app.example.com/*"],
      attributes: { "pkce.code.challenge.method": "S256" },
    });
    expect(id).toBe("create-basic");
    const live = await realm.getClient("create-basic");
    expect(live).toMatchObject({ name: "Basic", redirectUris: ["https://app.example.com/*"], id: outs.internalId });
    expect(live?.attributes?.["pkce.code.challenge.method"]).toBe("S256");
    expect(outs.registrationAccessToken).toMatch(/^eyJ/);
    expect(outs.clientSecret).toBe(live?.secret);
    // Only what the program declares is kept as the server's view: no server defaults.
    expect(Object.keys(outs).sort()).toEqual(
      ["attributes", "clientId", "clientSecret", "internalId", "name", "realm", "redirectUris", "registrationAccessToken", "serverUrl"].sort(),
    );
  });

  test("the stored client, not a stale create answer, is what the state holds (Keycloak 25 answers this one stale)", async () => {
    await withInitialAccessToken();
    const declared = { ...where(), clientId: "password-grant-cli", publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false };
    const { id, outs } = await register(declared);
    expect(await realm.getClient(id)).toMatchObject({ directAccessGrantsEnabled: true, standardFlowEnabled: false });
    expect(outs).toMatchObject({ directAccessGrantsEnabled: true, standardFlowEnabled: false });
    // Nothing left to do: the next preview is quiet, and the token from the create still works.
    expect((await provider.diff(id, outs, (await provider.check(outs, declared)).inputs)).changes).toBe(false);
    expect((await provider.read(id, outs)).props).toMatchObject({ registrationAccessToken: outs.registrationAccessToken });
  });

  test("update rotates the registration access token and the next update still authenticates", async () => {
    await withInitialAccessToken();
    const { id, outs: created } = await register({ ...where(), clientId: "rotating", description: "v0" });
    let outs = created;
    const seen = [outs.registrationAccessToken];
    for (const version of ["v1", "v2", "v3"]) {
      const before = outs;
      ({ outs } = await apply(id, before, { ...where(), clientId: "rotating", description: version }));
      expect(outs.registrationAccessToken).not.toBe(before.registrationAccessToken);
      expect((await realm.getClient("rotating"))?.description).toBe(version);
      // The token the update replaced is dead.
      expect(await rejection(provider.read(id, before))).toBeInstanceOf(RegistrationAccessTokenRejected);
      seen.push(outs.registrationAccessToken);
    }
    expect(new Set(seen).size).toBe(4);
  });

  test("with rotation disabled by client policy, updates keep working and the stored token stays valid", async () => {
    await withInitialAccessToken();
    await realm.disableRegistrationAccessTokenRotation();
    try {
      const { id, outs: created } = await register({ ...where(), clientId: "not-rotating", description: "a" });
      let outs = created;
      const first = outs;
      ({ outs } = await apply(id, outs, { ...where(), clientId: "not-rotating", description: "b" }));
      ({ outs } = await apply(id, outs, { ...where(), clientId: "not-rotating", description: "c" }));
      expect((await realm.getClient("not-rotating"))?.description).toBe("c");
      // The first token still reads the client: nothing was rotated.
      await expect(provider.read(id, first)).resolves.toMatchObject({ id: "not-rotating" });
    } finally {
      await realm.enableRegistrationAccessTokenRotation();
    }
  });

  test("a field removed from the program is reset in Keycloak", async () => {
    await withInitialAccessToken();
    const declared = { ...where(), clientId: "removal", description: "temp", implicitFlowEnabled: true, redirectUris: ["https://a.example/*"], attributes: { keep: "1", drop: "2" } };
    const { id, outs } = await register(declared);
    const { description: _d, implicitFlowEnabled: _i, redirectUris: _r, ...rest } = declared;
    const { changes } = await apply(id, outs, { ...rest, attributes: { keep: "1" } });
    expect(changes).toBe(true);
    const live = await realm.getClient("removal");
    expect(live).toMatchObject({ description: "", implicitFlowEnabled: false, redirectUris: [] });
    expect(live?.attributes?.keep).toBe("1");
    expect(live?.attributes).not.toHaveProperty("drop");
  });

  test("the reset values are what a fresh registration gets", async () => {
    await withInitialAccessToken();
    await register({ ...where(), clientId: "fresh-defaults" });
    const live = (await realm.getClient("fresh-defaults")) as Record<string, unknown>;
    for (const field of ["enabled", "publicClient", "bearerOnly", "standardFlowEnabled", "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled", "consentRequired", "fullScopeAllowed", "frontchannelLogout", "redirectUris", "webOrigins"] as const) {
      expect({ field, value: live[field] }).toEqual({ field, value: resetValue(field, {}) });
    }
  });

  test("read finds out-of-band drift and the next update restores the declaration", async () => {
    await withInitialAccessToken();
    const declared = { ...where(), clientId: "drifting", redirectUris: ["https://declared.example/*"] };
    const { id, outs } = await register(declared);
    await realm.updateClient("drifting", { redirectUris: ["https://attacker.example/*"] });
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props).toMatchObject({ redirectUris: ["https://attacker.example/*"] });
    const { changes } = await apply(id, refreshed.props as typeof outs, declared);
    expect(changes).toBe(true);
    expect((await realm.getClient("drifting"))?.redirectUris).toEqual(["https://declared.example/*"]);
  });

  test("a client deleted out of band disappears on read, and deleting it again counts as done", async () => {
    await withInitialAccessToken();
    const { id, outs } = await register({ ...where(), clientId: "vanishing" });
    await realm.deleteClient("vanishing");
    await expect(provider.read(id, outs)).resolves.toEqual({});
    await expect(provider.delete(id, outs)).resolves.toBeUndefined();
  });

  test("delete removes the client", async () => {
    await withInitialAccessToken();
    const { id, outs } = await register({ ...where(), clientId: "deleted" });
    await provider.delete(id, outs);
    expect(await realm.getClient("deleted")).toBeUndefined();
  });

  test("after the initial access token is exhausted, updates and deletes still work with the registration access token", async () => {
    await withInitialAccessToken(1);
    const { id, outs } = await register({ ...where(), clientId: "last-one", description: "a" });
    expect((await rejection(register({ ...where(), clientId: "one-too-many" }))).message).toMatch(/no remaining count/);
    const { outs: updated } = await apply(id, outs, { ...where(), clientId: "last-one", description: "b" });
    expect((await realm.getClient("last-one"))?.description).toBe("b");
    await provider.delete(id, updated);
    expect(await realm.getClient("last-one")).toBeUndefined();
    expect(await realm.getClient("one-too-many")).toBeUndefined();
  });

  test("a service account with create-client registers through the client-credentials grant", async () => {
    const sa = await realm.createServiceAccount({ roles: ["create-client"] });
    await configureProvider({ serviceAccountClientId: sa.clientId, serviceAccountClientSecret: sa.clientSecret });
    const { id, outs } = await register({ ...where(), clientId: "via-service-account" });
    expect(await realm.getClient("via-service-account")).toBeDefined();
    const { outs: updated } = await apply(id, outs, { ...where(), clientId: "via-service-account", description: "x" });
    await provider.delete(id, updated);
    expect(await realm.getClient("via-service-account")).toBeUndefined();
  });

  test("a bearer token registers, and per-resource auth overrides the stack configuration", async () => {
    const sa = await realm.createServiceAccount({ roles: ["create-client"] });
    await configureProvider({ initialAccessToken: "not-a-valid-token" });
    const bearerToken = await realm.serviceAccountToken(sa);
    const { id, outs } = await register({ ...where(), clientId: "via-bearer", auth: { bearerToken } });
    expect(await realm.getClient("via-bearer")).toBeDefined();
    await provider.delete(id, outs);
  });

  test("anonymous registration works where the trusted-hosts policy lets this host in", async () => {
    const trusted = (await realm.listRegistrationPolicies("anonymous")).find((p) => p.providerId === "trusted-hosts");
    await realm.updateRegistrationPolicy(trusted!.id, {
      "trusted-hosts": ["127.0.0.1", "localhost"],
      "host-sending-registration-request-must-match": ["true"],
      "client-uris-must-match": ["true"],
    });
    await configureProvider({ anonymous: "true" });
    const { id, outs } = await register({ ...where(), clientId: "via-anonymous", redirectUris: ["http://localhost/cb"], consentRequired: true, fullScopeAllowed: false });
    expect(await realm.getClient("via-anonymous")).toMatchObject({ consentRequired: true });
    await provider.delete(id, outs);
  });

  test("check refuses a new client when no credentials are configured, naming the auth field", async () => {
    await configureProvider({});
    const checked = await provider.check({}, { ...where(), clientId: "no-credentials" });
    expect(checked.failures).toEqual([{ property: "auth", reason: expect.stringContaining("keycloak-registration:initialAccessToken") }]);
  });

  test("adopt takes over a client registered elsewhere with its clientId and registration access token", async () => {
    const iat = await realm.createInitialAccessToken({ count: 1, expiration: 600 });
    const res = await axios.post(`${realm.registrationUrl("default")}`, { clientId: "adopted", description: "before" }, { headers: { Authorization: `Bearer ${iat}` } });
    await configureProvider({});
    const { id, outs } = await register({ ...where(), clientId: "adopted", description: "after", adopt: { registrationAccessToken: res.data.registrationAccessToken } });
    expect(id).toBe("adopted");
    expect((await realm.getClient("adopted"))?.description).toBe("after");
    expect(outs.registrationAccessToken).not.toBe(res.data.registrationAccessToken);
    await provider.delete(id, outs);
    expect(await realm.getClient("adopted")).toBeUndefined();
  });

  test("fetchAdapterConfig adds keycloak.json from the install endpoint as an output, kept fresh on update and refresh", async () => {
    await withInitialAccessToken();
    const created = await register({ ...where(), clientId: "with-adapter", fetchAdapterConfig: true });
    const config = JSON.parse(created.outs.adapterConfig!);
    expect(config).toMatchObject({ realm: realm.name, resource: "with-adapter", credentials: { secret: created.outs.clientSecret } });
    const { outs } = await apply(created.id, created.outs, { ...where(), clientId: "with-adapter", fetchAdapterConfig: true, description: "x" });
    expect(JSON.parse(outs.adapterConfig!).resource).toBe("with-adapter");
    const refreshed = await provider.read(created.id, outs);
    expect(JSON.parse(refreshed.props.adapterConfig).resource).toBe("with-adapter");
    // Turning it off is a change, and the output goes away.
    const off = await apply(created.id, refreshed.props, { ...where(), clientId: "with-adapter", description: "x" });
    expect(off.changes).toBe(true);
    expect(off.outs).not.toHaveProperty("adapterConfig");
    await provider.delete(created.id, off.outs);
  });
});
