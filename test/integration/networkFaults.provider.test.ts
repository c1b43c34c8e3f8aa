import axios from "axios";
import {
  ClientIdInUse,
  RegistrationError,
  RequestTimedOut,
  ServerFailure,
  ServerUnreachable,
} from "../../provider/registration/errors";
import { KeycloakClientState } from "../../provider/dynamic/clientDiff";
import { startFaultProxy, type FaultProxy } from "../bed/faultProxy";
import type { TestRealm } from "../bed/realm";
import { SecretRegistry } from "../support/leaks";
import { apply, configureProvider, provider, realmForThisFile, register } from "../support/providerHarness";

let realm: TestRealm;
let proxy: FaultProxy;
let recovery: { clientId: string; clientSecret: string };
const secrets = new SecretRegistry();
/** Through the proxy: the provider only ever talks to it. */
const where = () => ({ serverUrl: proxy.url, realm: realm.name });
const registrationPath = (clientId?: string) => `/realms/${realm.name}/clients-registrations/default${clientId ? `/${clientId}` : ""}`;

beforeAll(async () => {
  const bed = await realmForThisFile("faults");
  realm = bed.realm;
  proxy = await startFaultProxy(bed.server.url);
  recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
  secrets.add("recovery secret", recovery.clientSecret);
});
afterAll(async () => {
  process.stderr.write(`network faults: ${proxy?.faultsInjected ?? 0} faults injected, ${proxy?.requests.length ?? 0} requests through the proxy\n`);
  await proxy?.close();
  await realm?.remove();
});
beforeEach(() => {
  proxy.clearRules();
  proxy.clearRequests();
});

async function configure(opts: { recovery?: boolean; timeoutSeconds?: number; retries?: number } = {}): Promise<void> {
  const iat = await realm.createInitialAccessToken({ count: 5, expiration: 600 });
  secrets.add("initial access token", iat);
  await configureProvider({
    // The stack's credentials are bound to the server the resources name: here, the proxy.
    serverUrl: proxy.url,
    initialAccessToken: iat,
    ...(opts.recovery ? { recoveryClientId: recovery.clientId, recoveryClientSecret: recovery.clientSecret } : {}),
    ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: String(opts.timeoutSeconds) } : {}),
    ...(opts.retries !== undefined ? { retries: String(opts.retries) } : {}),
  });
}

async function registered(clientId: string): Promise<{ id: string; outs: KeycloakClientState }> {
  const r = await register({ ...where(), clientId, description: "v0" });
  secrets.add(`${clientId} token`, r.outs.registrationAccessToken);
  return r;
}

/** Reads a client directly from Keycloak with a registration access token: 200 when the token works. */
async function tokenWorks(clientId: string, token: string | undefined): Promise<boolean> {
  const res = await axios.get(`${realm.server.url}${registrationPath(clientId)}`, {
    headers: { Authorization: `Bearer ${token}` },
    validateStatus: () => true,
  });
  return res.status === 200;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof Error)) throw new Error("expected the call to fail");
  // A clear error, and no token or secret in it.
  expect(secrets.findIn("error message", e.message)).toEqual([]);
  expect(e.message).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  return e;
}

describe("reads and deletes retry with bounded backoff", () => {
  test("a read succeeds through a reset, a 503 and a 502, in four attempts", async () => {
    await configure();
    const { id, outs } = await registered("faults-read");
    const path = registrationPath(id);
    proxy.addRule({ method: "GET", path, fault: { kind: "reset" }, times: 1 });
    proxy.addRule({ method: "GET", path, fault: { kind: "status", status: 503 }, times: 1 });
    proxy.addRule({ method: "GET", path, fault: { kind: "status", status: 502 }, times: 1 });
    const read = await provider.read(id, outs);
    expect(read.props.description).toBe("v0");
    expect(proxy.count("GET", path)).toBe(4);
    // Reading does not rotate: the stored token still works.
    expect(await tokenWorks(id, outs.registrationAccessToken)).toBe(true);
  });

  test("a read that keeps failing gives up after `retries` retries with a ServerFailure, within the backoff bound", async () => {
    await configure({ retries: 2 });
    const { id, outs } = await registered("faults-read-exhausted");
    const path = registrationPath(id);
    proxy.addRule({ method: "GET", path, fault: { kind: "status", status: 503 } });
    const started = Date.now();
    const e = await failure(provider.read(id, outs));
    expect(e).toBeInstanceOf(ServerFailure);
    expect(e.message).toContain('client "faults-read-exhausted"');
    expect(e.message).toContain("HTTP 503");
    expect(proxy.count("GET", path)).toBe(3);
    // Backoff 250 ms then 500 ms (±25 %): bounded, not a hang.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test("a delete retries after a reset, and a delete whose answer was lost counts as done", async () => {
    await configure();
    const a = await registered("faults-delete-reset");
    proxy.addRule({ method: "DELETE", path: registrationPath(a.id), fault: { kind: "reset" }, times: 1 });
    await provider.delete(a.id, a.outs);
    expect(proxy.count("DELETE", registrationPath(a.id))).toBe(2);
    expect(await realm.getClient(a.id)).toBeUndefined();

    const b = await registered("faults-delete-dropped");
    proxy.addRule({ method: "DELETE", path: registrationPath(b.id), fault: { kind: "drop-response" }, times: 1 });
    // The retry meets a dead token; the existence probe says the client is gone: deleted.
    await provider.delete(b.id, b.outs);
    expect(proxy.count("DELETE", registrationPath(b.id))).toBe(2);
    expect(await realm.getClient(b.id)).toBeUndefined();
  });
});

