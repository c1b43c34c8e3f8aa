import { oidcClientProvider } from "../../provider/dynamic";
import type { OidcClientState } from "../../provider/dynamic/oidcDiff";
import { RegistrationAccessTokenRejected } from "../../provider/registration/errors";
import { startOidcProvider, type OidcProviderServer } from "../bed/oidcProvider";
import type { TestRealm } from "../bed/realm";
import { configureProvider, realmForThisFile } from "../support/providerHarness";
import { rejection } from "../support/rejection";

const provider = oidcClientProvider as Required<typeof oidcClientProvider>;

/** check → create, as the engine does for a new resource. */
async function register(args: Record<string, unknown>): Promise<{ id: string; outs: OidcClientState }> {
  const checked = await provider.check({}, args);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const created = await provider.create(checked.inputs);
  return { id: created.id, outs: created.outs as OidcClientState };
}

/** check → diff → update, as the engine does for a changed resource. */
async function apply(id: string, olds: OidcClientState, args: Record<string, unknown>): Promise<{ changes: boolean; outs: OidcClientState }> {
  const checked = await provider.check(olds, args);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const d = await provider.diff(id, olds, checked.inputs);
  if (!d.changes) return { changes: false, outs: olds };
  const updated = await provider.update(id, olds, checked.inputs);
  return { changes: true, outs: updated.outs as OidcClientState };
}

