import * as fs from "node:fs";
import * as path from "node:path";
import axios from "axios";
import { ClientPolicyRejected } from "../../provider/registration/errors";
import type { KeycloakServer } from "../bed/keycloak";
import { makeProgramDir, PulumiStack, REPO_ROOT, type CommandResult } from "../bed/pulumiHarness";
import { adminClient, createTestRealm, type TestRealm } from "../bed/realm";
import { useStackFixture } from "../bed/stackFixture";
import { isCiphertext } from "../support/leaks";
import { configureProvider, provider } from "../support/providerHarness";
import { oidcClientProvider } from "../../provider/dynamic";
import { rejection } from "../support/rejection";

/**
 * Keycloak's client policies against the provider: each common executor in a profile applied to
 * registrations by initial access token and by registration access token (`client-updater-context`).
 * For each: a declaration it refuses fails with ClientPolicyRejected naming no role (at create, with
 * the initial access token, and at update, with the registration access token); a declaration it
 * overrides converges through a real `pulumi up` (one warning, then `preview --expect-no-changes`
 * passes, before and after a refresh, with no token rotated); a declaration that satisfies it
 * registers and stays converged. Every answer below was measured on Keycloak 26.7.3.
 */

const SOURCES = ["ByInitialAccessToken", "ByRegistrationAccessToken"];
const POLICY = "kcreg-e2e";

/** One declaration, as the test program builds it: a KeycloakClient ("keycloak") or an OidcClient ("oidc"). */
interface Declared {
  kind: "keycloak" | "oidc";
  args: Record<string, unknown>;
}

/** A declaration the executor overrides: the field as the provider names it, and the value Keycloak keeps. */
interface Overridden extends Declared {
  field: string;
  enforced: unknown;
}

interface ExecutorCase {
  executor: string;
  configuration: Record<string, unknown>;
  refused?: Declared[];
  overridden?: Overridden[];
  satisfied?: Declared[];
}

const HTTPS_APP = ["https://app.example.com/callback"];

