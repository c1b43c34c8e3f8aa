/**
 * Per-test-file realms on the bed's Keycloak, set up through the Admin API
 * (`@keycloak/keycloak-admin-client`).
 *
 * That package is ESM-only. It is loaded with a real dynamic `import()`, which TypeScript keeps as
 * is under `module: node16` in this CommonJS project. Under jest this needs
 * `node --experimental-vm-modules` AND ts-jest with `isolatedModules: true` (ts-jest otherwise
 * falls back to `module: commonjs` for node16 and rewrites `import()` into `require()`, which
 * fails with "Must use import to load ES Module"). Under tsx it just works.
 *
 * Facts verified on Keycloak 26.7.3 (live server and its jars):
 * - Client registration policies are components with providerType
 *   {@link REGISTRATION_POLICY_PROVIDER_TYPE}, subType "anonymous" | "authenticated"; provider ids
 *   and config keys are in {@link POLICY}. A new realm gets {@link defaultRegistrationPolicies}.
 * - Registration access token rotation is switched off by the client-policy executor
 *   `registration-access-token-rotation-disabled` (no configuration) in a client profile, applied
 *   by a client policy whose condition matches the update request; we use `any-client`. Keycloak
 *   then re-signs the presented token on PUT (same token id, still valid) instead of issuing a new
 *   one and revoking the old.
 */
import { randomBytes } from "node:crypto";
import axios from "axios";
import type { KeycloakServer } from "./keycloak";

type AdminModule = typeof import("@keycloak/keycloak-admin-client", { with: { "resolution-mode": "import" } });
export type AdminClient = InstanceType<AdminModule["default"]>;
type ClientRepresentation = NonNullable<Awaited<ReturnType<AdminClient["clients"]["findOne"]>>>;
export type { ClientRepresentation };

export const REGISTRATION_POLICY_PROVIDER_TYPE = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy";
/** providerType of a realm's key providers (rsa-generated, hmac-generated, ...). */
export const KEY_PROVIDER_TYPE = "org.keycloak.keys.KeyProvider";

export type PolicySubType = "anonymous" | "authenticated";

/** Provider ids and config keys of Keycloak's client registration policies (from the 26.7.3 jars). */
export const POLICY = {
  trustedHosts: {
    providerId: "trusted-hosts",
    /** hosts or domains; multi-valued */
    trustedHosts: "trusted-hosts",
    /** "true" | "false" */
    hostSendingRegistrationRequestMustMatch: "host-sending-registration-request-must-match",
    /** "true" | "false" */
    clientUrisMustMatch: "client-uris-must-match",
  },
  maxClients: { providerId: "max-clients", maxClients: "max-clients" },
  consentRequired: { providerId: "consent-required" },
  /** "Full Scope Disabled" */
  fullScopeDisabled: { providerId: "scope" },
  clientDisabled: { providerId: "client-disabled" },
  allowedClientScopes: {
    providerId: "allowed-client-templates",
    allowedClientScopes: "allowed-client-scopes",
    /** "true" | "false" */
    allowDefaultScopes: "allow-default-scopes",
  },
  allowedProtocolMappers: {
    providerId: "allowed-protocol-mappers",
    allowedProtocolMapperTypes: "allowed-protocol-mapper-types",
  },
  /** "Allowed Registration Web Origins" */
  webOrigins: { providerId: "registration-web-origins", webOrigins: "web-origins" },
} as const;

/**
 * What a new realm has on Keycloak 26.7.3 (listed from the live server; the smoke test checks it):
 * - anonymous: Trusted Hosts (`trusted-hosts`: no hosts, both "must match" flags "true"), Consent
 *   Required, Full Scope Disabled, Max Clients Limit (`max-clients`: "200"), Allowed Protocol
 *   Mapper Types, Allowed Client Scopes, Allowed Registration Web Origins (empty config).
 * - authenticated: Allowed Protocol Mapper Types (`allowed-protocol-mapper-types`: the 8 types
 *   below), Allowed Client Scopes (no scopes, `allow-default-scopes` "true"), Allowed Registration
 *   Web Origins.
 * An empty multi-valued key (e.g. `trusted-hosts`, `allowed-client-scopes`) is absent from the
 * component's config, not `[]`.
 *
 * Keycloak 25.x (checked on 25.0.6) creates the same set without "Allowed Registration Web
 * Origins": the policy type exists there, but a new realm gets no instance of it.
 */