describe("creates and updates are never repeated blindly, and never lose a client or its token for good", () => {
  test("a create whose answer is dropped leaves one client, which the next create adopts through the recovery credential", async () => {
    await configure({ recovery: true });
    // __owner is what the KeycloakClient class passes: the ownership marker the takeover checks.
    const args = { ...where(), clientId: "faults-create-dropped", description: "v0", redirectUris: ["https://app.example.com/*"], __owner: "proj/dev/KeycloakClient/dropped" };
    proxy.addRule({ method: "POST", path: registrationPath(), fault: { kind: "drop-response" }, times: 1 });
    const e = await failure(register(args));
    expect(e).toBeInstanceOf(ServerUnreachable);
    expect(proxy.count("POST", registrationPath())).toBe(1); // not retried
    expect(await realm.getClient(args.clientId)).toBeDefined(); // Keycloak did register it

    // The retried `up` creates again: "Client Identifier in use" → fresh token → adopted.
    const { id, outs } = await register(args);
    secrets.add("adopted token", outs.registrationAccessToken);
    expect(id).toBe(args.clientId);
    expect(outs.internalId).toBe((await realm.getClient(args.clientId))?.id);
    expect(outs.description).toBe("v0");
    expect(await tokenWorks(id, outs.registrationAccessToken)).toBe(true);
    expect((await realm.listClientIds()).filter((c) => c === args.clientId)).toHaveLength(1);
    // And it is managed from then on.
    const { outs: updated } = await apply(id, outs, { ...args, description: "v1" });
    expect((await realm.getClient(id))?.description).toBe("v1");
    await provider.delete(id, updated);
    expect(await realm.getClient(id)).toBeUndefined();
  });

  test("adopting a client whose earlier create was lost also brings it to the declaration", async () => {
    await configure({ recovery: true });
    proxy.addRule({ method: "POST", path: registrationPath(), fault: { kind: "drop-response" }, times: 1 });
    const owner = "proj/dev/KeycloakClient/changed";
    await failure(register({ ...where(), clientId: "faults-create-changed", description: "first", __owner: owner }));
    const { outs } = await register({ ...where(), clientId: "faults-create-changed", description: "second", __owner: owner });
    secrets.add("adopted token 2", outs.registrationAccessToken);
    expect((await realm.getClient("faults-create-changed"))?.description).toBe("second");
    expect(await tokenWorks("faults-create-changed", outs.registrationAccessToken)).toBe(true);
  });

  test("without the recovery credential the second create says Client Identifier in use and how to adopt", async () => {
    await configure();
    proxy.addRule({ method: "POST", path: registrationPath(), fault: { kind: "drop-response" }, times: 1 });
    await failure(register({ ...where(), clientId: "faults-create-norecovery" }));
    const e = await failure(register({ ...where(), clientId: "faults-create-norecovery" }));
    expect(e).toBeInstanceOf(ClientIdInUse);
    expect(e.message).toContain("recoveryClientId");
    expect(e.message).toContain("adopt");
  });

  test("a create answered 502 is not retried and registers nothing", async () => {
    await configure();
    proxy.addRule({ method: "POST", path: registrationPath(), fault: { kind: "status", status: 502 }, times: 1 });
    const e = await failure(register({ ...where(), clientId: "faults-create-502" }));
    expect(e).toBeInstanceOf(ServerFailure);
    // The one 5xx a healthy dev-mode Keycloak gives under parallel creates: H2's 2-second lock timeout.
    expect(e.message).toContain("A Keycloak in development mode (start-dev, H2 database) answers 500 \"Database operation failed\" when parallel registrations wait more than 2 s for a database lock: run `pulumi up --parallel 1` there, or start it with --db-url-properties=;LOCK_TIMEOUT=60000");
    expect(proxy.count("POST", registrationPath())).toBe(1);
    expect(await realm.getClient("faults-create-502")).toBeUndefined();
  });

  test("an update whose answer is dropped kills the stored token; the next update recovers a fresh one", async () => {
    await configure({ recovery: true });
    const { id, outs } = await registered("faults-update-dropped");
    proxy.addRule({ method: "PUT", path: registrationPath(id), fault: { kind: "drop-response" }, times: 1 });
    const e = await failure(apply(id, outs, { ...where(), clientId: id, description: "v1" }));
    expect(e).toBeInstanceOf(ServerUnreachable);
    expect(proxy.count("PUT", registrationPath(id))).toBe(1); // not retried
    // Keycloak applied it and rotated the token; the engine keeps the old (now dead) one.
    expect((await realm.getClient(id))?.description).toBe("v1");
    expect(await tokenWorks(id, outs.registrationAccessToken)).toBe(false);

    const { outs: after } = await apply(id, outs, { ...where(), clientId: id, description: "v2" });
    secrets.add("recovered token", after.registrationAccessToken);
    expect((await realm.getClient(id))?.description).toBe("v2");
    expect(await tokenWorks(id, after.registrationAccessToken)).toBe(true);
  });
});

