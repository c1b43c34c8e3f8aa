/**
 * Behind a corporate proxy (issue 11): HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured; requests to
 * an https:// Keycloak cross the proxy inside a CONNECT tunnel with TLS verified end to end, so the
 * proxy never sees the Authorization header or a token; an http:// server that a proxy applies to is
 * refused before anything is sent. The Keycloak is the bed's, behind an HTTPS front whose
 * certificate a private CA signed.
 */
import { InsecureProxyRoute, RegistrationError, TlsFailure, UnexpectedResponse } from "../../provider/registration/errors";
import { send } from "../../provider/registration/http";
import { startConnectProxy, startTlsFront, type ConnectProxy, type TlsFront } from "../bed/connectProxy";
import { createPrivateCa, type PrivateCa } from "../bed/privateCa";
import type { TestRealm } from "../bed/realm";
import { apply, configureProvider, provider, realmForThisFile, register } from "../support/providerHarness";

const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];
const saved = Object.fromEntries(PROXY_VARIABLES.map((k) => [k, process.env[k]]));

let realm: TestRealm;
let httpUrl: string;
let ca: PrivateCa;
let otherCa: PrivateCa;
let front: TlsFront;
let proxy: ConnectProxy;
const tokens: string[] = [];

function setProxyEnv(vars: Partial<Record<(typeof PROXY_VARIABLES)[number], string>>): void {
  for (const k of PROXY_VARIABLES) delete process.env[k];
  Object.assign(process.env, vars);
}

beforeAll(async () => {
  const bed = await realmForThisFile("proxy");
  realm = bed.realm;
  httpUrl = bed.server.url;
  ca = createPrivateCa("kcreg proxy test CA");
  otherCa = createPrivateCa("kcreg intercepting proxy CA");
  front = await startTlsFront(httpUrl, ca.issue("front", { dns: ["localhost"], ip: ["127.0.0.1"] }));
  proxy = await startConnectProxy();
});
beforeEach(async () => {
  setProxyEnv({});
  await proxy.reset();
  proxy.setMode("tunnel");
  proxy.requireCredentials(undefined);
});
afterAll(async () => {
  setProxyEnv({});
  for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  await proxy?.close();
  await front?.close();
  await realm?.remove();
  ca?.remove();
  otherCa?.remove();
});

async function initialAccessToken(): Promise<string> {
  const iat = await realm.createInitialAccessToken({ count: 5, expiration: 600 });
  tokens.push(iat);
  return iat;
}

async function failure(p: Promise<unknown>): Promise<RegistrationError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RegistrationError);
  for (const t of tokens) expect((e as Error).message).not.toContain(t);
  return e as RegistrationError;
}

/** What the proxy saw carries no credential: no Authorization header, no token, no request line of the registration API. */
function expectOpaque(seen: Buffer): void {
  const text = seen.toString("latin1");
  expect(text).not.toMatch(/authorization:\s*bearer/i);
  expect(text).not.toMatch(/^authorization:/im);
  expect(text).not.toContain("clients-registrations");
  for (const t of tokens) expect(text).not.toContain(t);
}

const discovery = (base: string) => `${base}/realms/${realm.name}/.well-known/openid-configuration`;
const ctx = () => ({ operation: "read", serverUrl: front.url, realm: realm.name });