export function defaultRegistrationPolicies(keycloakVersion: string): Record<PolicySubType, Array<{ name: string; providerId: string }>> {
  const major = Number.parseInt(keycloakVersion.split(".")[0] ?? "", 10);
  // An unparseable version (a snapshot build, say) is taken as the newest.
  const webOrigins = Number.isNaN(major) || major >= 26 ? [{ name: "Allowed Registration Web Origins", providerId: "registration-web-origins" }] : [];
  return {
    anonymous: [
      { name: "Trusted Hosts", providerId: "trusted-hosts" },
      { name: "Consent Required", providerId: "consent-required" },
      { name: "Full Scope Disabled", providerId: "scope" },
      { name: "Max Clients Limit", providerId: "max-clients" },
      { name: "Allowed Protocol Mapper Types", providerId: "allowed-protocol-mappers" },
      { name: "Allowed Client Scopes", providerId: "allowed-client-templates" },
      ...webOrigins,
    ],
    authenticated: [
      { name: "Allowed Protocol Mapper Types", providerId: "allowed-protocol-mappers" },
      { name: "Allowed Client Scopes", providerId: "allowed-client-templates" },
      ...webOrigins,
    ],
  };
}

/** The default `allowed-protocol-mapper-types` of both "Allowed Protocol Mapper Types" policies. */
export const DEFAULT_ALLOWED_PROTOCOL_MAPPER_TYPES = [
  "oidc-usermodel-attribute-mapper",
  "oidc-usermodel-property-mapper",
  "oidc-full-name-mapper",
  "oidc-address-mapper",
  "oidc-sha256-pairwise-sub-mapper",
  "saml-user-attribute-mapper",
  "saml-user-property-mapper",
  "saml-role-list-mapper",
];

/** Client-policy executor that stops RAT rotation on client-registration updates. */
export const RAT_ROTATION_DISABLED_EXECUTOR = "registration-access-token-rotation-disabled";
const RAT_PROFILE = "bed-rat-rotation-disabled";
const RAT_POLICY = "bed-rat-rotation-disabled";

export interface RegistrationPolicy {
  id: string;
  name: string;
  providerId: string;
  subType: PolicySubType;
  config: Record<string, string[]>;
}

export interface TestRealm {
  name: string;
  /** Realm id (UUID) — the parentId of its components. */
  id: string;
  server: KeycloakServer;
  /** `{server}/realms/{name}` */
  url: string;
  /** `{server}/realms/{name}/clients-registrations/{provider}` */
  registrationUrl(provider?: "default" | "openid-connect" | "saml2-entity-descriptor" | "install"): string;
  /** The admin client, logged in to master, for anything not covered here. */
  admin(): Promise<AdminClient>;

  createInitialAccessToken(opts: { count: number; expiration: number }): Promise<string>;
  createServiceAccount(opts: {
    clientId?: string;
    roles: Array<"create-client" | "manage-clients" | "view-clients" | "query-clients">;
  }): Promise<{ clientId: string; clientSecret: string }>;
  /** Client-credentials token of a service account (for `Authorization: Bearer`). */
  serviceAccountToken(creds: { clientId: string; clientSecret: string }): Promise<string>;

