/**
 * The hostile-server suite of issue 11: every trust boundary of the lifecycle core, played against
 * loopback servers that count what reaches them (test/bed/hostileServer.ts). The provider is given
 * fronts of the bed's Keycloak as serverUrl: front A is the configured `keycloak-registration:serverUrl`
 * (the origin the stack's credentials and the recovery account are bound to), front B the same
 * Keycloak on another origin. A foreign server on a third origin must never receive a request.
 *
 * For every case: no credential or token reaches an origin it was not issued for (counted at the
 * servers), no resource is dropped from state, no token is lost, no foreign client is touched. The
 * figures are printed at the end for the README.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash, createHmac } from "node:crypto";
import axios from "axios";
import { keycloakClientProvider, oidcClientProvider, samlClientProvider } from "../../provider/dynamic";
import { warningSink } from "../../provider/dynamic/warnings";
import type { BaseInputs, ClientProvider } from "../../provider/dynamic/lifecycle";
import {
  ClientOwnedElsewhere,
  RegistrationAccessTokenRejected,
  RegistrationError,
  RequestTimedOut,
  UntrustedRegistrationClientUri,
} from "../../provider/registration/errors";
import {
  CredentialLedger,
  startForeignServer,
  startHostileRegistrationServer,
  startKeycloakFront,
  type ForeignServer,
  type HostileRegistrationServer,
  type KeycloakFront,
  type CannedAnswer,
  withoutSecrets,
} from "../bed/hostileServer";
import { createPrivateCa, type PrivateCa } from "../bed/privateCa";
import { createTestRealm, type TestRealm } from "../bed/realm";
import { realmForThisFile } from "../support/providerHarness";

type Provider = Required<typeof keycloakClientProvider>;
type State = Record<string, unknown>;
const kc = keycloakClientProvider as Provider;
const oidc = oidcClientProvider as Provider;
const saml = samlClientProvider as Provider;

/** Stands for the serialized provider the engine passes in `__provider`: partial state must carry it back. */
const PROVIDER = "exports.handler = __hostileSuiteProvider;";
const OWNER_ATTRIBUTE = "pulumi-keycloak-registration.owner";
const owner = (stack: string, kind: string, name: string) => `kcreg-hostile/${stack}/${kind}/${name}`;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
/** The ownership marker a stack with the recovery account writes: an HMAC keyed with the account's secret. */
const keyedMarker = (s: string) => createHmac("sha256", recovery.clientSecret).update(s).digest("hex");
const descriptorTemplate = fs.readFileSync(path.join(__dirname, "..", "fixtures", "sp-entity-descriptor.xml"), "utf8");
const descriptorFor = (entityId: string) => descriptorTemplate.replace('entityID="https://sp.example.com/saml"', `entityID="${entityId}"`);

let realm: TestRealm;
let ledger: CredentialLedger;
let foreign: ForeignServer;
let frontA: KeycloakFront;
let frontB: KeycloakFront;
/** One origin, two Keycloaks by path (the same Keycloak here, but the provider cannot know): /kc-a is the configured serverUrl in the gateway cases. */
let gateway: KeycloakFront;
let hostile: HostileRegistrationServer;
let hostileTls: HostileRegistrationServer;
/** One service behind a path-routing gateway: its endpoint is /tenant-a/reg; another tenant's paths share the origin. */
let tenantA: HostileRegistrationServer;
let ca: PrivateCa | undefined;
let recovery: { clientId: string; clientSecret: string };

const figures = { cases: 0, offBounds: 0, tokensLost: 0, foreignTouched: 0 };
let violationsBefore = 0;

beforeAll(async () => {
  ({ realm } = await realmForThisFile("hostile"));
  ledger = new CredentialLedger();
  foreign = await startForeignServer(ledger);
  frontA = await startKeycloakFront(realm.server.url, ledger, "Keycloak front A (configured serverUrl)");
  frontB = await startKeycloakFront(realm.server.url, ledger, "Keycloak front B (another origin)");
  gateway = await startKeycloakFront(realm.server.url, ledger, "gateway with two Keycloaks (/kc-a, /kc-b)", { mounts: ["/kc-a", "/kc-b"] });
  hostile = await startHostileRegistrationServer({ ledger, foreign });
  ca = createPrivateCa();
  hostileTls = await startHostileRegistrationServer({ ledger, foreign, tls: ca.issue("hostile", { ip: ["127.0.0.1"] }), name: "hostile registration server (TLS)" });
  tenantA = await startHostileRegistrationServer({ ledger, foreign, name: "tenant A behind a path-routing gateway", prefix: "/tenant-a" });
  recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
  ledger.issue("recovery client secret", recovery.clientSecret, frontA.origin);
  ledger.issue("recovery client secret", recovery.clientSecret, gateway.urlAt("/kc-a"));
});

afterAll(async () => {
  process.stderr.write(
    `hostile servers: ${figures.cases} cases tried, ${figures.offBounds} requests out of bounds (another origin, another path, or plaintext), ${figures.tokensLost} tokens lost, ${figures.foreignTouched} foreign clients touched\n`,
  );
  await Promise.all([foreign?.close(), frontA?.close(), frontB?.close(), gateway?.close(), hostile?.close(), hostileTls?.close(), tenantA?.close()]);
  ca?.remove();
  await realm?.remove();
});

beforeEach(() => {
  figures.cases++;
  for (const s of [foreign, frontA, frontB, gateway, hostile, hostileTls, tenantA]) s.clearRequests();
  frontA.clearRules();
  frontB.clearRules();
  for (const h of [hostile, hostileTls, tenantA]) for (const k of Object.keys(h.behaviour)) delete (h.behaviour as Record<string, unknown>)[k];
  violationsBefore = ledger.violations.length;
});

afterEach(() => {
  // Counted whether the test passed or not: the figures are what the servers saw.
  const plaintext = hostileTls.requests.filter((r) => r.origin === hostileTls.plainOrigin).length;
  const otherTenant = tenantA.requests.filter((r) => !r.path.startsWith("/tenant-a/")).length;
  figures.offBounds += foreign.requests.length + plaintext + otherTenant + (ledger.violations.length - violationsBefore);
});

/**
 * Nothing reached the foreign server, nothing travelled in plaintext to the TLS server, nothing reached
 * another tenant's path on tenant A's origin, no credential reached an origin it was not issued for.
 */