/** The executors, one configuration each, with what 26.7.3 does to each declaration. */
const CASES: ExecutorCase[] = [
  {
    executor: "secure-client-authenticator",
    configuration: { "allowed-client-authenticators": ["client-jwt"], "default-client-authenticator": "client-jwt" },
    refused: [
      { kind: "keycloak", args: { clientAuthenticatorType: "client-secret" } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, token_endpoint_auth_method: "client_secret_basic" } },
    ],
    satisfied: [
      { kind: "keycloak", args: { clientAuthenticatorType: "client-jwt", jwksUrl: "https://app.example.com/jwks.json" } },
      // Not declared: Keycloak applies the executor's default, which the program does not contradict.
      { kind: "keycloak", args: { description: "authenticator left to the realm" } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://app.example.com/jwks.json" } },
    ],
  },
  {
    executor: "pkce-enforcer",
    configuration: { "auto-configure": true },
    overridden: [{ kind: "keycloak", args: { pkceCodeChallengeMethod: "plain" }, field: "pkceCodeChallengeMethod", enforced: "S256" }],
    satisfied: [
      { kind: "keycloak", args: { pkceCodeChallengeMethod: "S256" } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
  },
  {
    executor: "pkce-enforcer",
    configuration: { "auto-configure": false },
    refused: [
      { kind: "keycloak", args: { description: "no PKCE" } },
      // RFC 7591 has no PKCE metadata (Keycloak: "Unrecognized field"): an OidcClient cannot satisfy it.
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
    satisfied: [{ kind: "keycloak", args: { pkceCodeChallengeMethod: "S256" } }],
  },
  {
    executor: "secure-redirect-uris-enforcer",
    configuration: {},
    refused: [
      { kind: "keycloak", args: { redirectUris: ["https://app.example.com/*"] } },
      { kind: "oidc", args: { redirect_uris: ["http://app.example.com/callback"] } },
    ],
    satisfied: [
      { kind: "keycloak", args: { redirectUris: HTTPS_APP } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
  },
  {
    executor: "secure-client-uris",
    configuration: {},
    refused: [
      { kind: "keycloak", args: { rootUrl: "http://app.example.com" } },
      { kind: "oidc", args: { redirect_uris: ["http://app.example.com/callback"] } },
    ],
    satisfied: [
      { kind: "keycloak", args: { rootUrl: "https://app.example.com", redirectUris: HTTPS_APP } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
  },
  {
    executor: "consent-required",
    configuration: { "auto-configure": true },
    overridden: [{ kind: "keycloak", args: { consentRequired: false }, field: "consentRequired", enforced: true }],
    satisfied: [
      { kind: "keycloak", args: { consentRequired: true } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
  },
  {
    executor: "consent-required",
    configuration: { "auto-configure": false },
    refused: [
      { kind: "keycloak", args: { consentRequired: false } },
      // RFC 7591 has no consent metadata: an OidcClient cannot satisfy it without auto-configure.
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
    satisfied: [{ kind: "keycloak", args: { consentRequired: true } }],
  },
  {
    executor: "full-scope-disabled",
    configuration: { "auto-configure": true },
    overridden: [{ kind: "keycloak", args: { fullScopeAllowed: true }, field: "fullScopeAllowed", enforced: false }],
    satisfied: [
      { kind: "keycloak", args: { fullScopeAllowed: false } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
  },
  {
    executor: "full-scope-disabled",
    configuration: { "auto-configure": false },
    refused: [
      { kind: "keycloak", args: { fullScopeAllowed: true } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
    satisfied: [{ kind: "keycloak", args: { fullScopeAllowed: false } }],
  },
  {
    executor: "secure-signature-algorithm",
    configuration: { "default-algorithm": "PS256" },
    refused: [
      { kind: "keycloak", args: { attributes: { "id.token.signed.response.alg": "RS256" } } },
      { kind: "keycloak", args: { clientAuthenticatorType: "client-jwt", jwksUrl: "https://app.example.com/jwks.json", tokenEndpointAuthSigningAlg: "RS256" } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, extra: { id_token_signed_response_alg: "RS256" } } },
    ],
    satisfied: [
      { kind: "keycloak", args: { clientAuthenticatorType: "client-jwt", jwksUrl: "https://app.example.com/jwks.json", tokenEndpointAuthSigningAlg: "PS256", attributes: { "id.token.signed.response.alg": "ES256" } } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, extra: { id_token_signed_response_alg: "ES256" } } },
    ],
  },
  {
    executor: "holder-of-key-enforcer",
    configuration: { "auto-configure": true },
    overridden: [
      { kind: "keycloak", args: { tlsClientCertificateBoundAccessTokens: false }, field: "tlsClientCertificateBoundAccessTokens", enforced: true },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, tls_client_certificate_bound_access_tokens: false }, field: "tls_client_certificate_bound_access_tokens", enforced: true },
    ],
    satisfied: [
      { kind: "keycloak", args: { clientAuthenticatorType: "client-x509", tlsClientAuthSubjectDn: "CN=app,O=Example", tlsClientCertificateBoundAccessTokens: true } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, token_endpoint_auth_method: "tls_client_auth", tls_client_auth_subject_dn: "CN=app,O=Example", tls_client_certificate_bound_access_tokens: true } },
    ],
  },
  {
    executor: "holder-of-key-enforcer",
    configuration: { "auto-configure": false },
    refused: [
      { kind: "keycloak", args: { tlsClientCertificateBoundAccessTokens: false } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP } },
    ],
    satisfied: [
      { kind: "keycloak", args: { tlsClientCertificateBoundAccessTokens: true } },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, tls_client_certificate_bound_access_tokens: true } },
    ],
  },
  {
    executor: "dpop-bind-enforcer",
    configuration: { "auto-configure": true },
    overridden: [
      { kind: "keycloak", args: { dpopBoundAccessTokens: false }, field: "dpopBoundAccessTokens", enforced: true },
      { kind: "oidc", args: { redirect_uris: HTTPS_APP, dpop_bound_access_tokens: false }, field: "dpop_bound_access_tokens", enforced: true },
    ],
    satisfied: [{ kind: "oidc", args: { redirect_uris: HTTPS_APP, dpop_bound_access_tokens: true, require_pushed_authorization_requests: true } }],
  },
];

/** Declares one resource per entry of clients.json; exports what the test checks. */
const PROGRAM = `"use strict";
const fs = require("fs");
const { KeycloakClient, OidcClient } = require("pulumi-keycloak-registration");
const spec = JSON.parse(fs.readFileSync(__dirname + "/clients.json", "utf8"));
for (const [name, { kind, args }] of Object.entries(spec)) {
  if (kind === "oidc") {
    const c = new OidcClient(name, args);
    exports[name] = { clientId: c.client_id, registrationAccessToken: c.registration_access_token, clientSecret: c.client_secret, clientSecretExpiresAt: c.client_secret_expires_at, serverOverrides: c.serverOverrides };
  } else {
    const c = new KeycloakClient(name, args);
    exports[name] = {
      clientId: c.clientId,
      registrationAccessToken: c.registrationAccessToken,
      clientSecret: c.clientSecret,
      clientSecretExpiresAt: c.clientSecretExpiresAt,
      rotatedClientSecretExpiresAt: c.rotatedClientSecretExpiresAt,
      serverOverrides: c.serverOverrides,
    };
  }
}
`;

interface Output {
  clientId: string;
  registrationAccessToken: string;
  clientSecret?: string;
  clientSecretExpiresAt?: number;
  rotatedClientSecretExpiresAt?: number;
  serverOverrides?: Record<string, { declared: unknown; enforced: unknown }>;
}

/** Words that would advise more privilege: a client-policy refusal is never fixed by a role. */
const ROLE_ADVICE = /\brole\b|create-client|manage-clients|realm-management/;

describe("client policies (executors applied by initial and by registration access token)", () => {
  // One realm, one initial access token for every case (each executor registers a few clients).
  const fx = useStackFixture({ name: "e2e-policies", program: PROGRAM, initialAccessToken: { count: 500, expiration: 7200 } });
  let server: KeycloakServer;
  let realm: TestRealm;
  let iat: string;
  let programDir: string;
  let stack: PulumiStack;
  const secrets = fx.secrets;
  const transcripts = fx.transcripts;
  const tried: string[] = [];

  const declare = (spec: Record<string, Declared>) => fs.writeFileSync(path.join(programDir, "clients.json"), JSON.stringify(spec, null, 2));
  const record = (what: string, r: CommandResult) => {
    transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
    return r;
  };
  const outputs = async (): Promise<Record<string, Output>> => {
    const out = (await stack.outputs({ showSecrets: true })) as Record<string, Output>;
    for (const [name, o] of Object.entries(out)) {
      secrets.add(`${name} registration access token`, o.registrationAccessToken);
      secrets.add(`${name} client secret`, o.clientSecret);
    }
    return out;
  };
  /** Provider-level arguments (what the resource classes add from the stack config). */
  const located = (d: Declared) => ({ serverUrl: server.url, realm: realm.name, ...d.args });
  let serial = 0;
  const uniqueId = (label: string) => `cp-${label}-${++serial}`;

  beforeAll(async () => {
    ({ realm, stack, programDir } = fx);
    server = realm.server;
    iat = fx.initialAccessToken!;
    await configureProvider({ serverUrl: server.url, realm: realm.name, initialAccessToken: iat });
    declare({});
  });

  afterAll(() => {
    process.stderr.write(`client policies on Keycloak ${server?.version}: executors tried: ${tried.join(", ")}\n`);
  });

  afterEach(async () => {
    await realm.removeClientPolicy(POLICY);
  });

  /** Registers `d` at provider level (check → create); the error when it fails. */
  async function registerProviderLevel(d: Declared, label: string): Promise<{ id: string; outs: Record<string, unknown> } | Error> {
    const p = d.kind === "oidc" ? oidcClientProvider : provider;
    const args = d.kind === "keycloak" && d.args.clientId === undefined ? { ...located(d), clientId: uniqueId(label) } : located(d);
    const checked = await p.check({}, args);
    if (checked.failures?.length) throw new Error(`check failed for ${JSON.stringify(d)}: ${JSON.stringify(checked.failures)}`);
    try {
      const created = await p.create(checked.inputs);
      secrets.add("registration access token", (created.outs as Output).registrationAccessToken ?? created.outs.registration_access_token);
      return created as { id: string; outs: Record<string, unknown> };
    } catch (e) {
      return e as Error;
    }
  }

  function expectClientPolicyRefusal(e: unknown, d: Declared) {
    expect({ declared: d, class: (e as Error)?.constructor?.name, code: (e as { code?: string })?.code }).toEqual({ declared: d, class: "ClientPolicyRejected", code: "client-policy-rejected" });
    expect(e).toBeInstanceOf(ClientPolicyRejected);
    const message = (e as Error).message;
    expect(message).toContain("a client policy of the realm refused this client's metadata");
    expect(message).toContain("Realm settings > Client policies");
    expect(message).not.toMatch(ROLE_ADVICE);
    expect(secrets.findIn("refusal message", message)).toEqual([]);
  }

  test.each(CASES.map((c) => [`${c.executor} ${JSON.stringify(c.configuration)}`, c] as const))("%s", async (_label, c) => {
    tried.push(c.executor);
    // Clients registered before the policy exists, for the updates by registration access token.
    const before = new Map<Declared, { id: string; outs: Record<string, unknown> }>();
    for (const d of c.refused ?? []) {
      const plain: Declared = d.kind === "oidc" ? { kind: "oidc", args: { redirect_uris: HTTPS_APP } } : { kind: "keycloak", args: {} };
      const r = await registerProviderLevel(plain, "pre");
      if (r instanceof Error) throw r;
      before.set(d, r);
    }
    await realm.applyClientPolicy(POLICY, [{ executor: c.executor, configuration: c.configuration }], SOURCES);

    // Refused: by initial access token at create, by registration access token at update.
    for (const d of c.refused ?? []) {
      const created = await registerProviderLevel(d, "refused");
      expectClientPolicyRefusal(created, d);
      const existing = before.get(d)!;
      const p = d.kind === "oidc" ? oidcClientProvider : provider;
      const args = d.kind === "keycloak" ? { ...located(d), clientId: existing.id } : located(d);
      const checked = await p.check(existing.outs, args);
      const updated = await p.update(existing.id, existing.outs, checked.inputs).then(
        () => undefined,
        (e: unknown) => e,
      );
      expectClientPolicyRefusal(updated, d);
    }

    // Satisfied and overridden declarations through the engine; the refused ones never reach it.
    const engineCases = [...(c.satisfied ?? []).map((d) => ({ ...d, field: undefined, enforced: undefined })), ...(c.overridden ?? [])];
    if (engineCases.length === 0) return;
    const spec: Record<string, Declared> = {};
    engineCases.forEach((d, i) => {
      const name = `${c.executor.replace(/[^a-z]/g, "")}${i}`;
      spec[name] = d.kind === "keycloak" ? { kind: "keycloak", args: { clientId: uniqueId(name), ...d.args } } : d;
    });
    declare(spec);
    const up = record(`${c.executor} up`, await stack.up());
    const out = await outputs();
    const names = Object.keys(spec);
    for (const [i, d] of engineCases.entries()) {
      const o = out[names[i]!]!;
      if (d.field === undefined) {
        expect({ name: names[i], serverOverrides: o.serverOverrides }).toEqual({ name: names[i], serverOverrides: undefined });
      } else {
        // Recorded with what was declared and what Keycloak keeps; said once in `up`'s output.
        expect({ name: names[i], serverOverrides: o.serverOverrides }).toEqual({
          name: names[i],
          serverOverrides: { [d.field]: { declared: (d.args as Record<string, unknown>)[d.field], enforced: d.enforced } },
        });
        expect(up.stdout).toContain(`${d.field}: declared ${JSON.stringify((d.args as Record<string, unknown>)[d.field])}, the server keeps ${JSON.stringify(d.enforced)}`);
      }
    }
    // Once per overridden client, in the summary of diagnostics (the live view shows the same lines).
    const diagnostics = up.stdout.slice(up.stdout.indexOf("Diagnostics:"));
    expect(diagnostics.split("the server did not keep").length - 1).toBe((c.overridden ?? []).length);
    expect(up.stdout).not.toMatch(ROLE_ADVICE);

    // Converged: no change before or after a refresh, and no token rotated by either.
    record(`${c.executor} preview`, await stack.preview({ expectNoChanges: true }));
    record(`${c.executor} refresh`, await stack.refresh());
    record(`${c.executor} preview after refresh`, await stack.preview({ expectNoChanges: true }));
    const after = await outputs();
    for (const name of names) expect({ name, token: after[name]!.registrationAccessToken === out[name]!.registrationAccessToken }).toEqual({ name, token: true });
    const exported = await stack.exportState();
    for (const r of exported.json.deployment.resources ?? []) {
      if (r.outputs?.registrationAccessToken !== undefined) expect(isCiphertext(r.outputs.registrationAccessToken)).toBe(true);
      if (r.outputs?.registration_access_token !== undefined) expect(isCiphertext(r.outputs.registration_access_token)).toBe(true);
    }
    transcripts.push({ where: `${c.executor} export`, text: exported.raw });

    // An update of an overridden client (by registration access token): the executor overrides again,
    // the record is the same, so nothing new is said and the next preview is empty again.
    if ((c.overridden ?? []).length > 0) {
      for (const [i, d] of engineCases.entries()) {
        if (d.field === undefined) continue;
        const name = names[i]!;
        spec[name] = { ...spec[name]!, args: { ...spec[name]!.args, ...(d.kind === "oidc" ? { client_name: "updated" } : { description: "updated" }) } };
      }
      declare(spec);
      const update = record(`${c.executor} update`, await stack.up());
      expect(update.stdout).not.toContain("the server did not keep");
      const updated = await outputs();
      for (const [i, d] of engineCases.entries()) {
        if (d.field === undefined) continue;
        const o = updated[names[i]!]!;
        expect({ name: names[i], rotated: o.registrationAccessToken !== out[names[i]!]!.registrationAccessToken, serverOverrides: o.serverOverrides }).toEqual({
          name: names[i],
          rotated: true,
          serverOverrides: { [d.field]: { declared: (d.args as Record<string, unknown>)[d.field], enforced: d.enforced } },
        });
      }
      record(`${c.executor} preview after update`, await stack.preview({ expectNoChanges: true }));
    }

    // Destroyed while the policy still applies (deletes by registration access token are not judged).
    declare({});
    record(`${c.executor} up (remove)`, await stack.up());
  });

  test("client-scopes: Keycloak 26.7.3 has no such executor (the profile is refused); the client-scopes condition and the Allowed Client Scopes registration policy exist", async () => {
    tried.push("client-scopes (absent)");
    const kc = await adminClient(server);
    const refused = await rejection(
      kc.clientPolicies.createProfiles({ realm: realm.name, profiles: [{ name: "scopes", executors: [{ executor: "client-scopes", configuration: {} }] }] }),
    );
    expect(refused.message).toMatch(/400|does not have valid provider/);
  });

  test("client secret rotation: a secret rotated by an update reaches clientSecret; its and the rotated-out secret's expiry are outputs; no up fights it", async () => {
    tried.push("secret-rotation (client-secret-rotation)");
    const token = await axios.post(
      `${server.url}/realms/master/protocol/openid-connect/token`,
      new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username: server.adminUsername, password: server.adminPassword }),
    );
    const info = await axios.get(`${server.url}/admin/serverinfo`, { headers: { Authorization: `Bearer ${token.data.access_token}` } });
    const feature = (info.data.features as Array<{ name: string; enabled: boolean }>).find((f) => f.name === "CLIENT_SECRET_ROTATION");
    if (!feature?.enabled) {
      throw new Error(
        `Keycloak ${server.version} at ${server.url} runs without the client-secret-rotation feature (a preview feature in 26.7, on by default from 26.8): ` +
          "start it with --features=client-secret-rotation to run this test (a Keycloak the test bed starts itself has it)",
      );
    }
    // Expires after 120 s; an update in the last 110 s rotates it, and the old one stays valid for 60 s more.
    await realm.applyClientPolicy(POLICY, [{ executor: "secret-rotation", configuration: { "expiration-period": "120", "rotated-expiration-period": "60", "remaining-rotation-period": "110" } }], SOURCES);
    const kcId = uniqueId("rotating");
    declare({ rotating: { kind: "keycloak", args: { clientId: kcId, description: "v1", serviceAccountsEnabled: true } }, rotatingOidc: { kind: "oidc", args: { redirect_uris: HTTPS_APP, client_name: "v1" } } });
    const started = Math.floor(Date.now() / 1000);
    record("rotation up", await stack.up());
    const first = await outputs();
    expect(first.rotating!.clientSecretExpiresAt).toBeGreaterThanOrEqual(started + 115);
    expect(first.rotating!.clientSecretExpiresAt).toBeLessThanOrEqual(started + 130);
    expect(first.rotating!.rotatedClientSecretExpiresAt).toBeUndefined();
    expect(first.rotatingOidc!.clientSecretExpiresAt).toBeGreaterThanOrEqual(started + 115);
    record("rotation preview", await stack.preview({ expectNoChanges: true }));

    // Past the rotation window's start: the next update makes Keycloak rotate.
    await new Promise((r) => setTimeout(r, 12_000));
    declare({ rotating: { kind: "keycloak", args: { clientId: kcId, description: "v2", serviceAccountsEnabled: true } }, rotatingOidc: { kind: "oidc", args: { redirect_uris: HTTPS_APP, client_name: "v2" } } });
    const updatedAt = Math.floor(Date.now() / 1000);
    record("rotation update", await stack.up());
    const second = await outputs();
    const live = await realm.getClient(kcId);
    expect(second.rotating!.clientSecret).not.toBe(first.rotating!.clientSecret);
    expect(second.rotating!.clientSecret).toBe(live?.secret);
    expect(second.rotating!.clientSecretExpiresAt).toBe(Number(live?.attributes?.["client.secret.expiration.time"]));
    expect(second.rotating!.clientSecretExpiresAt).toBeGreaterThanOrEqual(updatedAt + 115);
    expect(second.rotating!.rotatedClientSecretExpiresAt).toBe(Number(live?.attributes?.["client.secret.rotated.expiration.time"]));
    expect(second.rotating!.rotatedClientSecretExpiresAt).toBeGreaterThanOrEqual(updatedAt + 55);
    const liveOidc = await realm.getClient(second.rotatingOidc!.clientId);
    expect(second.rotatingOidc!.clientSecret).not.toBe(first.rotatingOidc!.clientSecret);
    expect(second.rotatingOidc!.clientSecret).toBe(liveOidc?.secret);
    // Both secrets work while the rotated-out one is still valid.
    for (const secret of [second.rotating!.clientSecret!, first.rotating!.clientSecret!]) {
      const grant = await realm.serviceAccountToken({ clientId: kcId, clientSecret: secret });
      secrets.add("service-account access token", grant);
    }

    // Nothing left to do, before and after a refresh: no up fights the rotation.
    record("rotation preview after update", await stack.preview({ expectNoChanges: true }));
    record("rotation refresh", await stack.refresh());
    const third = await outputs();
    expect(third.rotating!.clientSecret).toBe(second.rotating!.clientSecret);
    expect(third.rotating!.registrationAccessToken).toBe(second.rotating!.registrationAccessToken);
    record("rotation preview after refresh", await stack.preview({ expectNoChanges: true }));
    const exported = await stack.exportState();
    transcripts.push({ where: "rotation export", text: exported.raw });
    // Keycloak keeps the rotated-out secret as a client attribute: it must not reach the state.
    expect(exported.raw).not.toContain(first.rotating!.clientSecret!);
    declare({});
    record("rotation remove", await stack.up());
  });

  test("examples/client-policies: its profile and policy applied to a fresh realm, the program registers a satisfying client and stays converged", async () => {
    const exampleDir = path.join(REPO_ROOT, "examples", "client-policies");
    const read = (f: string) => fs.readFileSync(path.join(exampleDir, f), "utf8");
    const fapi = await createTestRealm(server, `e2e-fapi-${Math.random().toString(36).slice(2, 8)}`);
    const dir = makeProgramDir({ prefix: "example-client-policies", files: { "Pulumi.yaml": read("Pulumi.yaml"), "package.json": read("package.json"), "index.js": read("index.js") } });
    let example: PulumiStack | undefined;
    try {
      // What the README has the administrator run with kcadm.sh, through the same admin API.
      const kc = await adminClient(server);
      await kc.clientPolicies.createProfiles({ realm: fapi.name, ...JSON.parse(read("client-profiles.json")) });
      await kc.clientPolicies.updatePolicy({ realm: fapi.name, ...JSON.parse(read("client-policies.json")) });
      const exampleIat = await fapi.createInitialAccessToken({ count: 2, expiration: 3600 });
      secrets.add("example initial access token", exampleIat);
      example = await PulumiStack.create({
        programDir: dir,
        config: {
          "keycloak-registration:serverUrl": server.url,
          "keycloak-registration:realm": fapi.name,
          "keycloak-registration:initialAccessToken": { value: exampleIat, secret: true },
        },
      });
      const up = record("example up", await example.up());
      expect(up.stdout).not.toContain("the server did not keep");
      expect(`${up.stdout}${up.stderr}`).not.toContain("Undefined value");
      const out = (await example.outputs({ showSecrets: true })) as { clientId: string; registrationAccessToken: string; serverOverrides?: unknown };
      secrets.add("example registration access token", out.registrationAccessToken);
      expect(out.clientId).toBe("fapi-app");
      expect(out.serverOverrides).toEqual({});
      const live = await fapi.getClient("fapi-app");
      expect(live).toMatchObject({ clientAuthenticatorType: "client-jwt", publicClient: false, redirectUris: ["https://app.example.com/callback"] });
      expect(live?.attributes).toMatchObject({
        "use.jwks.url": "true",
        "jwks.url": "https://app.example.com/.well-known/jwks.json",
        "token.endpoint.auth.signing.alg": "PS256",
        "pkce.code.challenge.method": "S256",
        "require.pushed.authorization.requests": "true",
      });
      record("example preview", await example.preview({ expectNoChanges: true }));
      record("example destroy", await example.destroy());
      expect(await fapi.getClient("fapi-app")).toBeUndefined();
    } finally {
      if (example) {
        await example.destroy({ allowFailure: true });
        example.remove();
      }
      fs.rmSync(dir, { recursive: true, force: true });
      await fapi.remove();
    }
  });

  test("no token or secret appears in any output, log or state export of this suite", () => {
    const hits = transcripts.flatMap((t) => secrets.findIn(t.where, t.text));
    expect({ secretsSeen: secrets.size > 10, hits }).toEqual({ secretsSeen: true, hits: [] });
  });
});