describe("timeouts and clear errors", () => {
  test("timeoutSeconds bounds each request: a delayed read fails with RequestTimedOut after its retries", async () => {
    await configure({ timeoutSeconds: 1, retries: 1 });
    const { id, outs } = await registered("faults-timeout");
    const path = registrationPath(id);
    proxy.addRule({ method: "GET", path, fault: { kind: "delay", ms: 3_000 } });
    const started = Date.now();
    const e = await failure(provider.read(id, outs));
    const took = Date.now() - started;
    expect(e).toBeInstanceOf(RequestTimedOut);
    expect(e.message).toContain("no answer within 1 s");
    expect(e.message).toContain("timeoutSeconds");
    expect(proxy.count("GET", path)).toBe(2);
    expect(took).toBeGreaterThanOrEqual(2_000);
    expect(took).toBeLessThan(5_000);
  });

  test("a delayed update times out once and is not retried", async () => {
    await configure({ timeoutSeconds: 1, recovery: true });
    const { id, outs } = await registered("faults-timeout-update");
    proxy.addRule({ method: "PUT", path: registrationPath(id), fault: { kind: "delay", ms: 2_500 }, times: 1 });
    const e = await failure(apply(id, outs, { ...where(), clientId: id, description: "late" }));
    expect(e).toBeInstanceOf(RequestTimedOut);
    expect(proxy.count("PUT", registrationPath(id))).toBe(1);
    // Whatever Keycloak did with the late request, the next update converges.
    await new Promise((r) => setTimeout(r, 2_000));
    const { outs: after } = await apply(id, outs, { ...where(), clientId: id, description: "on time" });
    secrets.add("token after timeout", after.registrationAccessToken);
    expect((await realm.getClient(id))?.description).toBe("on time");
    expect(await tokenWorks(id, after.registrationAccessToken)).toBe(true);
  });

  test("a server that is not there is ServerUnreachable, naming the client and the server", async () => {
    await configure({ retries: 1 });
    const { id, outs } = await registered("faults-unreachable");
    proxy.addRule({ method: "GET", path: registrationPath(id), fault: { kind: "reset" } });
    const reset = await failure(provider.read(id, outs));
    expect(reset).toBeInstanceOf(ServerUnreachable);
    expect(reset.message).toContain(proxy.url);
    const closed = await failure(provider.read(id, { ...outs, serverUrl: "http://127.0.0.1:1" }));
    expect(closed).toBeInstanceOf(ServerUnreachable);
    expect(closed.message).toContain('client "faults-unreachable"');
    expect((closed as RegistrationError).code).toBe("unreachable");
  });
});