describe("OidcClient against Keycloak's openid-connect endpoint", () => {
  let realm: TestRealm;
  let where: { serverUrl: string; realm: string };

  beforeAll(async () => {
    const bed = await realmForThisFile("oidc");
    realm = bed.realm;
    where = { serverUrl: bed.server.url, realm: realm.name };
  });
  afterAll(async () => realm?.remove());

  beforeEach(async () => {
    await configureProvider({ initialAccessToken: await realm.createInitialAccessToken({ count: 5, expiration: 600 }) });
  });

  test("create registers RFC 7591 metadata; the id is the generated client_id and the management URI is the server's", async () => {
    const { id, outs } = await register({
      ...where,
      client_name: "Spec client",
      redirect_uris: ["https://app.example.com/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      scope: "email profile",
      tos_uri: "https://app.example.com/tos",
    });
    expect(id).toBe(outs.client_id);
    expect(outs.registration_client_uri).toBe(`${realm.registrationUrl("openid-connect")}/${id}`);
    expect(outs.registration_access_token).toMatch(/^eyJ/);
    const live = await realm.getClient(id);
    expect(live).toMatchObject({ name: "Spec client", redirectUris: ["https://app.example.com/cb"], publicClient: false });
    expect(outs.client_secret).toBe(live?.secret);
    expect(outs.client_secret_expires_at).toBe(0);
    // Only declared metadata is kept as the server's view; `none` added by Keycloak shows no diff.
    expect(outs.response_types).toEqual(["code", "none"]);
    expect((await provider.diff(id, outs, (await provider.check(outs, { ...where, client_name: "Spec client", redirect_uris: ["https://app.example.com/cb"], grant_types: ["refresh_token", "authorization_code"], response_types: ["code"], scope: "profile email", tos_uri: "https://app.example.com/tos" })).inputs)).changes).toBe(false);
  });

  test("update rotates the registration access token and the next update still authenticates", async () => {
    const { id, outs: created } = await register({ ...where, client_name: "v0", redirect_uris: ["https://app.example.com/cb"] });
    let outs = created;
    const seen = [outs.registration_access_token];
    for (const version of ["v1", "v2", "v3"]) {
      const before = outs;
      ({ outs } = await apply(id, before, { ...where, client_name: version, redirect_uris: ["https://app.example.com/cb"] }));
      expect(outs.registration_access_token).not.toBe(before.registration_access_token);
      expect((await realm.getClient(id))?.name).toBe(version);
      expect(await rejection(provider.update(id, before, { ...where, client_name: "stale" }))).toBeInstanceOf(RegistrationAccessTokenRejected);
      seen.push(outs.registration_access_token);
    }
    expect(new Set(seen).size).toBe(4);
  });

  test("read finds out-of-band drift and the next update restores the declaration", async () => {
    const declared = { ...where, redirect_uris: ["https://declared.example/cb"] };
    const { id, outs } = await register(declared);
    await realm.updateClient(id, { redirectUris: ["https://attacker.example/cb"] });
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props).toMatchObject({ redirect_uris: ["https://attacker.example/cb"] });
    const { changes } = await apply(id, refreshed.props as OidcClientState, declared);
    expect(changes).toBe(true);
    expect((await realm.getClient(id))?.redirectUris).toEqual(["https://declared.example/cb"]);
  });

  test("a public client (token_endpoint_auth_method none) has no secret", async () => {
    const { id, outs } = await register({ ...where, redirect_uris: ["https://spa.example.com/cb"], token_endpoint_auth_method: "none" });
    expect(outs.client_secret).toBeUndefined();
    expect((await realm.getClient(id))?.publicClient).toBe(true);
  });

  test("a client deleted out of band disappears on read (Keycloak's 401 told apart from a dead token), and deleting it again counts as done", async () => {
    const { id, outs } = await register({ ...where, redirect_uris: ["https://a.example/cb"] });
    await realm.deleteClient(id);
    await expect(provider.read(id, outs)).resolves.toEqual({});
    await expect(provider.delete(id, outs)).resolves.toBeUndefined();
  });

  test("a dead registration access token on a live client is an error that says what to do, not a silent removal", async () => {
    const { id, outs } = await register({ ...where, redirect_uris: ["https://a.example/cb"] });
    await realm.issueRegistrationAccessToken(id);
    expect((await rejection(provider.read(id, outs))).message).toMatch(/registration access token was rejected/);
  });

  test("Keycloak's refusals arrive as errors naming the client and the cause", async () => {
    expect((await rejection(register({ ...where, redirect_uris: ["https://a.example/cb"], scope: "not-a-scope" }))).message).toMatch(/Allowed Client Scopes/);
  });

  test("adopt by clientId takes over a client registered elsewhere: its declaration is applied and the token rotates", async () => {
    // Registered by someone else (here: with the provider, then forgotten): only its clientId and token are handed over.
    const { id, outs: foreign } = await register({ ...where, client_name: "theirs", redirect_uris: ["https://a.example/cb"] });
    await configureProvider({}); // adopting needs no registration credentials
    const declared = { ...where, client_name: "ours", redirect_uris: ["https://a.example/cb"] };
    const { id: adoptedId, outs } = await register({ ...declared, adopt: { clientId: id, registrationAccessToken: foreign.registration_access_token } });
    expect(adoptedId).toBe(id);
    expect(outs.registration_client_uri).toBe(foreign.registration_client_uri);
    expect(outs.registration_access_token).not.toBe(foreign.registration_access_token);
    expect(outs.client_secret).toBe((await realm.getClient(id))?.secret);
    expect((await realm.getClient(id))?.name).toBe("ours");
    // The handed-over token is spent: only the stack can manage the client now.
    expect((await rejection(provider.read(id, foreign))).message).toMatch(/registration access token was rejected/);
    expect((await provider.diff(id, outs, (await provider.check(outs, declared)).inputs)).changes).toBe(false);
    // A client already as declared is taken over without a write.
    const { outs: unchanged } = await register({ ...declared, adopt: { registrationClientUri: outs.registration_client_uri, registrationAccessToken: outs.registration_access_token } });
    expect(unchanged.registration_access_token).toBe(outs.registration_access_token);
  });

  test("adopt is checked before any request: the client's URI or clientId is required, and a missing client is explained", async () => {
    const noHandle = await provider.check({}, { ...where, redirect_uris: ["https://a.example/cb"], adopt: { registrationAccessToken: "x" } });
    expect(noHandle.failures?.map((f) => f.property)).toEqual(["adopt.registrationClientUri"]);
    const both = await provider.check({}, { ...where, adopt: { registrationAccessToken: "x", clientId: "a", registrationClientUri: "https://a.example/x" } });
    expect(both.failures?.[0]?.reason).toMatch(/not both/);
    const { id, outs } = await register({ ...where, redirect_uris: ["https://a.example/cb"] });
    await realm.deleteClient(id);
    expect((await rejection(register({ ...where, adopt: { clientId: id, registrationAccessToken: outs.registration_access_token } }))).message).toMatch(/does not exist\. Remove `adopt`/);
  });

  test("with a recovery service account, a lost token is replaced on read, update and delete, as for KeycloakClient", async () => {
    const recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
    await configureProvider({
      initialAccessToken: await realm.createInitialAccessToken({ count: 1, expiration: 600 }),
      recoveryClientId: recovery.clientId,
      recoveryClientSecret: recovery.clientSecret,
    });
    const declared = { ...where, client_name: "a", redirect_uris: ["https://a.example/cb"] };
    const { id, outs } = await register(declared);
    await realm.issueRegistrationAccessToken(id); // the stored token is dead from here on
    const refreshed = (await provider.read(id, outs)).props as OidcClientState;
    expect(refreshed.registration_access_token).not.toBe(outs.registration_access_token);
    await realm.issueRegistrationAccessToken(id);
    const { outs: updated } = await apply(id, refreshed, { ...declared, client_name: "b" });
    expect((await realm.getClient(id))?.name).toBe("b");
    await realm.issueRegistrationAccessToken(id);
    await provider.delete(id, updated);
    expect(await realm.getClient(id)).toBeUndefined();
  });

  test("a client_id registered again by someone else after the stack's client was deleted is not recovered: no token minted, their client untouched", async () => {
    const recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
    const iat = await realm.createInitialAccessToken({ count: 2, expiration: 600 });
    await configureProvider({ initialAccessToken: iat, recoveryClientId: recovery.clientId, recoveryClientSecret: recovery.clientSecret });
    const { id, outs } = await register({ ...where, client_name: "ours", redirect_uris: ["https://ours.example/cb"] });
    expect(outs.client_secret).toEqual(expect.any(String));
    // Deleted out of band; then someone who may register takes its client_id through the default endpoint.
    await realm.deleteClient(id);
    const res = await fetch(realm.registrationUrl("default"), {
      method: "POST",
      headers: { Authorization: `Bearer ${iat}`, "Content-Type": "application/json" },
      body: JSON.stringify({ clientId: id, name: "theirs", redirectUris: ["https://theirs.example/cb"] }),
    });
    expect(res.status).toBe(201);
    const theirs = (await res.json()) as { registrationAccessToken: string; secret: string };
    const refusal = /the client registered under that client_id does not have the client secret this stack holds.*Nothing was changed/;
    expect((await rejection(provider.read(id, outs))).message).toMatch(refusal);
    expect((await rejection(apply(id, outs, { ...where, client_name: "ours again", redirect_uris: ["https://ours.example/cb"] }))).message).toMatch(refusal);
    expect((await rejection(provider.delete(id, outs))).message).toMatch(refusal);
    // No token was minted for their client (minting revokes the holder's) and it is as they registered it.
    const theirToken = await fetch(`${realm.registrationUrl("default")}/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${theirs.registrationAccessToken}` } });
    expect(theirToken.status).toBe(200);
    expect(await realm.getClient(id)).toMatchObject({ name: "theirs", redirectUris: ["https://theirs.example/cb"], secret: theirs.secret });
    await realm.deleteClient(id);
  });

  test("a public client's lost token is not recovered (no secret tells it from another client under its client_id): the error gives the way back", async () => {
    const recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
    await configureProvider({
      initialAccessToken: await realm.createInitialAccessToken({ count: 1, expiration: 600 }),
      recoveryClientId: recovery.clientId,
      recoveryClientSecret: recovery.clientSecret,
    });
    const { id, outs } = await register({ ...where, client_name: "public", redirect_uris: ["https://a.example/cb"], token_endpoint_auth_method: "none" });
    expect(outs.client_secret).toBeUndefined();
    const issued = await realm.issueRegistrationAccessToken(id); // the stored token is dead; this one is the holder's
    expect((await rejection(provider.read(id, outs))).message).toMatch(/it has no client secret to compare \(a public client, or one that authenticates with a key\).*kcreg\.sh update-token <client_id>/);
    const stillValid = await fetch(`${realm.registrationUrl("default")}/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${issued}` } });
    expect(stillValid.status).toBe(200);
    await realm.deleteClient(id);
  });

  test("delete removes the client", async () => {
    const { id, outs } = await register({ ...where, redirect_uris: ["https://a.example/cb"] });
    await provider.delete(id, outs);
    expect(await realm.getClient(id)).toBeUndefined();
  });
});