function expectBoundariesHeld(): void {
  expect(foreign.requests).toEqual([]);
  expect(tenantA.requests.filter((r) => !r.path.startsWith("/tenant-a/"))).toEqual([]);
  expect(hostileTls.requests.filter((r) => r.origin === hostileTls.plainOrigin)).toEqual([]);
  expect(ledger.violations.slice(violationsBefore)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Driving the providers as the engine does.
// ---------------------------------------------------------------------------------------------

async function configureAll(values: Record<string, string | undefined>): Promise<void> {
  for (const key of Object.keys(process.env)) if (key.startsWith("KEYCLOAK_REGISTRATION_")) delete process.env[key];
  const lookup = (key: string) => values[key.replace(/^keycloak-registration:/, "")];
  const config = {
    get: lookup,
    require: (key: string) => {
      const v = lookup(key);
      if (v === undefined) throw new Error(`missing ${key}`);
      return v;
    },
  };
  for (const p of [kc, oidc, saml]) await p.configure({ config });
}

/** The stack's configuration: serverUrl = front A, a fresh initial access token, optionally the recovery account. */
async function stackConfig(opts: { recovery?: boolean; extra?: Record<string, string> } = {}): Promise<string> {
  const iat = await realm.createInitialAccessToken({ count: 10, expiration: 600 });
  ledger.issue("stack initial access token", iat, frontA.origin);
  await configureAll({
    serverUrl: frontA.url,
    initialAccessToken: iat,
    ...(opts.recovery ? { recoveryClientId: recovery.clientId, recoveryClientSecret: recovery.clientSecret } : {}),
    ...opts.extra,
  });
  return iat;
}

/** An initial access token a resource carries in its own `auth`, for the origin it registers at. */
async function ownIat(origin: string): Promise<string> {
  const iat = await realm.createInitialAccessToken({ count: 5, expiration: 600 });
  ledger.issue(`per-resource initial access token for ${origin}`, iat, origin);
  return iat;
}

async function registerWith(p: Provider, args: State): Promise<{ id: string; outs: State; inputs: State }> {
  const checked = await p.check({}, { __provider: PROVIDER, ...args });
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const created = await p.create(checked.inputs);
  return { id: created.id, outs: created.outs as State, inputs: checked.inputs as State };
}

async function applyWith(p: Provider, id: string, olds: State, args: State): Promise<State> {
  const checked = await p.check(olds, { __provider: PROVIDER, ...args });
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const d = await p.diff(id, olds, checked.inputs);
  if (!d.changes) return olds;
  return (await p.update(id, olds, checked.inputs)).outs as State;
}

/**
 * check, then — as the engine would — create when check lets it through: a core that fails to refuse
 * sends its request, and the servers count what reached them. Returns check's failures.
 */
async function checkThenCreate(p: Provider, args: State): Promise<Array<{ property: string; reason: string }> | undefined> {
  const checked = await p.check({}, { __provider: PROVIDER, ...args });
  if (checked.failures?.length) return checked.failures;
  await p.create(checked.inputs).catch(() => undefined);
  return undefined;
}

/** The call's error; its message names no credential the ledger knows. */
async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof Error)) throw new Error("expected the call to fail, it succeeded");
  expect(ledger.labelsIn(e.message)).toEqual([]);
  expect(e.message).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  return e;
}

/** Partial state (CORE-SPEC 3): the error carries the resource's id and properties, with __provider, for the engine to checkpoint. */
function partialState(e: Error, id: string): State {
  const err = e as Error & { id?: unknown; properties?: State; reasons?: unknown };
  expect({ id: err.id, hasProperties: typeof err.properties === "object" && err.properties !== null, reasons: Array.isArray(err.reasons) }).toEqual({
    id,
    hasProperties: true,
    reasons: true,
  });
  expect(err.properties!.__provider).toBe(PROVIDER);
  return err.properties!;
}

/**
 * What the engine keeps after a failed create or update: the error's properties when it carries
 * partial state, else the previous outputs (nothing after a create).
 */
function keptAfter(e: Error, previous?: State): State | undefined {
  const properties = (e as Error & { properties?: unknown }).properties;
  return properties && typeof properties === "object" ? (properties as State) : previous;
}

/** Whether Keycloak accepts a registration access token for a client (asked directly, not through a front). */
async function keycloakTokenWorks(clientId: string, token: unknown, inRealm: TestRealm = realm): Promise<boolean> {
  if (typeof token !== "string" || !token) return false;
  const res = await axios.get(`${inRealm.registrationUrl("default")}/${encodeURIComponent(clientId)}`, {
    headers: { Authorization: `Bearer ${token}` },
    validateStatus: () => true,
  });
  return res.status === 200;
}

/** The stack's token for a client must work: one lost is counted in the figures. */
async function expectTokenHeld(works: boolean | Promise<boolean>): Promise<void> {
  const ok = await works;
  if (!ok) figures.tokensLost++;
  expect(ok).toBe(true);
}

const tokenEndpoint = () => `/realms/${realm.name}/protocol/openid-connect/token`;
const defaultPath = (clientId: string) => `/realms/${realm.name}/clients-registrations/default/${encodeURIComponent(clientId)}`;

// ---------------------------------------------------------------------------------------------
// 1. Origin-bound credentials.
// ---------------------------------------------------------------------------------------------