  listRegistrationPolicies(subType?: PolicySubType): Promise<RegistrationPolicy[]>;
  addRegistrationPolicy(subType: PolicySubType, providerId: string, config: Record<string, string[]>, name?: string): Promise<string>;
  /** Replaces the policy's config. */
  updateRegistrationPolicy(id: string, config: Record<string, string[]>): Promise<void>;
  removeRegistrationPolicy(id: string): Promise<void>;
  /** Removes every policy of that subType and provider (e.g. the default ones); returns how many. */
  removeRegistrationPolicies(subType: PolicySubType, providerId: string): Promise<number>;
  addTrustedHostsPolicy(
    subType: PolicySubType,
    opts: { hosts: string[]; hostSendingRegistrationRequestMustMatch?: boolean; clientUrisMustMatch?: boolean },
    name?: string,
  ): Promise<string>;
  addMaxClientsPolicy(subType: PolicySubType, maxClients: number, name?: string): Promise<string>;
  addConsentRequiredPolicy(subType: PolicySubType, name?: string): Promise<string>;
  addFullScopeDisabledPolicy(subType: PolicySubType, name?: string): Promise<string>;
  addClientDisabledPolicy(subType: PolicySubType, name?: string): Promise<string>;
  addAllowedClientScopesPolicy(subType: PolicySubType, opts: { scopes: string[]; allowDefaultScopes?: boolean }, name?: string): Promise<string>;
  addAllowedProtocolMappersPolicy(subType: PolicySubType, mapperTypes: string[], name?: string): Promise<string>;

  /** Adds a client profile + client policy so that a PUT with a RAT keeps the RAT valid. */
  disableRegistrationAccessTokenRotation(): Promise<void>;
  /** Undoes {@link disableRegistrationAccessTokenRotation} (rotation is Keycloak's default). */
  enableRegistrationAccessTokenRotation(): Promise<void>;

  /** Full admin representation (includes the secret), or undefined. */
  getClient(clientId: string): Promise<ClientRepresentation | undefined>;
  listClientIds(): Promise<string[]>;
  /** Admin-API update; fields left out keep their values. */
  updateClient(clientId: string, partial: ClientRepresentation): Promise<void>;
  deleteClient(clientId: string): Promise<void>;
  /** Issues a fresh registration access token (the old one stops working). */
  issueRegistrationAccessToken(clientId: string): Promise<string>;

  /** Deletes the realm. */
  remove(): Promise<void>;

  /**
   * Rotates the key Keycloak signs its internal tokens with (initial and registration access tokens:
   * HS512 from an `hmac-generated` key provider, seen live on 26.7.3 in the tokens' JWT header): adds a
   * new HS512 provider with a higher priority than every existing one. The old providers stay (tokens
   * they signed still verify) until {@link removeKeyProvider}.
   */
  rotateTokenSigningKey(): Promise<{ newProviderId: string; newKid: string; oldProviderIds: string[]; oldKids: string[] }>;
  /** Deletes a key provider component: tokens signed only with its key stop verifying. */
  removeKeyProvider(id: string): Promise<void>;
  /** Sets (or, with undefined, removes) the realm attribute `frontendUrl`: the public hostname Keycloak names in its answers and token issuers. */
  setFrontendUrl(url: string | undefined): Promise<void>;

  /**
   * Adds (or replaces) the realm's client profile `name` of these executors and a client policy of
   * the same name applying it by `client-updater-context` to `sources` (e.g. "ByInitialAccessToken",
   * "ByRegistrationAccessToken"). Other profiles and policies of the realm stay.
   */
  applyClientPolicy(name: string, executors: Array<{ executor: string; configuration: Record<string, unknown> }>, sources: string[]): Promise<void>;
  /** Removes the profile and policy that {@link applyClientPolicy} added under `name`. */
  removeClientPolicy(name: string): Promise<void>;
  /** Saved user events of these types (saving is switched on by the first call), newest first. */
  userEvents(types: Array<"CLIENT_REGISTER_ERROR" | "CLIENT_UPDATE_ERROR">): Promise<Array<{ type?: string; error?: string; details?: Record<string, string> }>>;
}

// ---------------------------------------------------------------------------------------------
// Admin client (one per server + admin user, token refreshed as needed)
// ---------------------------------------------------------------------------------------------

let adminModule: Promise<AdminModule> | undefined;

function loadAdminModule(): Promise<AdminModule> {
  adminModule ??= import("@keycloak/keycloak-admin-client").catch((e: unknown) => {
    adminModule = undefined;
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(
      `cannot load the ESM-only @keycloak/keycloak-admin-client (${msg}). Under jest run node with ` +
        "--experimental-vm-modules and configure ts-jest with isolatedModules: true so that import() stays a real import().",
    );
  });
  return adminModule;
}

const adminClients = new Map<string, Promise<AdminClient>>();