describe("OidcClient against oidc-provider (any RFC 7591/7592 server)", () => {
  let op: OidcProviderServer;
  let where: { registrationEndpoint: string };

  beforeAll(async () => {
    op = await startOidcProvider();
    where = { registrationEndpoint: op.registrationEndpoint };
  });
  afterAll(async () => op?.stop());
  // The stack's credentials belong to this server here: its origin is the stack's serverUrl.
  beforeEach(async () => configureProvider({ serverUrl: op.issuer, initialAccessToken: op.initialAccessToken }));

  test("create, rotating updates, removal of a field, drift, gone, delete", async () => {
    const { id, outs: created } = await register({ ...where, client_name: "v0", redirect_uris: ["https://app.example.com/cb"], contacts: ["ops@example.com"] });
    expect(created.registration_client_uri).toBe(`${op.issuer}/reg/${id}`);
    expect(op.getClient(id)).toMatchObject({ client_name: "v0", contacts: ["ops@example.com"] });

    let outs = created;
    for (const version of ["v1", "v2"]) {
      const before = outs;
      ({ outs } = await apply(id, before, { ...where, client_name: version, redirect_uris: ["https://app.example.com/cb"], contacts: ["ops@example.com"] }));
      expect(outs.registration_access_token).not.toBe(before.registration_access_token);
      expect(op.getClient(id)?.client_name).toBe(version);
    }

    // RFC 7592: the update sends the full metadata, so a field left out is gone.
    ({ outs } = await apply(id, outs, { ...where, client_name: "v2", redirect_uris: ["https://app.example.com/cb"] }));
    expect(op.getClient(id)).not.toHaveProperty("contacts");

    op.updateClient(id, { redirect_uris: ["https://attacker.example/cb"] });
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props).toMatchObject({ redirect_uris: ["https://attacker.example/cb"] });
    ({ outs } = await apply(id, refreshed.props as OidcClientState, { ...where, client_name: "v2", redirect_uris: ["https://app.example.com/cb"] }));
    expect(op.getClient(id)?.redirect_uris).toEqual(["https://app.example.com/cb"]);

    await provider.delete(id, outs);
    expect(op.getClient(id)).toBeUndefined();
    await expect(provider.read(id, outs)).resolves.toEqual({});
  });

  test("adopt by registration_client_uri works on any RFC 7592 server", async () => {
    const { id, outs: foreign } = await register({ ...where, client_name: "theirs", redirect_uris: ["https://app.example.com/cb"] });
    await configureProvider({});
    const onlyClientId = await provider.check({}, { ...where, adopt: { clientId: id, registrationAccessToken: "x" } });
    expect(onlyClientId.failures?.[0]?.reason).toMatch(/give adopt.registrationClientUri/);
    const adopt = { registrationClientUri: foreign.registration_client_uri, registrationAccessToken: foreign.registration_access_token };
    const { id: adoptedId, outs } = await register({ ...where, client_name: "ours", redirect_uris: ["https://app.example.com/cb"], adopt });
    expect(adoptedId).toBe(id);
    expect(op.getClient(id)?.client_name).toBe("ours");
    expect(outs.registration_access_token).not.toBe(foreign.registration_access_token);
    await provider.delete(id, outs);
    expect(op.getClient(id)).toBeUndefined();
  });

  test("a requested client_id the server ignores is an error, and the stray client is deleted again", async () => {
    const before = op.listClientIds().length;
    expect((await rejection(register({ ...where, client_id: "wanted", redirect_uris: ["https://a.example/cb"] }))).message).toMatch(/ignored the requested client_id "wanted"/);
    expect(op.listClientIds()).toHaveLength(before);
  });

  test("a wrong initial access token is explained", async () => {
    await configureProvider({ serverUrl: op.issuer, initialAccessToken: "not-the-token" });
    expect((await rejection(register({ ...where, redirect_uris: ["https://a.example/cb"] }))).message).toMatch(/initial access token was rejected/);
  });
});