describe("an https:// Keycloak behind HTTPS_PROXY", () => {
  test("create, read, update and delete cross the proxy in a CONNECT tunnel; the proxy never sees the Authorization header or a token", async () => {
    setProxyEnv({ HTTPS_PROXY: proxy.url });
    await configureProvider({ serverUrl: front.url, caCertificate: ca.caCertificatePem, initialAccessToken: await initialAccessToken() });
    const where = { serverUrl: front.url, realm: realm.name };
    const { id, outs } = await register({ ...where, clientId: "behind-proxy", description: "v1" });
    tokens.push(outs.registrationAccessToken!);
    const updated = await apply(id, outs, { ...where, clientId: "behind-proxy", description: "v2" });
    tokens.push(updated.outs.registrationAccessToken!);
    expect((await realm.getClient("behind-proxy"))?.description).toBe("v2");
    await expect(provider.read(id, updated.outs)).resolves.toMatchObject({ id: "behind-proxy" });
    await provider.delete(id, updated.outs);
    expect(await realm.getClient("behind-proxy")).toBeUndefined();

    const frontPort = new URL(front.url).port;
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
    expect(proxy.connects.every((c) => c.target === `127.0.0.1:${frontPort}`)).toBe(true);
    // Keep-alive: one tunnel carries many requests.
    expect(proxy.connects.length).toBeLessThan(front.requests.length);
    expect(proxy.plainRequests).toEqual([]);
    // The requests did carry their tokens, inside TLS: every registration request at the front had Authorization.
    const registrationRequests = front.requests.filter((r) => r.path.includes("/clients-registrations/"));
    expect(registrationRequests.map((r) => r.method)).toEqual(expect.arrayContaining(["POST", "PUT", "GET", "DELETE"]));
    expect(registrationRequests.every((r) => r.authorization)).toBe(true);
    // What crossed the proxy is TLS records (content type 0x16 handshake, 0x17 application data) and nothing readable.
    const seen = proxy.seen();
    expect(seen.includes(Buffer.from([0x17, 0x03, 0x03]))).toBe(true);
    expectOpaque(seen);
  });

  test("the lowercase https_proxy wins over HTTPS_PROXY, as curl reads them", async () => {
    setProxyEnv({ https_proxy: proxy.url, HTTPS_PROXY: "http://127.0.0.1:1" });
    const res = await send<{ issuer: string }>({ method: "GET", url: discovery(front.url), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 });
    expect(res.status).toBe(200);
    expect(proxy.connects.map((c) => c.target)).toEqual([`127.0.0.1:${new URL(front.url).port}`]);
  });

  test.each([
    { noProxy: "*", via: false },
    { noProxy: "127.0.0.1", via: false },
    { noProxy: "127.0.0.0/8", via: false },
    { noProxy: "example.com, 127.0.0.1:{port}", via: false },
    { noProxy: "127.0.0.1:1", via: true },
    { noProxy: ".example.com,10.0.0.0/8", via: true },
  ])("NO_PROXY=$noProxy → through the proxy: $via", async ({ noProxy, via }) => {
    const port = new URL(front.url).port;
    setProxyEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: noProxy.replace("{port}", port) });
    const res = await send({ method: "GET", url: discovery(front.url), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 });
    expect(res.status).toBe(200);
    expect(proxy.connects.length).toBe(via ? 1 : 0);
  });

  test("NO_PROXY matches a host name and its subdomains (localhost)", async () => {
    const localhostUrl = front.url.replace("127.0.0.1", "localhost");
    setProxyEnv({ HTTPS_PROXY: proxy.url, no_proxy: ".localhost" });
    await send({ method: "GET", url: discovery(localhostUrl), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 });
    expect(proxy.connects.length).toBe(0);
    setProxyEnv({ HTTPS_PROXY: proxy.url, no_proxy: "otherhost" });
    await proxy.reset();
    await send({ method: "GET", url: discovery(localhostUrl), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 });
    expect(proxy.connects.map((c) => c.target)).toEqual([`localhost:${new URL(front.url).port}`]);
  });

  test("TLS is verified end to end: an intercepting proxy with its own certificate gets a TlsFailure, not the token", async () => {
    setProxyEnv({ HTTPS_PROXY: proxy.url });
    proxy.setMode({ intercept: otherCa.issue("interceptor", { dns: ["localhost"], ip: ["127.0.0.1"] }) });
    const iat = await initialAccessToken();
    const before = front.requests.length;
    const e = await failure(
      send(
        { method: "POST", url: `${front.url}/realms/${realm.name}/clients-registrations/default`, token: { kind: "initial access token", value: iat }, body: { clientId: "intercepted" }, ctx: { ...ctx(), operation: "create" } },
        { caCertificate: ca.caCertificatePem },
      ),
    );
    expect(e).toBeInstanceOf(TlsFailure);
    expect(e.message).toContain(`through the proxy ${proxy.url} from HTTPS_PROXY`);
    expect(proxy.connects.length).toBe(1);
    expect(proxy.intercepted().length).toBe(0);
    expect(front.requests.length).toBe(before);
    expectOpaque(proxy.seen());
  });

  test("proxy credentials in HTTPS_PROXY go to the proxy only, and never into a message", async () => {
    const password = "proxy-pass-5f1c9e";
    proxy.requireCredentials({ user: "builder", password });
    setProxyEnv({ HTTPS_PROXY: proxy.url });
    const e = await failure(send({ method: "GET", url: discovery(front.url), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 }));
    expect(e).toBeInstanceOf(UnexpectedResponse);
    expect(e.code).toBe("proxy-authentication-required");
    expect(e.status).toBe(407);

    setProxyEnv({ HTTPS_PROXY: proxy.url.replace("http://", `http://builder:${password}@`) });
    await proxy.reset();
    const before = front.requests.length;
    const res = await send({ method: "GET", url: discovery(front.url), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 });
    expect(res.status).toBe(200);
    expect(proxy.connects.at(-1)?.headers["proxy-authorization"]).toBe(`Basic ${Buffer.from(`builder:${password}`).toString("base64")}`);
    expect(front.requests.slice(before).some((r) => r.proxyAuthorization)).toBe(false);

    // A failure through that proxy names it without its credentials.
    setProxyEnv({ HTTPS_PROXY: `http://builder:${password}@127.0.0.1:1` });
    const unreachable = await failure(send({ method: "GET", url: discovery(front.url), ctx: ctx() }, { caCertificate: ca.caCertificatePem, retries: 0 }));
    expect(unreachable.message).toContain("through the proxy http://127.0.0.1:1 from HTTPS_PROXY");
    expect(unreachable.message).not.toContain(password);
  });
});

describe("an http:// server that a proxy applies to", () => {
  test("is refused with InsecureProxyRoute before a byte is sent; NO_PROXY lets it through directly", async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    const iat = await initialAccessToken();
    await configureProvider({ serverUrl: httpUrl, initialAccessToken: iat });
    const e = await failure(register({ serverUrl: httpUrl, realm: realm.name, clientId: "plaintext-proxy" }));
    expect(e).toBeInstanceOf(InsecureProxyRoute);
    expect(e.code).toBe("plaintext-through-proxy");
    expect(e.message).toContain(`HTTP_PROXY sends requests for ${httpUrl} through the proxy ${proxy.url}`);
    expect(e.message).toContain("Use an https:// serverUrl");
    expect(e.message).toContain("NO_PROXY");
    expect(proxy.connects).toEqual([]);
    expect(proxy.plainRequests).toEqual([]);
    expect(proxy.seen().length).toBe(0);
    expect(await realm.getClient("plaintext-proxy")).toBeUndefined();

    // HTTPS_PROXY alone does not apply to http:// (curl's reading), nor does a proxy the host is exempt from.
    for (const env of [{ HTTPS_PROXY: proxy.url }, { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }]) {
      setProxyEnv(env);
      const { id, outs } = await register({ serverUrl: httpUrl, realm: realm.name, clientId: "plaintext-proxy" });
      await provider.delete(id, outs);
    }
    expect(proxy.connects).toEqual([]);
    expect(proxy.plainRequests).toEqual([]);
  });
});
