import { RegistrationAccessTokenRejected } from "../../provider/registration/errors";
import type { TestRealm } from "../bed/realm";
import { apply, configureProvider, provider, realmForThisFile, register } from "../support/providerHarness";

let realm: TestRealm;
let serverUrl: string;
const where = () => ({ serverUrl, realm: realm.name });

beforeAll(async () => {
  const bed = await realmForThisFile("recovery");
  realm = bed.realm;
  serverUrl = bed.server.url;
});
afterAll(async () => realm?.remove());

/** Simulates the crash window: Keycloak rotated the token, the engine never saved the new one. */
async function loseToken(clientId: string): Promise<void> {
  await realm.issueRegistrationAccessToken(clientId);
}

describe("a lost registration access token", () => {
  test("without a recovery credential, every operation fails with the documented way back and no token in the message", async () => {
    await configureProvider({ initialAccessToken: await realm.createInitialAccessToken({ count: 1, expiration: 600 }) });
    const { id, outs } = await register({ ...where(), clientId: "lost-no-recovery", description: "a" });
    await loseToken("lost-no-recovery");
    for (const attempt of [
      () => provider.read(id, outs),
      () => apply(id, outs, { ...where(), clientId: "lost-no-recovery", description: "b" }),
      () => provider.delete(id, outs),
    ]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(RegistrationAccessTokenRejected);
      const message = (error as Error).message;
      expect(message).toContain('client "lost-no-recovery"');
      expect(message).toContain("recoveryClientId");
      expect(message).toContain("kcreg.sh update-token");
      expect(message).not.toContain(outs.registrationAccessToken!);
      expect(message).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    }
    expect(await realm.getClient("lost-no-recovery")).toBeDefined();
  });

  test("with a manage-clients recovery service account, read, update and delete carry on with a fresh token", async () => {
    const recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
    await configureProvider({
      initialAccessToken: await realm.createInitialAccessToken({ count: 1, expiration: 600 }),
      recoveryClientId: recovery.clientId,
      recoveryClientSecret: recovery.clientSecret,
    });
    const { id, outs } = await register({ ...where(), clientId: "lost-recovered", description: "a" });

    await loseToken("lost-recovered");
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props.registrationAccessToken).not.toBe(outs.registrationAccessToken);
    // The recovered token is a working one: the next update authenticates with it.
    const { outs: updated } = await apply(id, refreshed.props, { ...where(), clientId: "lost-recovered", description: "b" });
    expect((await realm.getClient("lost-recovered"))?.description).toBe("b");

    await loseToken("lost-recovered");
    const { outs: again } = await apply(id, updated, { ...where(), clientId: "lost-recovered", description: "c" });
    expect((await realm.getClient("lost-recovered"))?.description).toBe("c");

    await loseToken("lost-recovered");
    await provider.delete(id, again);
    expect(await realm.getClient("lost-recovered")).toBeUndefined();
  });

  test("a recovery account that cannot see the client is an error that keeps the resource, never 'gone'", async () => {
    await configureProvider({ initialAccessToken: await realm.createInitialAccessToken({ count: 1, expiration: 600 }) });
    const { id, outs } = await register({ ...where(), clientId: "lost-weak-recovery" });
    await loseToken("lost-weak-recovery");
    // query-clients lists clients, but only those it may view: the list comes back empty.
    const weak = await realm.createServiceAccount({ roles: ["query-clients"] });
    await configureProvider({ recoveryClientId: weak.clientId, recoveryClientSecret: weak.clientSecret });
    const error = await provider.read(id, outs).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('the realm says the client exists, but the recovery service account cannot see it');
    expect((error as Error).message).not.toContain(outs.registrationAccessToken!);
    expect(await realm.getClient("lost-weak-recovery")).toBeDefined();
  });
});