/** An admin client for `server`, logged in to the master realm as the server's admin. */
export function adminClient(server: KeycloakServer): Promise<AdminClient> {
  const key = `${server.url}\n${server.adminUsername}`;
  let client = adminClients.get(key);
  if (!client) {
    client = (async () => {
      const { default: KcAdminClient } = await loadAdminModule();
      const kc = new KcAdminClient({ baseUrl: server.url, realmName: "master" });
      const tokens = new AdminTokens(server);
      await tokens.get(); // fail here, not in the first call, on bad credentials
      kc.registerTokenProvider({ getAccessToken: () => tokens.get() });
      return kc;
    })();
    client.catch(() => adminClients.delete(key));
    adminClients.set(key, client);
  }
  return client;
}

/**
 * Admin tokens by the password grant on master's `admin-cli`. The master realm's access tokens
 * live 60 s, so they are refreshed (refresh token, else a new login) shortly before they expire.
 */
class AdminTokens {
  private access?: { token: string; until: number };
  private refresh?: { token: string; until: number };
  private pending?: Promise<string>;

  constructor(private readonly server: KeycloakServer) {}

  get(): Promise<string> {
    if (this.access && Date.now() < this.access.until) return Promise.resolve(this.access.token);
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<string> {
    const form: Record<string, string> =
      this.refresh && Date.now() < this.refresh.until
        ? { grant_type: "refresh_token", client_id: "admin-cli", refresh_token: this.refresh.token }
        : { grant_type: "password", client_id: "admin-cli", username: this.server.adminUsername, password: this.server.adminPassword };
    const res = await postToken(`${this.server.url}/realms/master/protocol/openid-connect/token`, form);
    if (res.status !== 200 && form.grant_type === "refresh_token") {
      this.refresh = undefined;
      return this.fetch();
    }
    if (res.status !== 200) throw new Error(`admin login to ${this.server.url} failed: ${res.status} ${oauthError(res.data)}`);
    const data = res.data as { access_token: string; expires_in: number; refresh_token?: string; refresh_expires_in?: number };
    const now = Date.now();
    this.access = { token: data.access_token, until: now + Math.max(5, data.expires_in - 15) * 1000 };
    this.refresh = data.refresh_token ? { token: data.refresh_token, until: now + Math.max(0, (data.refresh_expires_in ?? 0) - 15) * 1000 } : undefined;
    return this.access.token;
  }
}

function postToken(url: string, form: Record<string, string>) {
  return axios.post(url, new URLSearchParams(form), { validateStatus: () => true, timeout: 15_000 });
}

/** `error: error_description` of an OAuth/Keycloak error body, never anything else (no tokens). */
export function oauthError(data: unknown): string {
  if (data && typeof data === "object") {
    const d = data as Record<string, unknown>;
    const parts = [d.error, d.error_description, d.errorMessage].filter((x) => typeof x === "string");
    if (parts.length) return parts.join(": ");
  }
  return typeof data === "string" ? data.slice(0, 200) : "";
}

// ---------------------------------------------------------------------------------------------
// Realms
// ---------------------------------------------------------------------------------------------

export async function createTestRealm(server: KeycloakServer, name?: string): Promise<TestRealm> {
  const kc = await adminClient(server);
  const realmName = name ?? `test-${randomBytes(4).toString("hex")}`;
  await kc.realms.create({ realm: realmName, enabled: true });
  const rep = await kc.realms.findOne({ realm: realmName });
  if (!rep?.id) throw new Error(`realm ${realmName} not found after creating it`);
  const realmId = rep.id;
  const realm = { realm: realmName };

  const clientUuid = async (clientId: string): Promise<string | undefined> => {
    const found = await kc.clients.find({ ...realm, clientId });
    return found.find((c) => c.clientId === clientId)?.id;
  };
  const requireClientUuid = async (clientId: string): Promise<string> => {
    const id = await clientUuid(clientId);
    if (!id) throw new Error(`client '${clientId}' not found in realm ${realmName}`);
    return id;
  };

  const toPolicy = (c: { id?: string; name?: string; providerId?: string; subType?: string; config?: Record<string, unknown> }): RegistrationPolicy => ({
    id: c.id ?? "",
    name: c.name ?? "",
    providerId: c.providerId ?? "",
    subType: c.subType as PolicySubType,
    config: (c.config ?? {}) as Record<string, string[]>,
  });

  const listRegistrationPolicies = async (subType?: PolicySubType): Promise<RegistrationPolicy[]> => {
    const all = await kc.components.find({ ...realm, type: REGISTRATION_POLICY_PROVIDER_TYPE, parent: realmId });
    return all.map(toPolicy).filter((p) => !subType || p.subType === subType);
  };

  const addRegistrationPolicy = async (
    subType: PolicySubType,
    providerId: string,
    config: Record<string, string[]>,
    policyName?: string,
  ): Promise<string> => {
    const created = await kc.components.create({
      ...realm,
      name: policyName ?? `${providerId}-${randomBytes(3).toString("hex")}`,
      providerId,
      providerType: REGISTRATION_POLICY_PROVIDER_TYPE,
      subType,
      parentId: realmId,
      config,
    });
    return created.id;
  };

  const removeRegistrationPolicy = async (id: string): Promise<void> => {
    await kc.components.del({ ...realm, id });
  };

  const bool = (b: boolean | undefined, dflt: boolean): string[] => [String(b ?? dflt)];

  const testRealm: TestRealm = {
    name: realmName,
    id: realmId,
    server,
    url: `${server.url}/realms/${encodeURIComponent(realmName)}`,
    registrationUrl: (provider = "default") => `${server.url}/realms/${encodeURIComponent(realmName)}/clients-registrations/${provider}`,
    admin: () => Promise.resolve(kc),

    async createInitialAccessToken({ count, expiration }) {
      const res = await kc.realms.createClientsInitialAccess(realm, { count, expiration });
      if (!res.token) throw new Error("Keycloak returned no initial access token");
      return res.token;
    },

    async createServiceAccount({ clientId, roles }) {
      const id = clientId ?? `sa-${randomBytes(4).toString("hex")}`;
      const { id: uuid } = await kc.clients.create({
        ...realm,
        clientId: id,
        enabled: true,
        protocol: "openid-connect",
        publicClient: false,
        clientAuthenticatorType: "client-secret",
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
      });
      if (roles.length) {
        const user = await kc.clients.getServiceAccountUser({ ...realm, id: uuid });
        const rm = await requireClientUuid("realm-management");
        const available = await kc.clients.listRoles({ ...realm, id: rm });
        const wanted = roles.map((r) => {
          const role = available.find((a) => a.name === r);
          if (!role?.id || !role.name) throw new Error(`realm-management has no role '${r}'`);
          return { id: role.id, name: role.name };
        });
        if (!user.id) throw new Error(`service account of ${id} has no user`);
        await kc.users.addClientRoleMappings({ ...realm, id: user.id, clientUniqueId: rm, roles: wanted });
      }
      const secret = await kc.clients.getClientSecret({ ...realm, id: uuid });
      if (!secret.value) throw new Error(`client ${id} has no secret`);
      return { clientId: id, clientSecret: secret.value };
    },

    async serviceAccountToken({ clientId, clientSecret }) {
      const res = await postToken(`${testRealm.url}/protocol/openid-connect/token`, {
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
      });
      if (res.status !== 200) throw new Error(`client-credentials login of ${clientId} failed: ${res.status} ${oauthError(res.data)}`);
      return (res.data as { access_token: string }).access_token;
    },

    listRegistrationPolicies,
    addRegistrationPolicy,
    async updateRegistrationPolicy(id, config) {
      const current = await kc.components.findOne({ ...realm, id });
      if (!current) throw new Error(`no registration policy ${id}`);
      await kc.components.update({ ...realm, id }, { ...current, config });
    },
    removeRegistrationPolicy,
    async removeRegistrationPolicies(subType, providerId) {
      const victims = (await listRegistrationPolicies(subType)).filter((p) => p.providerId === providerId);
      for (const p of victims) await removeRegistrationPolicy(p.id);
      return victims.length;
    },
    addTrustedHostsPolicy: (subType, opts, policyName) =>
      addRegistrationPolicy(
        subType,
        POLICY.trustedHosts.providerId,
        {
          [POLICY.trustedHosts.trustedHosts]: opts.hosts,
          [POLICY.trustedHosts.hostSendingRegistrationRequestMustMatch]: bool(opts.hostSendingRegistrationRequestMustMatch, true),
          [POLICY.trustedHosts.clientUrisMustMatch]: bool(opts.clientUrisMustMatch, true),
        },
        policyName,
      ),
    addMaxClientsPolicy: (subType, max, policyName) =>
      addRegistrationPolicy(subType, POLICY.maxClients.providerId, { [POLICY.maxClients.maxClients]: [String(max)] }, policyName),
    addConsentRequiredPolicy: (subType, policyName) => addRegistrationPolicy(subType, POLICY.consentRequired.providerId, {}, policyName),
    addFullScopeDisabledPolicy: (subType, policyName) => addRegistrationPolicy(subType, POLICY.fullScopeDisabled.providerId, {}, policyName),
    addClientDisabledPolicy: (subType, policyName) => addRegistrationPolicy(subType, POLICY.clientDisabled.providerId, {}, policyName),
    addAllowedClientScopesPolicy: (subType, opts, policyName) =>
      addRegistrationPolicy(
        subType,
        POLICY.allowedClientScopes.providerId,
        {
          [POLICY.allowedClientScopes.allowedClientScopes]: opts.scopes,
          [POLICY.allowedClientScopes.allowDefaultScopes]: bool(opts.allowDefaultScopes, true),
        },
        policyName,
      ),
    addAllowedProtocolMappersPolicy: (subType, mapperTypes, policyName) =>
      addRegistrationPolicy(
        subType,
        POLICY.allowedProtocolMappers.providerId,
        { [POLICY.allowedProtocolMappers.allowedProtocolMapperTypes]: mapperTypes },
        policyName,
      ),

    async disableRegistrationAccessTokenRotation() {
      // Realm-level profiles and policies only (global ones are not part of these lists); PUT
      // replaces the whole list, so merge.
      const profiles = (await kc.clientPolicies.listProfiles({ ...realm, includeGlobalProfiles: false })).profiles ?? [];
      if (!profiles.some((p) => p.name === RAT_PROFILE)) {
        profiles.push({
          name: RAT_PROFILE,
          description: "test bed: keep registration access tokens valid across updates",
          executors: [{ executor: RAT_ROTATION_DISABLED_EXECUTOR, configuration: {} }],
        });
        await kc.clientPolicies.createProfiles({ ...realm, profiles });
      }
      const policies = (await kc.clientPolicies.listPolicies({ ...realm, includeGlobalPolicies: false })).policies ?? [];
      if (!policies.some((p) => p.name === RAT_POLICY)) {
        policies.push({
          name: RAT_POLICY,
          description: "test bed: keep registration access tokens valid across updates",
          enabled: true,
          conditions: [{ condition: "any-client", configuration: {} }],
          profiles: [RAT_PROFILE],
        });
        await kc.clientPolicies.updatePolicy({ ...realm, policies });
      }
    },

    async enableRegistrationAccessTokenRotation() {
      const policies = (await kc.clientPolicies.listPolicies({ ...realm, includeGlobalPolicies: false })).policies ?? [];
      if (policies.some((p) => p.name === RAT_POLICY)) {
        await kc.clientPolicies.updatePolicy({ ...realm, policies: policies.filter((p) => p.name !== RAT_POLICY) });
      }
      const profiles = (await kc.clientPolicies.listProfiles({ ...realm, includeGlobalProfiles: false })).profiles ?? [];
      if (profiles.some((p) => p.name === RAT_PROFILE)) {
        await kc.clientPolicies.createProfiles({ ...realm, profiles: profiles.filter((p) => p.name !== RAT_PROFILE) });
      }
    },

    async getClient(clientId) {
      const id = await clientUuid(clientId);
      return id ? await kc.clients.findOne({ ...realm, id }) : undefined;
    },

    async listClientIds() {
      const all = await kc.clients.find({ ...realm, first: 0, max: 10_000 });
      return all.map((c) => c.clientId).filter((c): c is string => typeof c === "string");
    },

    async updateClient(clientId, partial) {
      const id = await requireClientUuid(clientId);
      await kc.clients.update({ ...realm, id }, { clientId, ...partial });
    },

    async deleteClient(clientId) {
      const id = await requireClientUuid(clientId);
      await kc.clients.del({ ...realm, id });
    },

    async issueRegistrationAccessToken(clientId) {
      const id = await requireClientUuid(clientId);
      const res = await kc.clients.generateRegistrationAccessToken({ ...realm, id });
      if (!res.registrationAccessToken) throw new Error(`Keycloak returned no registration access token for ${clientId}`);
      return res.registrationAccessToken;
    },

    async remove() {
      await kc.realms.del(realm);
    },

    async rotateTokenSigningKey() {
      const hmacKeys = async () => ((await kc.realms.getKeys(realm)).keys ?? []).filter((k) => k.algorithm === "HS512");
      const before = await hmacKeys();
      const providers = await kc.components.find({ ...realm, type: KEY_PROVIDER_TYPE, parent: realmId });
      const oldProviderIds = providers.filter((c) => c.providerId === "hmac-generated").map((c) => c.id ?? "");
      const top = Math.max(0, ...providers.map((c) => Number((c.config as Record<string, string[]> | undefined)?.priority?.[0] ?? 0)));
      const created = await kc.components.create({
        ...realm,
        name: `hmac-rotated-${randomBytes(3).toString("hex")}`,
        providerId: "hmac-generated",
        providerType: KEY_PROVIDER_TYPE,
        parentId: realmId,
        config: { priority: [String(top + 100)], algorithm: ["HS512"] },
      });
      const added = (await hmacKeys()).find((k) => k.providerId === created.id);
      if (!added?.kid) throw new Error(`realm ${realmName}: the new HS512 key provider has no key`);
      return { newProviderId: created.id, newKid: added.kid, oldProviderIds, oldKids: before.map((k) => k.kid ?? "") };
    },

    async removeKeyProvider(id) {
      await kc.components.del({ ...realm, id });
    },

    async setFrontendUrl(url) {
      const current = await kc.realms.findOne(realm);
      const attributes: Record<string, unknown> = { ...(current?.attributes ?? {}) };
      if (url === undefined) delete attributes.frontendUrl;
      else attributes.frontendUrl = url;
      await kc.realms.update(realm, { attributes });
    },

    async applyClientPolicy(name, executors, sources) {
      // PUT replaces the whole list: merge by name.
      const profiles = ((await kc.clientPolicies.listProfiles({ ...realm, includeGlobalProfiles: false })).profiles ?? []).filter((p) => p.name !== name);
      profiles.push({ name, description: "test bed", executors });
      await kc.clientPolicies.createProfiles({ ...realm, profiles });
      const policies = ((await kc.clientPolicies.listPolicies({ ...realm, includeGlobalPolicies: false })).policies ?? []).filter((p) => p.name !== name);
      policies.push({ name, description: "test bed", enabled: true, conditions: [{ condition: "client-updater-context", configuration: { "update-client-source": sources } }], profiles: [name] });
      await kc.clientPolicies.updatePolicy({ ...realm, policies });
    },

    async removeClientPolicy(name) {
      const policies = (await kc.clientPolicies.listPolicies({ ...realm, includeGlobalPolicies: false })).policies ?? [];
      await kc.clientPolicies.updatePolicy({ ...realm, policies: policies.filter((p) => p.name !== name) });
      const profiles = (await kc.clientPolicies.listProfiles({ ...realm, includeGlobalProfiles: false })).profiles ?? [];
      await kc.clientPolicies.createProfiles({ ...realm, profiles: profiles.filter((p) => p.name !== name) });
    },

    async userEvents(types) {
      const current = await kc.realms.findOne(realm);
      if (!current?.eventsEnabled) await kc.realms.update(realm, { eventsEnabled: true });
      const events = await kc.realms.findEvents({ ...realm, type: types, max: 100 });
      return events.map((e) => ({ type: e.type, error: e.error, details: e.details as Record<string, string> | undefined }));
    },
  };
  return testRealm;
}
