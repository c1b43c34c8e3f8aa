import * as fs from "node:fs";
import * as path from "node:path";
import { samlClientProvider } from "../../provider/dynamic";
import type { SamlClientState } from "../../provider/dynamic/samlDiff";
import type { TestRealm } from "../bed/realm";
import { configureProvider, realmForThisFile } from "../support/providerHarness";
import { rejection } from "../support/rejection";

const provider = samlClientProvider as Required<typeof samlClientProvider>;
const descriptor = fs.readFileSync(path.join(__dirname, "..", "fixtures", "sp-entity-descriptor.xml"), "utf8");
const ENTITY_ID = "https://sp.example.com/saml";

let realm: TestRealm;
let serverUrl: string;

beforeAll(async () => {
  const bed = await realmForThisFile("saml");
  realm = bed.realm;
  serverUrl = bed.server.url;
});
afterAll(async () => realm?.remove());

describe("SAML clients through saml2-entity-descriptor, managed through default", () => {
  test("register, repair drift, survive a lost token, delete", async () => {
    const recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
    await configureProvider({
      initialAccessToken: await realm.createInitialAccessToken({ count: 1, expiration: 600 }),
      recoveryClientId: recovery.clientId,
      recoveryClientSecret: recovery.clientSecret,
    });
    const args = { serverUrl, realm: realm.name, entityDescriptor: descriptor };
    const checked = await provider.check({}, args);
    expect(checked.failures).toBeUndefined();
    const created = await provider.create(checked.inputs);
    const outs = created.outs as SamlClientState;
    expect(created.id).toBe(ENTITY_ID);
    const live = await realm.getClient(ENTITY_ID);
    expect(live).toMatchObject({ protocol: "saml", redirectUris: ["https://sp.example.com/saml/acs"] });
    // Key material Keycloak generates for the client is never kept in the state.
    expect(JSON.stringify(outs)).not.toContain("private.key");
    expect(outs.registered.attributes["saml_assertion_consumer_url_post"]).toBe("https://sp.example.com/saml/acs");

    await realm.updateClient(ENTITY_ID, { redirectUris: ["https://evil.example.com/*"], attributes: { ...live!.attributes, "saml.force.post.binding": "false" } });
    const refreshed = (await provider.read(ENTITY_ID, outs)).props as SamlClientState;
    expect(refreshed.observed.redirectUris).toEqual(["https://evil.example.com/*"]);
    const d = await provider.diff(ENTITY_ID, refreshed, checked.inputs);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const repaired = (await provider.update(ENTITY_ID, refreshed, checked.inputs)).outs as SamlClientState;
    expect(await realm.getClient(ENTITY_ID)).toMatchObject({ redirectUris: ["https://sp.example.com/saml/acs"] });
    expect((await realm.getClient(ENTITY_ID))?.attributes?.["saml.force.post.binding"]).toBe("true");
    expect(repaired.registrationAccessToken).not.toBe(outs.registrationAccessToken);
    expect((await provider.diff(ENTITY_ID, repaired, checked.inputs)).changes).toBe(false);

    await realm.issueRegistrationAccessToken(ENTITY_ID);
    await provider.delete(ENTITY_ID, repaired);
    expect(await realm.getClient(ENTITY_ID)).toBeUndefined();
  });

  test("adopt takes over the client registered for the entityID; a create whose answer was lost is taken over with the recovery account", async () => {
    // The marker is keyed with the recovery account's secret: the stack has it from its first create.
    const recovery = await realm.createServiceAccount({ roles: ["manage-clients"] });
    const withRecovery = async () => ({
      initialAccessToken: await realm.createInitialAccessToken({ count: 2, expiration: 600 }),
      recoveryClientId: recovery.clientId,
      recoveryClientSecret: recovery.clientSecret,
    });
    await configureProvider(await withRecovery());
    // __owner is what the SamlClient class passes: the marker is written right after the create.
    const args = { serverUrl, realm: realm.name, entityDescriptor: descriptor, __owner: "proj/dev/SamlClient/sp" };
    const first = await provider.create((await provider.check({}, args)).inputs);
    expect((await realm.getClient(ENTITY_ID))?.attributes?.["pulumi-keycloak-registration.owner"]).toMatch(/^[0-9a-f]{64}$/);
    const token = (first.outs as SamlClientState).registrationAccessToken!;

    // Adopting needs no registration credentials, and keeps what Keycloak holds as the registered settings.
    await configureProvider({});
    const checked = await provider.check({}, { ...args, adopt: { registrationAccessToken: token } });
    expect(checked.failures).toBeUndefined();
    const adopted = await provider.create(checked.inputs);
    expect(adopted.id).toBe(ENTITY_ID);
    const outs = adopted.outs as SamlClientState;
    expect(outs.registered).toEqual((first.outs as SamlClientState).registered);
    expect((await provider.diff(ENTITY_ID, outs, checked.inputs)).changes).toBe(false);

    // Registering the same entityID again is "Client Identifier in use": an error without a recovery
    // account, a takeover with one.
    await configureProvider({ initialAccessToken: await realm.createInitialAccessToken({ count: 2, expiration: 600 }) });
    expect((await rejection(provider.create((await provider.check({}, args)).inputs))).message).toMatch(/clientId is already registered/);
    await configureProvider(await withRecovery());
    // Another resource (another marker) is refused, and the token the stack holds keeps working.
    expect((await rejection(provider.create((await provider.check({}, { ...args, __owner: "other/dev/SamlClient/sp" })).inputs))).message).toMatch(/not taken over/);
    expect((await provider.read(ENTITY_ID, outs)).props).toBeDefined();
    const takenOver = await provider.create((await provider.check({}, args)).inputs);
    const taken = takenOver.outs as SamlClientState;
    expect(taken.registrationAccessToken).not.toBe(token);
    await provider.delete(ENTITY_ID, taken);
    expect(await realm.getClient(ENTITY_ID)).toBeUndefined();

    expect((await rejection(provider.create((await provider.check({}, { ...args, adopt: { registrationAccessToken: token } })).inputs))).message).toMatch(/does not exist|rejected/);
  });
});
