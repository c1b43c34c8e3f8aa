/**
 * Keycloak over HTTPS with a private CA (issue 5, item 6): it works when the CA is configured with
 * `keycloak-registration:caCertificate` (or KEYCLOAK_REGISTRATION_CA_CERTIFICATE) and is refused
 * otherwise; a certificate for another host name is refused even with the CA configured.
 *
 * This file starts its own Keycloak (HTTP for the admin helpers, HTTPS for the provider), whatever
 * KEYCLOAK_URL says: the shared bed server speaks plain HTTP.
 */
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { TlsFailure } from "../../provider/registration/errors";
import { startKeycloak, type KeycloakServer } from "../bed/keycloak";
import { createPrivateCa, type PrivateCa } from "../bed/privateCa";
import { createTestRealm, type TestRealm } from "../bed/realm";
import { apply, configureProvider, provider, register } from "../support/providerHarness";

jest.setTimeout(600_000);

let ca: PrivateCa;
let otherCa: PrivateCa;
let server: KeycloakServer | undefined;
let realm: TestRealm | undefined;
let httpsUrl: string;
let wrongHost: https.Server | undefined;
let wrongHostUrl: string;
let wrongHostRequests = 0;

beforeAll(async () => {
  ca = createPrivateCa("kcreg tls test CA");
  otherCa = createPrivateCa("kcreg unrelated CA");
  const cert = ca.issue("keycloak", { dns: ["localhost"], ip: ["127.0.0.1"] });
  server = await startKeycloak({ https: { certificateFile: cert.certificateFile, keyFile: cert.keyFile } });
  if (!server.httpsUrl) throw new Error("startKeycloak returned no httpsUrl");
  httpsUrl = server.httpsUrl;
  realm = await createTestRealm(server, `tls-${Math.random().toString(36).slice(2, 8)}`);

  // A TLS server on loopback whose certificate, signed by the same CA, names another host.
  const wrong = ca.issue("wrong", { dns: ["wrong.example"] });
  wrongHost = https.createServer({ cert: wrong.certificatePem, key: wrong.keyPem }, (_req, res) => {
    wrongHostRequests++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => wrongHost!.listen(0, "127.0.0.1", resolve));
  wrongHostUrl = `https://127.0.0.1:${(wrongHost.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  await configureProvider({});
  if (wrongHost) {
    wrongHost.closeAllConnections();
    await new Promise<void>((resolve) => wrongHost!.close(() => resolve()));
  }
  await realm?.remove().catch(() => undefined);
  await server?.stop();
  ca?.remove();
  otherCa?.remove();
}, 120_000);

const token = () => realm!.createInitialAccessToken({ count: 5, expiration: 600 });

describe("Keycloak over HTTPS with a private CA", () => {
  test("the launcher serves HTTPS next to HTTP", () => {
    expect(server!.external).toBe(false);
    expect(httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server!.url).toMatch(/^http:\/\//);
  });

  test("with keycloak-registration:caCertificate, create, update and delete succeed", async () => {
    await configureProvider({ serverUrl: httpsUrl, caCertificate: ca.caCertificatePem, initialAccessToken: await token() });
    const where = { serverUrl: httpsUrl, realm: realm!.name };
    const { id, outs } = await register({ ...where, clientId: "tls-ok", description: "v1" });
    expect(id).toBe("tls-ok");
    expect(outs.serverUrl).toBe(httpsUrl);
    expect((await realm!.getClient("tls-ok"))?.description).toBe("v1");

    const updated = await apply(id, outs, { ...where, clientId: "tls-ok", description: "v2" });
    expect(updated.changes).toBe(true);
    expect((await realm!.getClient("tls-ok"))?.description).toBe("v2");
    await expect(provider.read(id, updated.outs)).resolves.toMatchObject({ id: "tls-ok" });

    await provider.delete(id, updated.outs);
    expect(await realm!.getClient("tls-ok")).toBeUndefined();
  });

  test("the CA from KEYCLOAK_REGISTRATION_CA_CERTIFICATE works the same way", async () => {
    const iat = await token();
    // configureProvider clears KEYCLOAK_REGISTRATION_*; configure directly so the variable is read.
    process.env.KEYCLOAK_REGISTRATION_CA_CERTIFICATE = ca.caCertificatePem;
    try {
      await provider.configure({
        config: {
          get: (key: string) => ({ "keycloak-registration:initialAccessToken": iat, "keycloak-registration:serverUrl": httpsUrl })[key],
          require: (key: string) => {
            throw new Error(`missing ${key}`);
          },
        },
      });
      const { id, outs } = await register({ serverUrl: httpsUrl, realm: realm!.name, clientId: "tls-env" });
      expect((await realm!.getClient("tls-env"))?.clientId).toBe("tls-env");
      await provider.delete(id, outs);
    } finally {
      delete process.env.KEYCLOAK_REGISTRATION_CA_CERTIFICATE;
    }
  });

  test("without the CA, create fails with TlsFailure naming the setting and carrying no token", async () => {
    const iat = await token();
    await configureProvider({ serverUrl: httpsUrl, initialAccessToken: iat });
    const err = await register({ serverUrl: httpsUrl, realm: realm!.name, clientId: "tls-untrusted" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsFailure);
    const message = (err as Error).message;
    expect(message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/);
    expect(message).toContain("keycloak-registration:caCertificate");
    expect(message).toContain(httpsUrl);
    expect(message).not.toContain(iat);
    expect(JSON.stringify(err)).not.toContain(iat);
    expect(await realm!.getClient("tls-untrusted")).toBeUndefined();
  });

  test("an unrelated CA does not make the server trusted", async () => {
    const iat = await token();
    await configureProvider({ serverUrl: httpsUrl, caCertificate: otherCa.caCertificatePem, initialAccessToken: iat });
    const err = await register({ serverUrl: httpsUrl, realm: realm!.name, clientId: "tls-other-ca" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsFailure);
    expect((err as Error).message).not.toContain(iat);
    expect(await realm!.getClient("tls-other-ca")).toBeUndefined();
  });

  test("a certificate for another host name is refused even with the CA configured", async () => {
    const iat = await token();
    // The stack's credentials are bound to one origin: here the wrong host's, so only TLS stands in the way.
    await configureProvider({ serverUrl: wrongHostUrl, caCertificate: ca.caCertificatePem, initialAccessToken: iat });
    const err = await register({ serverUrl: wrongHostUrl, realm: realm!.name, clientId: "tls-wrong-host" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsFailure);
    expect((err as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect((err as Error).message).not.toContain(iat);
    // The handshake failed: no request (and so no token) ever reached that server.
    expect(wrongHostRequests).toBe(0);

    // The same CA still reaches the right server: only the host name made the difference.
    await configureProvider({ serverUrl: httpsUrl, caCertificate: ca.caCertificatePem, initialAccessToken: iat });
    const { id, outs } = await register({ serverUrl: httpsUrl, realm: realm!.name, clientId: "tls-right-host" });
    await provider.delete(id, outs);
  });
});