describe("the stack's credentials and recovery account go only to the configured serverUrl (its origin and its path)", () => {
  test("an OidcClient at a registration endpoint on another origin fails check on `auth` and the server there gets nothing; with its own auth it works there", async () => {
    await stackConfig({ recovery: true });
    const args = { registrationEndpoint: hostile.registrationEndpoint, client_name: "elsewhere", redirect_uris: ["https://app.example.com/cb"], __owner: owner("s", "OidcClient", "elsewhere") };
    const failures = await checkThenCreate(oidc, args);
    expect(hostile.requests).toEqual([]);
    expect(failures?.map((f) => f.property)).toEqual(["auth"]);
    const reason = failures![0]!.reason;
    expect(reason).toContain(frontA.origin);
    expect(reason).toContain(hostile.origin);
    expect(reason).toMatch(/auth/);
    expect(hostile.requests).toEqual([]);

    const own = { ...args, auth: { initialAccessToken: hostile.initialAccessToken } };
    const { id, outs } = await registerWith(oidc, own);
    expect(hostile.getClient(id)?.metadata.client_name).toBe("elsewhere");
    const read = await oidc.read(id, outs);
    expect(withoutSecrets(read.props)).toMatchObject({ client_name: "elsewhere" });
    const updated = await applyWith(oidc, id, read.props as State, { ...own, client_name: "elsewhere v1" });
    expect(hostile.getClient(id)?.metadata.client_name).toBe("elsewhere v1");
    await expectTokenHeld(hostile.tokenWorks(id, updated.registration_access_token as string));
    await oidc.delete(id, updated);
    expect(hostile.getClient(id)).toBeUndefined();

    // Keycloak's side saw nothing, and the hostile server never saw a stack credential.
    expect(frontA.requests).toEqual([]);
    expect(hostile.requests.flatMap((r) => r.credentials).filter((l) => /^stack|recovery/.test(l))).toEqual([]);
    expect(hostile.count("POST", "/reg")).toBe(1);
    expectBoundariesHeld();
  });

  test("a KeycloakClient on another origin needs its own auth; the stack's service account token comes from the configured serverUrl only", async () => {
    const sa = await realm.createServiceAccount({ roles: ["create-client"] });
    ledger.issue("stack service account secret", sa.clientSecret, frontA.origin);
    await configureAll({ serverUrl: frontA.url, serviceAccountClientId: sa.clientId, serviceAccountClientSecret: sa.clientSecret });
    const at = (front: KeycloakFront, clientId: string) => ({ serverUrl: front.url, realm: realm.name, clientId, __owner: owner("s", "KeycloakClient", clientId) });

    const refused = await checkThenCreate(kc, at(frontB, "origin-b"));
    expect(frontA.requests).toEqual([]);
    expect(frontB.requests).toEqual([]);
    expect(refused?.map((f) => f.property)).toEqual(["auth"]);
    expect(refused![0]!.reason).toContain(frontA.origin);
    expect(refused![0]!.reason).toContain(frontB.origin);

    const home = await registerWith(kc, at(frontA, "origin-a"));
    expect(frontA.count("POST", tokenEndpoint())).toBe(1);
    expect(frontA.requests.find((r) => r.method === "POST" && r.path === tokenEndpoint())?.credentials).toContain("stack service account secret");
    await expectTokenHeld(keycloakTokenWorks(home.id, home.outs.registrationAccessToken));

    const iatB = await ownIat(frontB.origin);
    const away = await registerWith(kc, { ...at(frontB, "origin-b"), auth: { initialAccessToken: iatB } });
    expect(frontB.count("POST", `/realms/${realm.name}/clients-registrations/default`)).toBe(1);
    expect(frontB.count(undefined, tokenEndpoint())).toBe(0);
    await expectTokenHeld(keycloakTokenWorks(away.id, away.outs.registrationAccessToken));
    await kc.delete(away.id, away.outs);
    await kc.delete(home.id, home.outs);
    expectBoundariesHeld();
  });

  test.each([
    ["initialAccessToken", { initialAccessToken: "stack-iat-0123456789abcdef" }],
    ["bearerToken", { bearerToken: "stack-bearer-0123456789abcdef" }],
    ["serviceAccount", { serviceAccountClientId: "stack-sa", serviceAccountClientSecret: "stack-sa-secret-0123456789abcdef" }],
    ["anonymous", { anonymous: "true" }],
  ])("every stack-wide auth mode (%s) is bound to the configured origin: elsewhere check fails on `auth` before any request", async (_mode, credentials) => {
    for (const value of Object.values(credentials)) ledger.issue("stack credential (auth modes)", value, frontA.origin);
    await configureAll({ serverUrl: frontA.url, ...credentials });
    const away = [
      await checkThenCreate(kc, { serverUrl: frontB.url, realm: realm.name, clientId: "mode-away" }),
      await checkThenCreate(oidc, { serverUrl: frontB.url, realm: realm.name, redirect_uris: ["https://a.example/cb"] }),
      await checkThenCreate(oidc, { registrationEndpoint: hostile.registrationEndpoint, redirect_uris: ["https://a.example/cb"] }),
      await checkThenCreate(saml, { serverUrl: frontB.url, realm: realm.name, entityDescriptor: descriptorFor("https://sp.example.com/saml/mode") }),
    ];
    expect(away.map((failures) => failures?.map((f) => f.property))).toEqual([["auth"], ["auth"], ["auth"], ["auth"]]);
    expect(away.map((failures) => failures![0]!.reason.includes(frontA.origin))).toEqual([true, true, true, true]);
    // At home the same configuration passes check.
    const home = await kc.check({}, { __provider: PROVIDER, serverUrl: frontA.url, realm: realm.name, clientId: "mode-home" });
    expect(home.failures).toBeUndefined();
    for (const s of [frontA, frontB, hostile]) expect(s.requests).toEqual([]);
    expectBoundariesHeld();
  });

  test("without keycloak-registration:serverUrl the stack's credentials are never used: check fails on `auth` and says to set it", async () => {
    const iat = await realm.createInitialAccessToken({ count: 2, expiration: 600 });
    ledger.issue("stack initial access token (no serverUrl)", iat, "nowhere:");
    await configureAll({ initialAccessToken: iat });
    const keycloak = await checkThenCreate(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "no-server-url" });
    const generic = await checkThenCreate(oidc, { registrationEndpoint: hostile.registrationEndpoint, redirect_uris: ["https://a.example/cb"] });
    for (const failures of [keycloak, generic]) {
      expect(failures?.map((f) => f.property)).toEqual(["auth"]);
      expect(failures![0]!.reason).toContain("keycloak-registration:serverUrl");
    }
    for (const s of [frontA, frontB, hostile]) expect(s.requests).toEqual([]);
    expectBoundariesHeld();
  });

  test("the recovery account is used only on its origin: a lost token on another origin fails as if none were configured, and its secret goes nowhere", async () => {
    await stackConfig({ recovery: true });
    const iatB = await ownIat(frontB.origin);
    const away = await registerWith(kc, { serverUrl: frontB.url, realm: realm.name, clientId: "recovery-away", description: "v0", auth: { initialAccessToken: iatB }, __owner: owner("s", "KeycloakClient", "recovery-away") });
    await realm.issueRegistrationAccessToken("recovery-away"); // the stored token is lost
    const before = await realm.getClient("recovery-away");
    frontA.clearRequests();
    frontB.clearRequests();

    for (const attempt of [
      () => kc.read(away.id, away.outs),
      () => applyWith(kc, away.id, away.outs, { ...away.inputs, description: "v1" }),
      () => kc.delete(away.id, away.outs),
    ]) {
      expect(await failure(attempt())).toBeInstanceOf(RegistrationAccessTokenRejected);
    }
    expect(frontB.count(undefined, tokenEndpoint())).toBe(0);
    expect(frontB.count(undefined, "/admin/")).toBe(0);
    expect(frontA.requests).toEqual([]);
    const seen = [...frontA.requests, ...frontB.requests, ...hostile.requests, ...foreign.requests].flatMap((r) => r.credentials);
    expect(seen.filter((l) => l.startsWith("recovery client secret"))).toEqual([]);
    expect(withoutSecrets(await realm.getClient("recovery-away"))).toEqual(withoutSecrets(before));

    // Counter-check: on the configured origin the same loss is recovered, with the secret sent there only.
    const home = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "recovery-home", description: "v0", __owner: owner("s", "KeycloakClient", "recovery-home") });
    await realm.issueRegistrationAccessToken("recovery-home");
    const recovered = await kc.read(home.id, home.outs);
    expect(recovered.props?.registrationAccessToken === home.outs.registrationAccessToken).toBe(false);
    await expectTokenHeld(keycloakTokenWorks(home.id, recovered.props?.registrationAccessToken));
    // (The service account's token may come from the provider's cache: then the secret is not sent at all.)
    expect(frontA.requests.filter((r) => r.credentials.includes("recovery client secret") && r.path !== tokenEndpoint())).toEqual([]);
    await kc.delete(home.id, recovered.props as State);
    expectBoundariesHeld();
  });
  test("behind one gateway, the stack's credentials go to serverUrl's path only: every kind at /kc-b fails check on `auth`; with its own auth it registers there", async () => {
    const a = gateway.urlAt("/kc-a");
    const b = gateway.urlAt("/kc-b");
    const iat = await realm.createInitialAccessToken({ count: 2, expiration: 600 });
    ledger.issue("stack initial access token (gateway)", iat, a);
    await configureAll({ serverUrl: a, initialAccessToken: iat, recoveryClientId: recovery.clientId, recoveryClientSecret: recovery.clientSecret });
    const away = [
      await checkThenCreate(kc, { serverUrl: b, realm: realm.name, clientId: "gw-away", __owner: owner("s", "KeycloakClient", "gw-away") }),
      await checkThenCreate(oidc, { serverUrl: b, realm: realm.name, redirect_uris: ["https://a.example/cb"] }),
      await checkThenCreate(oidc, { registrationEndpoint: `${b}/realms/${realm.name}/clients-registrations/openid-connect`, redirect_uris: ["https://a.example/cb"] }),
      await checkThenCreate(saml, { serverUrl: b, realm: realm.name, entityDescriptor: descriptorFor("https://sp.example.com/saml/gw"), __owner: owner("s", "SamlClient", "gw") }),
    ];
    expect(away.map((failures) => failures?.map((f) => f.property))).toEqual([["auth"], ["auth"], ["auth"], ["auth"]]);
    expect(away.map((failures) => [failures![0]!.reason.includes(a), failures![0]!.reason.includes(b)])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [true, true],
    ]);
    expect(gateway.requests).toEqual([]);

    // At /kc-a the same configuration registers; at /kc-b a resource's own auth does.
    const home = await registerWith(kc, { serverUrl: a, realm: realm.name, clientId: "gw-home", __owner: owner("s", "KeycloakClient", "gw-home") });
    expect(gateway.count("POST", `/kc-a/realms/${realm.name}/clients-registrations/default`)).toBe(1);
    const iatB = await ownIat(b);
    const own = await registerWith(kc, { serverUrl: b, realm: realm.name, clientId: "gw-away", auth: { initialAccessToken: iatB }, __owner: owner("s", "KeycloakClient", "gw-away") });
    expect(gateway.count("POST", `/kc-b/realms/${realm.name}/clients-registrations/default`)).toBe(1);
    await expectTokenHeld(keycloakTokenWorks(own.id, own.outs.registrationAccessToken));
    await kc.delete(own.id, own.outs);
    await kc.delete(home.id, home.outs);
    expect(gateway.requests.filter((r) => r.path.startsWith("/kc-b")).flatMap((r) => r.credentials).filter((l) => /^stack|recovery/.test(l))).toEqual([]);
    expectBoundariesHeld();
  });

  test("behind one gateway, the recovery account serves serverUrl's path only: a lost token at /kc-b fails as if none were configured, and its secret reaches no /kc-b path", async () => {
    const a = gateway.urlAt("/kc-a");
    const b = gateway.urlAt("/kc-b");
    await configureAll({ serverUrl: a, recoveryClientId: recovery.clientId, recoveryClientSecret: recovery.clientSecret });
    const iatB = await ownIat(b);
    const away = await registerWith(kc, { serverUrl: b, realm: realm.name, clientId: "gw-recovery-away", description: "v0", auth: { initialAccessToken: iatB }, __owner: owner("s", "KeycloakClient", "gw-recovery-away") });
    await realm.issueRegistrationAccessToken("gw-recovery-away"); // the stored token is lost
    const before = await realm.getClient("gw-recovery-away");
    gateway.clearRequests();

    for (const attempt of [
      () => kc.read(away.id, away.outs),
      () => applyWith(kc, away.id, away.outs, { ...away.inputs, description: "v1" }),
      () => kc.delete(away.id, away.outs),
    ]) {
      expect(await failure(attempt())).toBeInstanceOf(RegistrationAccessTokenRejected);
    }
    expect(gateway.count(undefined, "/protocol/openid-connect/token")).toBe(0);
    expect(gateway.count(undefined, "/admin/")).toBe(0);
    expect(gateway.requests.flatMap((r) => r.credentials).filter((l) => l.startsWith("recovery client secret"))).toEqual([]);
    expect(withoutSecrets(await realm.getClient("gw-recovery-away"))).toEqual(withoutSecrets(before));

    // Counter-check: at /kc-a the same loss is recovered through the gateway.
    const iatA = await ownIat(a);
    const home = await registerWith(kc, { serverUrl: a, realm: realm.name, clientId: "gw-recovery-home", auth: { initialAccessToken: iatA }, __owner: owner("s", "KeycloakClient", "gw-recovery-home") });
    await realm.issueRegistrationAccessToken("gw-recovery-home");
    const recovered = await kc.read(home.id, home.outs);
    await expectTokenHeld(keycloakTokenWorks(home.id, recovered.props?.registrationAccessToken));
    expect(gateway.count(undefined, `/kc-a/admin/realms/${realm.name}/clients`)).toBeGreaterThan(0);
    await kc.delete(home.id, recovered.props as State);
    await realm.deleteClient("gw-recovery-away");
    expectBoundariesHeld();
  });
});

// ---------------------------------------------------------------------------------------------
// 4. registration_client_uri pinned.
// ---------------------------------------------------------------------------------------------

describe("registration_client_uri is pinned to the registration endpoint's directory", () => {
  const declared = (server: HostileRegistrationServer, name: string) => ({
    registrationEndpoint: server.registrationEndpoint,
    client_name: name,
    redirect_uris: ["https://app.example.com/cb"],
    auth: { initialAccessToken: server.initialAccessToken },
    __owner: owner("s", "OidcClient", name),
  });

  test("a create answer naming a client URI on another origin is refused with UntrustedRegistrationClientUri, and nothing is sent there", async () => {
    await stackConfig();
    hostile.behaviour.clientUri = "foreign";
    const e = await failure(registerWith(oidc, declared(hostile, "foreign-uri")));
    expect(e).toBeInstanceOf(UntrustedRegistrationClientUri);
    expect((e as RegistrationError).code).toBe("untrusted-registration-client-uri");
    expect(e.message).toContain(foreign.origin);
    expect(hostile.count("POST", "/reg")).toBe(1);
    expectBoundariesHeld();
  });

  test("a create answer naming a client URI on the endpoint's origin but under another path (another service behind the gateway) is refused, and nothing is sent there", async () => {
    await stackConfig();
    tenantA.behaviour.clientUri = "sibling";
    const e = await failure(registerWith(oidc, declared(tenantA, "sibling-uri")));
    expect(e).toBeInstanceOf(UntrustedRegistrationClientUri);
    expect((e as RegistrationError).code).toBe("untrusted-registration-client-uri");
    expect(e.message).toContain(`${tenantA.origin}/another-tenant/reg/`);
    expect(e.message).toContain(`not under the registration endpoint's directory ${tenantA.origin}/tenant-a/`);
    expect(tenantA.requests.map((r) => [r.method, r.path])).toEqual([["POST", "/tenant-a/reg"]]);

    // Counter-check: the same server naming a client URI under its endpoint's directory is managed normally.
    delete tenantA.behaviour.clientUri;
    const { id, outs } = await registerWith(oidc, declared(tenantA, "under-tenant-a"));
    expect(outs.registration_client_uri).toBe(`${tenantA.origin}/tenant-a/reg/${id}`);
    const read = await oidc.read(id, outs);
    expect(withoutSecrets(read.props)).toMatchObject({ client_name: "under-tenant-a" });
    await oidc.delete(id, read.props as State);
    expect(tenantA.getClient(id)).toBeUndefined();
    expect(tenantA.requests.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/tenant-a/reg"],
      ["POST", "/tenant-a/reg"],
      ["GET", `/tenant-a/reg/${id}`],
      ["DELETE", `/tenant-a/reg/${id}`],
    ]);
    expectBoundariesHeld();
  });

  test("an https endpoint whose answer names an http:// client URI is refused, and nothing travels in plaintext", async () => {
    await stackConfig({ extra: { caCertificate: ca!.caCertificatePem } });
    hostileTls.behaviour.clientUri = "http";
    const e = await failure(registerWith(oidc, declared(hostileTls, "downgraded")));
    expect(e).toBeInstanceOf(UntrustedRegistrationClientUri);
    expect((e as RegistrationError).code).toBe("untrusted-registration-client-uri");
    expect(hostileTls.requests.map((r) => [r.origin, r.method, r.path])).toEqual([[hostileTls.origin, "POST", "/reg"]]);

    // Counter-check: the same server over https with an https client URI is managed normally.
    delete hostileTls.behaviour.clientUri;
    const { id, outs } = await registerWith(oidc, declared(hostileTls, "over-tls"));
    expect(outs.registration_client_uri).toBe(`${hostileTls.origin}/reg/${id}`);
    const read = await oidc.read(id, outs);
    expect(withoutSecrets(read.props)).toMatchObject({ client_name: "over-tls" });
    await oidc.delete(id, read.props as State);
    expect(hostileTls.getClient(id)).toBeUndefined();
    expectBoundariesHeld();
  });

  test("an update answer that moves the client URI is refused; the rotated token is kept with the last good URI", async () => {
    await stackConfig();
    const args = declared(hostile, "moving");
    const { id, outs } = await registerWith(oidc, args);
    expect(outs.registration_client_uri).toBe(`${hostile.origin}/reg/${id}`);
    hostile.behaviour.moveOnUpdate = true;
    const e = await failure(applyWith(oidc, id, outs, { ...args, client_name: "moving v1" }));
    // Refused as a create's answer would be, and carrying the partial state.
    await expectTokenHeld(hostile.tokenWorks(id, keptAfter(e, outs)?.registration_access_token as string));
    expect(e).toBeInstanceOf(UntrustedRegistrationClientUri);
    expect((e as RegistrationError).code).toBe("untrusted-registration-client-uri");
    expect(e.message).toContain(foreign.origin);
    expect(hostile.getClient(id)?.metadata.client_name).toBe("moving v1"); // the server applied it and rotated the token
    const kept = partialState(e, id);
    expect(kept.registration_client_uri).toBe(outs.registration_client_uri);
    expect(kept.registration_access_token === outs.registration_access_token).toBe(false);

    // Once the server behaves, the resource carries on from the checkpointed state.
    hostile.behaviour.moveOnUpdate = false;
    const read = await oidc.read(id, kept);
    expect(withoutSecrets(read.props)).toMatchObject({ client_name: "moving v1", registration_client_uri: outs.registration_client_uri });
    await oidc.delete(id, read.props as State);
    expect(hostile.getClient(id)).toBeUndefined();
    expectBoundariesHeld();
  });

  test("a read answer that rotates the token and moves the client URI: the new token is kept with the last good URI, and a warning names the refused URI", async () => {
    await stackConfig();
    const args = declared(hostile, "read-moving");
    const { id, outs } = await registerWith(oidc, args);
    hostile.behaviour.moveOnRead = true;
    const warnings: string[] = [];
    const sink = warningSink.sink;
    warningSink.sink = (m) => warnings.push(m);
    let read: Awaited<ReturnType<typeof oidc.read>>;
    try {
      read = await oidc.read(id, outs);
    } finally {
      warningSink.sink = sink;
      hostile.behaviour.moveOnRead = false;
    }
    const props = read.props as State;
    expect(props.registration_client_uri).toBe(outs.registration_client_uri);
    expect(props.registration_access_token === outs.registration_access_token).toBe(false);
    // The server honours only the token of its read's answer: the stack holds it.
    await expectTokenHeld(hostile.tokenWorks(id, props.registration_access_token as string));
    expect(hostile.tokenWorks(id, outs.registration_access_token as string)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(foreign.origin);
    expect(warnings[0]).toContain(outs.registration_client_uri as string);
    await oidc.delete(id, props);
    expect(hostile.getClient(id)).toBeUndefined();
    expectBoundariesHeld();
  });

  test("Keycloak behind a front that names a foreign registration_client_uri in every answer: the provider keeps to serverUrl", async () => {
    await stackConfig();
    const base = `/realms/${realm.name}/clients-registrations/openid-connect`;
    const elsewhere = (b: Record<string, unknown>) => ({ ...b, registration_client_uri: `${foreign.url}${base}/${String(b.client_id)}` });
    frontA.addRule({ path: base, action: { kind: "edit", edit: elsewhere } });
    const args = { serverUrl: frontA.url, realm: realm.name, client_name: "named-elsewhere", redirect_uris: ["https://app.example.com/cb"], __owner: owner("s", "OidcClient", "named-elsewhere") };
    // The whole lifecycle first, then the checks: a core that followed the answers would have reached the foreign server by then.
    const { id, outs } = await registerWith(oidc, args);
    const read = await oidc.read(id, outs);
    const updated = await applyWith(oidc, id, read.props as State, { ...args, client_name: "named-elsewhere v1" });
    const nameAfterUpdate = (await realm.getClient(id))?.name;
    const tokenAfterUpdate = await keycloakTokenWorks(id, updated.registration_access_token);
    await oidc.delete(id, updated);
    expect(foreign.requests).toEqual([]);
    expect(outs.registration_client_uri).toBe(`${frontA.url}${base}/${id}`);
    expect(withoutSecrets(read.props)).toMatchObject({ client_name: "named-elsewhere", registration_client_uri: `${frontA.url}${base}/${id}` });
    expect(nameAfterUpdate).toBe("named-elsewhere v1");
    await expectTokenHeld(tokenAfterUpdate);
    expect(await realm.getClient(id)).toBeUndefined();
    expect(frontA.actionsTaken).toBeGreaterThanOrEqual(3);
    expect(frontA.count("PUT", `${base}/${id}`)).toBe(1);
    expect(frontA.count("DELETE", `${base}/${id}`)).toBe(1);
    expectBoundariesHeld();
  });

  test("Keycloak with another public hostname (frontendUrl): an OidcClient is registered, read, updated and deleted through serverUrl only", async () => {
    const elsewhere = await createTestRealm(realm.server, `hostile-fe-${Math.random().toString(36).slice(2, 8)}`);
    try {
      await elsewhere.setFrontendUrl("https://sso.elsewhere.invalid");
      // The precondition: Keycloak itself names the other host.
      const probeIat = await elsewhere.createInitialAccessToken({ count: 1, expiration: 600 });
      const probe = await axios.post(elsewhere.registrationUrl("openid-connect"), { redirect_uris: ["https://a.example/cb"] }, { headers: { Authorization: `Bearer ${probeIat}` } });
      expect(String(probe.data.registration_client_uri)).toMatch(/^https:\/\/sso\.elsewhere\.invalid\/realms\//);
      await elsewhere.deleteClient(probe.data.client_id as string);

      const iat = await elsewhere.createInitialAccessToken({ count: 2, expiration: 600 });
      ledger.issue("stack initial access token (frontendUrl realm)", iat, frontA.origin);
      await configureAll({ serverUrl: frontA.url, initialAccessToken: iat });
      const args = { serverUrl: frontA.url, realm: elsewhere.name, client_name: "public-hostname", redirect_uris: ["https://app.example.com/cb"], __owner: owner("s", "OidcClient", "public-hostname") };
      const { id, outs } = await registerWith(oidc, args);
      const base = `/realms/${elsewhere.name}/clients-registrations/openid-connect`;
      expect(outs.registration_client_uri).toBe(`${frontA.url}${base}/${id}`);
      const read = await oidc.read(id, outs);
      expect(withoutSecrets(read.props)).toMatchObject({ client_name: "public-hostname" });
      const updated = await applyWith(oidc, id, read.props as State, { ...args, redirect_uris: ["https://app.example.com/cb2"] });
      expect((await elsewhere.getClient(id))?.redirectUris).toEqual(["https://app.example.com/cb2"]);
      await expectTokenHeld(keycloakTokenWorks(id, updated.registration_access_token, elsewhere));
      await oidc.delete(id, updated);
      expect(await elsewhere.getClient(id)).toBeUndefined();

      expect(frontA.count("POST", base)).toBe(1);
      expect(frontA.count("GET", `${base}/${id}`)).toBeGreaterThanOrEqual(1);
      expect(frontA.count("PUT", `${base}/${id}`)).toBe(1);
      expect(frontA.count("DELETE", `${base}/${id}`)).toBe(1);
      expectBoundariesHeld();
    } finally {
      await elsewhere.remove();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Gone only on evidence.
// ---------------------------------------------------------------------------------------------

describe("a client is gone only on the registration service's own word", () => {
  test("Keycloak behind a proxy answering an HTML 404: read and delete fail and keep the resource; a real deletion is still seen", async () => {
    await stackConfig();
    const { id, outs } = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "proxy-404", __owner: owner("s", "KeycloakClient", "proxy-404") });
    frontA.addRule({ method: "GET", path: defaultPath(id), action: { kind: "html", status: 404 } });
    const onRead = await failure(kc.read(id, outs));
    expect(onRead).toBeInstanceOf(RegistrationError);
    expect(onRead.message).toMatch(/404/);
    frontA.clearRules();
    frontA.addRule({ method: "DELETE", path: defaultPath(id), action: { kind: "html", status: 404 } });
    const onDelete = await failure(kc.delete(id, outs));
    expect(onDelete).toBeInstanceOf(RegistrationError);
    expect(await realm.getClient(id)).toBeDefined();
    await expectTokenHeld(keycloakTokenWorks(id, outs.registrationAccessToken));

    // Counter-check: a client really deleted is gone (401 + the existence probe), and deleting it again is done.
    frontA.clearRules();
    await realm.deleteClient(id);
    expect(withoutSecrets(await kc.read(id, outs))).toEqual({});
    await expect(kc.delete(id, outs)).resolves.toBeUndefined();
    expectBoundariesHeld();
  });

  test("any RFC 7592 server: a proxy's HTML 404, 403 or 401, or a JSON 403, on read, update or delete is an error, never 'gone'; its JSON 401 and 404 are", async () => {
    await stackConfig();
    const args = { registrationEndpoint: hostile.registrationEndpoint, client_name: "statuses", redirect_uris: ["https://app.example.com/cb"], auth: { initialAccessToken: hostile.initialAccessToken }, __owner: owner("s", "OidcClient", "statuses") };
    const { id, outs } = await registerWith(oidc, args);
    const errorsSeen: string[] = [];
    for (const answer of ["proxy-html-404", "proxy-html-403", "proxy-html-401", "json-403"] as CannedAnswer[]) {
      hostile.behaviour.read = answer;
      errorsSeen.push(`read ${answer}: ${(await failure(oidc.read(id, outs))).constructor.name}`);
      delete hostile.behaviour.read;
      hostile.behaviour.update = answer;
      errorsSeen.push(`update ${answer}: ${(await failure(applyWith(oidc, id, outs, { ...args, client_name: "statuses v1" }))).constructor.name}`);
      delete hostile.behaviour.update;
      hostile.behaviour.delete = answer;
      errorsSeen.push(`delete ${answer}: ${(await failure(oidc.delete(id, outs))).constructor.name}`);
      delete hostile.behaviour.delete;
      expect(hostile.getClient(id)).toBeDefined();
    }
    expect(errorsSeen).toHaveLength(12);
    await expectTokenHeld(hostile.tokenWorks(id, outs.registration_access_token as string));

    // Counter-check: the service's own JSON 401 and 404 do mean gone.
    for (const answer of ["json-401", "json-404"] as CannedAnswer[]) {
      hostile.behaviour.read = answer;
      expect(withoutSecrets(await oidc.read(id, outs))).toEqual({});
    }
    delete hostile.behaviour.read;
    await oidc.delete(id, outs);
    expect(hostile.getClient(id)).toBeUndefined();
    expectBoundariesHeld();
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Deadline.
// ---------------------------------------------------------------------------------------------

describe("timeoutSeconds is a deadline for the whole request", () => {
  test("an answer trickled a byte every 700 ms fails with RequestTimedOut after about 1 s, and the state stays", async () => {
    await stackConfig({ extra: { timeoutSeconds: "1", retries: "0" } });
    const { id, outs } = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "trickled", __owner: owner("s", "KeycloakClient", "trickled") });
    frontA.addRule({ method: "GET", path: defaultPath(id), action: { kind: "trickle", intervalMs: 700 } });
    const started = Date.now();
    // An idle timeout would wait for the whole trickle (minutes): give up after 10 s.
    let guard: NodeJS.Timeout | undefined;
    const e = await failure(
      Promise.race([
        kc.read(id, outs),
        new Promise((_, reject) => (guard = setTimeout(() => reject(new Error("still waiting 10 s after the read began: timeoutSeconds is not a deadline")), 10_000))),
      ]).finally(() => clearTimeout(guard)),
    );
    const took = Date.now() - started;
    expect(e).toBeInstanceOf(RequestTimedOut);
    expect(frontA.count("GET", defaultPath(id))).toBe(1);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2_500);
    frontA.clearRules();
    await expectTokenHeld(keycloakTokenWorks(id, outs.registrationAccessToken));
    await kc.delete(id, outs);
    expectBoundariesHeld();
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Partial state after a successful write.
// ---------------------------------------------------------------------------------------------

describe("a failure after a successful write checkpoints what was written, with the newest token", () => {
  const installPath = "/clients-registrations/install/";

  test("create: the install GET failing after the POST throws with the id and a working token; the next update carries on", async () => {
    await stackConfig();
    frontA.addRule({ method: "GET", path: installPath, action: { kind: "html", status: 500 }, afterWrite: true });
    const args = { serverUrl: frontA.url, realm: realm.name, clientId: "partial-create", description: "v0", fetchAdapterConfig: true, __owner: owner("s", "KeycloakClient", "partial-create") };
    const e = await failure(registerWith(kc, args));
    const exchange = frontA.requests.filter((r) => r.path.includes("/clients-registrations/")).map((r) => [r.method, r.path.replace(/^.*\/clients-registrations\//, ""), r.status]);
    expect(exchange[0]).toEqual(["POST", "default", 201]);
    expect(exchange.slice(1).every(([method, where, status]) => method === "GET" && where === "install/partial-create" && status === 500)).toBe(true);
    expect(exchange.length).toBeGreaterThanOrEqual(2);
    await expectTokenHeld(keycloakTokenWorks("partial-create", keptAfter(e)?.registrationAccessToken));
    const kept = partialState(e, "partial-create");
    expect(withoutSecrets(kept)).toMatchObject({ clientId: "partial-create", serverUrl: frontA.url, realm: realm.name });
    expect(await realm.getClient("partial-create")).toBeDefined();

    frontA.clearRules();
    const next = await applyWith(kc, "partial-create", kept, { ...args, description: "v1" });
    expect((await realm.getClient("partial-create"))?.description).toBe("v1");
    expect(withoutSecrets(JSON.parse(String(next.adapterConfig)))).toMatchObject({ resource: "partial-create" });
    await kc.delete("partial-create", next);
    expectBoundariesHeld();
  });

  test("update: the install GET failing after the PUT throws with the rotated token (the old one is dead)", async () => {
    await stackConfig();
    const args = { serverUrl: frontA.url, realm: realm.name, clientId: "partial-update", description: "v0", fetchAdapterConfig: true, __owner: owner("s", "KeycloakClient", "partial-update") };
    const { id, outs } = await registerWith(kc, args);
    frontA.addRule({ method: "GET", path: installPath, action: { kind: "html", status: 500 }, afterWrite: true });
    const e = await failure(applyWith(kc, id, outs, { ...args, description: "v1" }));
    expect(frontA.count("PUT", defaultPath(id))).toBe(1);
    await expectTokenHeld(keycloakTokenWorks(id, keptAfter(e, outs)?.registrationAccessToken));
    const kept = partialState(e, id);
    expect(kept.description).toBe("v1");
    expect(kept.registrationAccessToken === outs.registrationAccessToken).toBe(false);
    expect(await keycloakTokenWorks(id, outs.registrationAccessToken)).toBe(false);

    frontA.clearRules();
    const next = await applyWith(kc, id, kept, { ...args, description: "v2" });
    expect((await realm.getClient(id))?.description).toBe("v2");
    await kc.delete(id, next);
    expectBoundariesHeld();
  });

  test("create: a read-back failing after the POST throws with the id and a working token", async () => {
    await stackConfig();
    const createPath = `/realms/${realm.name}/clients-registrations/default`;
    // An answer that disagrees with the declaration (as Keycloak 25's can) makes the core read the client back.
    frontA.addRule({ method: "POST", path: new RegExp(`^${createPath}$`), action: { kind: "edit", edit: (b) => ({ ...b, description: "not what was declared" }) }, times: 1 });
    frontA.addRule({ method: "GET", path: defaultPath("partial-readback"), action: { kind: "html", status: 500 }, afterWrite: true });
    const args = { serverUrl: frontA.url, realm: realm.name, clientId: "partial-readback", description: "declared", __owner: owner("s", "KeycloakClient", "partial-readback") };
    const e = await failure(registerWith(kc, args));
    expect(frontA.count("GET", defaultPath("partial-readback"))).toBeGreaterThanOrEqual(1);
    await expectTokenHeld(keycloakTokenWorks("partial-readback", keptAfter(e)?.registrationAccessToken));
    const kept = partialState(e, "partial-readback");
    expect((await realm.getClient("partial-readback"))?.description).toBe("declared");
    frontA.clearRules();
    await kc.delete("partial-readback", kept);
    expectBoundariesHeld();
  });

  test("SAML: the marker PUT failing after the create throws with the entityID and a working token", async () => {
    await stackConfig();
    const entityId = "https://sp.example.com/saml/partial";
    frontA.addRule({ method: "PUT", path: "/clients-registrations/default/", action: { kind: "html", status: 500 }, afterWrite: true });
    const e = await failure(registerWith(saml, { serverUrl: frontA.url, realm: realm.name, entityDescriptor: descriptorFor(entityId), __owner: owner("s", "SamlClient", "partial") }));
    // The exchange as the front saw it (what failed, where): the create went through, the marker PUT did not.
    const exchange = frontA.requests.filter((r) => r.path.includes("/clients-registrations/")).map((r) => [r.method, r.path.replace(/^.*\/clients-registrations\//, ""), r.status]);
    expect(exchange).toEqual([
      ["POST", "saml2-entity-descriptor", 201],
      ["PUT", `default/${encodeURIComponent(entityId)}`, 500],
    ]);
    await expectTokenHeld(keycloakTokenWorks(entityId, keptAfter(e)?.registrationAccessToken));
    const kept = partialState(e, entityId);
    expect(await realm.getClient(entityId)).toBeDefined();
    frontA.clearRules();
    await saml.delete(entityId, kept);
    expect(await realm.getClient(entityId)).toBeUndefined();
    expectBoundariesHeld();
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Ownership before adoption.
// ---------------------------------------------------------------------------------------------

describe("a clientId registered by someone else is never taken over", () => {
  const createPath = () => `/realms/${realm.name}/clients-registrations/default`;
  const mintPath = /\/registration-access-token$/;

  /** The owner's client must be as it was and its token alive; otherwise a foreign client was touched. */
  async function expectUntouched(clientId: string, before: unknown, token: unknown): Promise<void> {
    const after = await realm.getClient(clientId);
    const works = await keycloakTokenWorks(clientId, token);
    if (!works || JSON.stringify(after) !== JSON.stringify(before)) figures.foreignTouched++;
    expect(withoutSecrets(after)).toEqual(withoutSecrets(before));
    expect(works).toBe(true);
  }

  test("KeycloakClient: another stack's clientId fails with ClientOwnedElsewhere, no token minted; the owner's token, settings and client survive", async () => {
    await stackConfig({ recovery: true });
    const ownerA = owner("stack-a", "KeycloakClient", "app");
    const a = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "shared-app", description: "A's", redirectUris: ["https://a.example.com/*"], __owner: ownerA });
    const before = await realm.getClient("shared-app");
    frontA.clearRequests();

    const attempt = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "shared-app", description: "B's", redirectUris: ["https://b.example.com/*"], __owner: owner("stack-b", "KeycloakClient", "app") }).then(() => undefined, (x: unknown) => x);
    await expectUntouched("shared-app", before, a.outs.registrationAccessToken);
    expect(before?.attributes?.[OWNER_ATTRIBUTE]).toBe(keyedMarker(ownerA));
    const e = await failure(Promise.reject(attempt));
    expect(e).toBeInstanceOf(ClientOwnedElsewhere);
    expect((e as RegistrationError).code).toBe("client-owned-elsewhere");
    expect(e.message).toContain('"shared-app"');
    expect(e.message).toContain(realm.name);
    expect(frontA.count("POST", createPath())).toBe(1);
    expect(frontA.count("GET", `/admin/realms/${realm.name}/clients?`)).toBe(1);
    expect(frontA.count("POST", mintPath)).toBe(0);
    expect(frontA.count(undefined, defaultPath("shared-app"))).toBe(0);
    expect(frontA.requests.filter((r) => r.credentials.some((l) => /registration_?[aA]ccess_?[tT]oken/.test(l)))).toEqual([]);

    // The owner carries on.
    const updated = await applyWith(kc, a.id, a.outs, { ...a.inputs, description: "A's v1" });
    expect((await realm.getClient("shared-app"))?.description).toBe("A's v1");
    await kc.delete(a.id, updated);
    expect(await realm.getClient("shared-app")).toBeUndefined();
    expectBoundariesHeld();
  });

  test("KeycloakClient: a client registered outside Pulumi (no marker) is not taken over either", async () => {
    await stackConfig({ recovery: true });
    const kcAdmin = await realm.admin();
    await kcAdmin.clients.create({ realm: realm.name, clientId: "hand-made", description: "by hand", publicClient: true });
    const before = await realm.getClient("hand-made");
    const handToken = await realm.issueRegistrationAccessToken("hand-made");
    const beforeWithToken = await realm.getClient("hand-made");
    frontA.clearRequests();
    const attempt = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "hand-made", description: "mine now", __owner: owner("stack-b", "KeycloakClient", "hand-made") }).then(() => undefined, (x: unknown) => x);
    await expectUntouched("hand-made", beforeWithToken, handToken);
    const e = await failure(Promise.reject(attempt));
    expect(e).toBeInstanceOf(ClientOwnedElsewhere);
    expect(frontA.count("POST", mintPath)).toBe(0);
    expect(frontA.count(undefined, defaultPath("hand-made"))).toBe(0);
    expect(before?.description).toBe("by hand");
    await realm.deleteClient("hand-made");
    expectBoundariesHeld();
  });

  test("KeycloakClient: a client registered first by someone else with this resource's marker in its published form is not taken over", async () => {
    await stackConfig({ recovery: true });
    const me = owner("stack-a", "KeycloakClient", "squatted");
    // A registrant of the realm (its own initial access token) computes the marker from public names.
    const theirIat = await realm.createInitialAccessToken({ count: 1, expiration: 600 });
    const res = await fetch(realm.registrationUrl("default"), {
      method: "POST",
      headers: { Authorization: `Bearer ${theirIat}`, "Content-Type": "application/json" },
      body: JSON.stringify({ clientId: "squatted", redirectUris: ["https://squatter.example/*"], attributes: { [OWNER_ATTRIBUTE]: sha256(me) } }),
    });
    expect(res.status).toBe(201);
    const theirToken = ((await res.json()) as { registrationAccessToken: string }).registrationAccessToken;
    const before = await realm.getClient("squatted");
    expect(before?.attributes?.[OWNER_ATTRIBUTE]).toBe(sha256(me));
    frontA.clearRequests();
    const attempt = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "squatted", description: "ours", __owner: me }).then(() => undefined, (x: unknown) => x);
    await expectUntouched("squatted", before, theirToken);
    const e = await failure(Promise.reject(attempt));
    expect(e).toBeInstanceOf(ClientOwnedElsewhere);
    expect(frontA.count("POST", mintPath)).toBe(0);
    expect(frontA.count(undefined, defaultPath("squatted"))).toBe(0);
    await realm.deleteClient("squatted");
    expectBoundariesHeld();
  });

  test("KeycloakClient: this resource's own lost create (the same owner) is taken over with the recovery account", async () => {
    await stackConfig({ recovery: true });
    const me = owner("stack-a", "KeycloakClient", "lost");
    const args = { serverUrl: frontA.url, realm: realm.name, clientId: "lost-create", description: "v0", __owner: me };
    await registerWith(kc, args); // its answer never reached the stack
    frontA.clearRequests();
    const { id, outs } = await registerWith(kc, { ...args, description: "v1" });
    expect(id).toBe("lost-create");
    expect(frontA.count("POST", mintPath)).toBe(1);
    expect((await realm.getClient(id))?.description).toBe("v1");
    expect((await realm.getClient(id))?.attributes?.[OWNER_ATTRIBUTE]).toBe(keyedMarker(me));
    await expectTokenHeld(keycloakTokenWorks(id, outs.registrationAccessToken));
    await kc.delete(id, outs);
    expectBoundariesHeld();
  });

  test("SamlClient: another stack's entityID fails with ClientOwnedElsewhere before any token is minted; the owner's client and token survive", async () => {
    await stackConfig({ recovery: true });
    const entityId = "https://sp.example.com/saml/shared";
    const ownerA = owner("stack-a", "SamlClient", "sp");
    const a = await registerWith(saml, { serverUrl: frontA.url, realm: realm.name, entityDescriptor: descriptorFor(entityId), __owner: ownerA });
    const before = await realm.getClient(entityId);
    frontA.clearRequests();
    const attempt = await registerWith(saml, { serverUrl: frontA.url, realm: realm.name, entityDescriptor: descriptorFor(entityId), __owner: owner("stack-b", "SamlClient", "sp") }).then(() => undefined, (x: unknown) => x);
    await expectUntouched(entityId, before, a.outs.registrationAccessToken);
    expect(before?.attributes?.[OWNER_ATTRIBUTE]).toBe(keyedMarker(ownerA));
    const e = await failure(Promise.reject(attempt));
    expect(e).toBeInstanceOf(ClientOwnedElsewhere);
    expect(e.message).toContain(entityId);
    expect(frontA.count("POST", mintPath)).toBe(0);
    expect(frontA.count(undefined, "/clients-registrations/default/")).toBe(0);
    await saml.delete(entityId, a.outs);
    expect(await realm.getClient(entityId)).toBeUndefined();
    expectBoundariesHeld();
  });

  test("KeycloakClient: `pulumi import` (or a static `get`) of a client another stack manages is refused before any token is minted; the owner's own re-import works", async () => {
    await stackConfig({ recovery: true });
    const importer = kc as unknown as ClientProvider<BaseInputs, State>;
    const at = { serverUrl: frontA.url, realm: realm.name };
    const ownerA = owner("stack-a", "KeycloakClient", "managed");
    const a = await registerWith(kc, { serverUrl: frontA.url, realm: realm.name, clientId: "managed-app", description: "A's", __owner: ownerA });
    const before = await realm.getClient("managed-app");
    frontA.clearRequests();

    // Another stack's import, and a caller that cannot say who imports.
    for (const importingOwner of [owner("stack-b", "KeycloakClient", "managed"), undefined]) {
      const e = await failure(importer.importClient(at, "managed-app", importingOwner));
      expect(e).toBeInstanceOf(ClientOwnedElsewhere);
      expect(e.message).toContain('"managed-app"');
      expect(e.message).toContain("revoke the one that stack holds");
      expect(e.message).toContain("adopt: { registrationAccessToken }");
    }
    expect(frontA.count("GET", `/admin/realms/${realm.name}/clients?`)).toBe(2);
    expect(frontA.count("POST", mintPath)).toBe(0);
    expect(frontA.count(undefined, defaultPath("managed-app"))).toBe(0);
    await expectUntouched("managed-app", before, a.outs.registrationAccessToken);

    // The owner itself, its state lost, imports its client again: a fresh token, the old one dead.
    const again = await importer.importClient(at, "managed-app", ownerA);
    expect(frontA.count("POST", mintPath)).toBe(1);
    expect(again.id).toBe("managed-app");
    await expectTokenHeld(keycloakTokenWorks("managed-app", again.props.registrationAccessToken));
    expect(await keycloakTokenWorks("managed-app", a.outs.registrationAccessToken)).toBe(false);
    await kc.delete(again.id, again.props);
    expect(await realm.getClient("managed-app")).toBeUndefined();
    expectBoundariesHeld();
  });

  test("__owner never causes a diff", async () => {
    await stackConfig();
    const args = { serverUrl: frontA.url, realm: realm.name, clientId: "owner-diff", __owner: owner("stack-a", "KeycloakClient", "owner-diff") };
    const { id, outs } = await registerWith(kc, args);
    const renamed = await kc.check(outs, { __provider: PROVIDER, ...args, __owner: owner("stack-renamed", "KeycloakClient", "owner-diff") });
    expect((await kc.diff(id, outs, renamed.inputs)).changes).toBe(false);
    await kc.delete(id, outs);
    expectBoundariesHeld();
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Re-signed tokens kept.
// ---------------------------------------------------------------------------------------------

describe("a token Keycloak re-signs on read replaces the stored one", () => {
  test("after a realm key rotation, read keeps the re-signed tokens of all three kinds; with the old key removed, the next update works without recovery", async () => {
    const rotated = await createTestRealm(realm.server, `hostile-keys-${Math.random().toString(36).slice(2, 8)}`);
    try {
      const iat = await rotated.createInitialAccessToken({ count: 5, expiration: 600 });
      ledger.issue("stack initial access token (key rotation realm)", iat, frontA.origin);
      await configureAll({ serverUrl: frontA.url, initialAccessToken: iat });
      const where = { serverUrl: frontA.url, realm: rotated.name };
      const entityId = "https://sp.example.com/saml/rotation";
      const k = await registerWith(kc, { ...where, clientId: "rotation-k", description: "v0", __owner: owner("s", "KeycloakClient", "rotation-k") });
      const o = await registerWith(oidc, { ...where, client_name: "v0", redirect_uris: ["https://a.example/cb"], __owner: owner("s", "OidcClient", "rotation-o") });
      const s = await registerWith(saml, { ...where, entityDescriptor: descriptorFor(entityId), __owner: owner("s", "SamlClient", "rotation-s") });
      const olds = { k: k.outs.registrationAccessToken, o: o.outs.registration_access_token, s: s.outs.registrationAccessToken };

      const keys = await rotated.rotateTokenSigningKey();
      const kid = (t: unknown) => JSON.parse(Buffer.from(String(t).split(".")[0]!, "base64url").toString()).kid as string;
      expect(keys.oldKids).toContain(kid(olds.k));
      const kRead = (await kc.read(k.id, k.outs)).props as State;
      const oRead = (await oidc.read(o.id, o.outs)).props as State;
      const sRead = (await saml.read(s.id, s.outs)).props as State;
      expect([kid(kRead.registrationAccessToken), kid(oRead.registration_access_token), kid(sRead.registrationAccessToken)]).toEqual([keys.newKid, keys.newKid, keys.newKid]);

      for (const id of keys.oldProviderIds) await rotated.removeKeyProvider(id);
      // The counterfactual: the tokens from before the refresh are dead now.
      expect(await keycloakTokenWorks(k.id, olds.k, rotated)).toBe(false);
      expect(await keycloakTokenWorks(o.id, olds.o, rotated)).toBe(false);
      expect(await keycloakTokenWorks(s.id, olds.s, rotated)).toBe(false);

      const kNext = await applyWith(kc, k.id, kRead, { ...k.inputs, description: "v1" });
      const oNext = await applyWith(oidc, o.id, oRead, { ...o.inputs, client_name: "v1" });
      const sNext = (await saml.update(s.id, sRead, s.inputs)).outs as State;
      expect([(await rotated.getClient(k.id))?.description, (await rotated.getClient(o.id))?.name]).toEqual(["v1", "v1"]);
      await expectTokenHeld(keycloakTokenWorks(k.id, kNext.registrationAccessToken, rotated));
      await expectTokenHeld(keycloakTokenWorks(o.id, oNext.registration_access_token, rotated));
      await expectTokenHeld(keycloakTokenWorks(s.id, sNext.registrationAccessToken, rotated));
      expect(frontA.count("POST", /\/registration-access-token$/)).toBe(0);
      expectBoundariesHeld();
    } finally {
      await rotated.remove();
    }
  });
});
