import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { clientExists } from "../registration/clientExistence";
import { Connection } from "../registration/connection";
import { BearerToken, bearerFor, CreateCredentials } from "../registration/credentials";
import { ClientIdInUse, ClientOwnedElsewhere, RegistrationAccessTokenRejected, RegistrationError } from "../registration/errors";
import { ExistingClient, findClient, issueRegistrationAccessToken, RecoveryCredentials } from "../registration/recovery";
import { redact, registerSecretsIn } from "../registration/redact";
import { Auth, baseOf, CONFIG_NAMESPACE } from "../schema/connection";
import { problemsFrom, withoutPrintedCredentials } from "../schema/issues";
import { OWNER_ATTRIBUTE, OWNER_KEY, ownerMarker } from "./ownership";
import { Binding, credentialsFor, ProviderSettings, recoveryFor, settingsFromConfig } from "./settings";
import { containsUnknown, withoutUnknowns } from "./unknowns";

/**
 * The one lifecycle of the three client kinds: configure, check, diff, create (register, adopt, or take
 * over a lost create), read, update and delete, with token recovery, "gone" handling, partial state
 * and the error boundary written once. Each kind supplies its schema, diff and endpoint calls
 * ({@link ClientKind}); the Pulumi dynamic provider and any other front door call {@link clientProvider}.
 */

export const PROVIDER_KEY = "__provider";

/** Inputs every kind shares, besides its own fields. */
export interface BaseInputs {
  auth?: Auth;
  adopt?: { registrationAccessToken: string };
  [PROVIDER_KEY]?: string;
  [OWNER_KEY]?: string;
}

/** Where a client lives: what credentials are bound to (see `Binding`) and, on Keycloak, the realm's connection. */
export interface Location extends Binding {
  keycloak?: Connection;
}

/** What a kind's calls get: the provider's settings, passed in (there is no module-wide state). */
export interface Env {
  settings: ProviderSettings;
}

/** The connection to a client's realm, with the provider's transport settings. */
export function keycloakConnection(env: Env, s: { serverUrl: string; realm: string }): Connection {
  return { serverUrl: s.serverUrl, realm: s.realm, transport: env.settings.transport };
}

export interface ClientKind<I extends BaseInputs, S extends object> {
  name: "KeycloakClient" | "OidcClient" | "SamlClient";
  schema: z.ZodType<Omit<I, typeof PROVIDER_KEY | typeof OWNER_KEY>>;
  /** Inputs whose unknown value (a preview of a dependent resource) may mean a replacement. */
  unknownReplaces: readonly string[];
  locate(env: Env, s: I | S): Location;
  /** A problem with registering under these credentials, beyond having none. */
  credentialsProblem?(inputs: I, credentials: CreateCredentials): string | undefined;
  diff(olds: S, news: I): pulumi.dynamic.DiffResult;
  /** The clientId a create asks for; with it, a lost create can be taken over (see `takeOver`). */
  requestedClientId(inputs: I): string | undefined;
  /** Whether an existing client of that clientId could be this resource's (checked before any token is minted). */
  takeoverProblem?(inputs: I, existing: ExistingClient): string | undefined;
  /** The registering POST. `marker` is the ownership marker to write, when the kind can write it in the create. */
  register(env: Env, inputs: I, auth: BearerToken, marker: string | undefined): Promise<S>;
  /** Brings an existing client to the declaration with the given token. */
  adopt(env: Env, inputs: I, registrationAccessToken: string): Promise<S>;
  /**
   * Steps after a successful create or adoption (read-back, marker, adapter config). The state is
   * already written: a failure here is checkpointed as partial state.
   */
  afterCreate?(env: Env, inputs: I, state: S, opts: { registered: boolean; marker: string | undefined }, saved: (s: S) => void): Promise<S>;
  /** The server's view, or undefined when the server says the client is gone. */
  read(env: Env, state: S, token: string): Promise<S | undefined>;
  update(env: Env, olds: S, news: I, token: string): Promise<S>;
  /** Steps after a successful update (adapter config); failures are checkpointed as partial state. */
  afterUpdate?(env: Env, news: I, state: S): Promise<S>;
  /** "deleted", or "gone" when the server says the client no longer exists. */
  remove(env: Env, state: S, token: string): Promise<"deleted" | "gone">;
  /** After a rejected token: whether the server's answer proves the client gone (servers without an existence probe). */
  rejectionMeansGone?(state: S, e: RegistrationAccessTokenRejected, operation: "read" | "update" | "delete"): boolean;
  idOf(s: S): string;
  clientIdOf(s: S): string;
  internalIdOf?(s: S): string | undefined;
  /**
   * For a kind whose state holds no internal id: why the client the recovery account found under the
   * state's clientId cannot be shown to be this resource's (then no token is minted), or undefined.
   */
  recoveryRefusal?(state: S, existing: ExistingClient): string | undefined;
  tokenOf(s: S): string | undefined;
  withToken(s: S, token: string): S;
  /** The message when an update finds the client gone. */
  goneOnUpdate(id: string, state: S): string;
  /**
   * `pulumi import`: the client as Keycloak holds it, read with a token the recovery account just
   * issued, and the declaration that matches it (the inputs an imported program starts from).
   * A kind without it cannot be imported; `notImportable` says why and what to do instead.
   */
  imported?(env: Env, at: { serverUrl: string; realm: string }, existing: ExistingClient, token: string): Promise<{ inputs: I; state: S }>;
  notImportable?: string;
}

/** What `pulumi import` of an existing client gives: its id, the matching declaration and the state. */
export interface ImportedClient<I, S> {
  id: string;
  inputs: I;
  props: S;
}

/** A kind's provider: the dynamic provider's methods, plus `importClient` for front doors that can import. */
export type ClientProvider<I extends BaseInputs, S extends object> = Required<pulumi.dynamic.ResourceProvider<I, S>> & {
  /**
   * Adopts the client `clientId` of realm `at.realm` on `at.serverUrl` with the recovery account:
   * finds it, issues it a fresh registration access token (the one anyone held before stops working)
   * and reads it. Nothing else is changed on the client. A client that carries the ownership marker of
   * another owner than `owner` ("<project>/<stack>/<Kind>/<name>", the importing resource's) is
   * refused before any token is minted: another stack manages it, and its token would die.
   */
  importClient(at: { serverUrl?: string; realm?: string }, clientId: string, owner?: string): Promise<ImportedClient<I, S>>;
};

/**
 * What an error after a successful write carries: the engine stores `properties` (the newest token,
 * what was created) as the resource's state (ErrorResourceInitFailed), so nothing registered is
 * orphaned and no rotated token is lost. The properties must carry `__provider` for later operations.
 */
export interface PartialState {
  id: string;
  properties: Record<string, unknown>;
  reasons: string[];
}

export function hasPartialState(e: unknown): e is Error & PartialState {
  return e instanceof Error && typeof (e as Partial<PartialState>).id === "string" && typeof (e as Partial<PartialState>).properties === "object";
}

/**
 * Thrown by a kind when its write succeeded but the answer cannot be accepted as it is (for example a
 * registration_client_uri on another origin): `state` is what must be kept, `error` what to report.
 */
export class WrittenButRefused<S> extends Error {
  constructor(
    readonly state: S,
    readonly error: Error,
  ) {
    super(error.message);
    this.name = "WrittenButRefused";
  }
}

/** Errors cross into Pulumi's output: only our own, token-free messages go through. */
export function surfaced(e: unknown): Error {
  if (e instanceof RegistrationError || hasPartialState(e)) return e;
  return new Error(redact(e instanceof Error ? e.message : String(e)));
}

type Outcome<T> = { gone: true } | { gone: false; value: T; token: string };

/** Builds the dynamic provider of one kind. Its settings come from `configure` (or `initial`, for tests). */
export function clientProvider<I extends BaseInputs, S extends object>(
  kind: ClientKind<I, S>,
  initial?: ProviderSettings,
): ClientProvider<I, S> {
  const env: Env = { settings: initial ?? settingsFromConfig(undefined) };

  /** Runs `op` with the stored token; on rejection tells "gone" from "lost token" and recovers a lost one. */
  async function withToken<T>(state: S, operation: "read" | "update" | "delete", op: (token: string) => Promise<T>): Promise<Outcome<T>> {
    const stored = kind.tokenOf(state) ?? "";
    try {
      return { gone: false, value: await op(stored), token: stored };
    } catch (e) {
      if (!(e instanceof RegistrationAccessTokenRejected)) throw e;
      const where = kind.locate(env, state);
      if (!where.keycloak) {
        if (kind.rejectionMeansGone?.(state, e, operation)) return { gone: true };
        throw e;
      }
      // Keycloak answers a dead token and a deleted client alike: its authorization endpoint tells them apart.
      if (!(await clientExists(where.keycloak, kind.clientIdOf(state)))) return { gone: true };
      const recovery = recoveryFor(env.settings, where.base);
      if (!recovery) throw e;
      const existing = await findClient(where.keycloak, recovery, kind.clientIdOf(state));
      if (!existing) {
        // The realm says the client exists, the recovery account cannot see it: no evidence either way.
        throw new Error(
          `cannot recover the registration access token of client "${kind.clientIdOf(state)}" in realm "${where.keycloak.realm}": the realm says the client exists, ` +
            "but the recovery service account cannot see it. Give the account the realm-management role manage-clients in this realm (or set keycloak-registration:recoveryRealm to the realm it lives in)",
        );
      }
      const known = kind.internalIdOf?.(state);
      // Another client under the same clientId (ours was deleted, someone registered it again) is not ours.
      if (known !== undefined && existing.id !== known) return { gone: true };
      // Without an internal id the kind must show otherwise that the client is ours, or nothing is minted.
      const refusal = known === undefined ? kind.recoveryRefusal?.(state, existing) : undefined;
      if (refusal) throw new Error(refusal);
      const fresh = await issueRegistrationAccessToken(where.keycloak, recovery, { clientId: existing.clientId, internalId: existing.id });
      return { gone: false, value: await op(fresh), token: fresh };
    }
  }

  /**
   * The error of a step after a write, carrying the partial state: the newest state plus the
   * serialized provider. It keeps its class and code (a timeout stays a RequestTimedOut).
   */
  function partial(id: string, state: S, provider: string | undefined, what: string, e: unknown): Error & PartialState {
    const error = surfaced(e);
    error.message = `${kind.name} "${id}": ${what}, but the next step failed: ${error.message.replace(/\.+$/, "")}. The client and its newest registration access token are saved in the stack; run \`pulumi up\` again`;
    return Object.assign(error, { id, properties: { ...(state as object), [PROVIDER_KEY]: provider }, reasons: [error.message] });
  }

  async function finishCreate(inputs: I, state: S, opts: { registered: boolean; marker: string | undefined }): Promise<{ id: string; outs: S }> {
    // Whatever the endpoint answered with (an RFC 7591 server's opaque token and secret among it).
    registerSecretsIn(state);
    let latest = state;
    try {
      if (kind.afterCreate) latest = await kind.afterCreate(env, inputs, state, opts, (s) => (latest = s));
      return { id: kind.idOf(latest), outs: latest };
    } catch (e) {
      throw partial(kind.idOf(latest), latest, inputs[PROVIDER_KEY], opts.registered ? "the client was registered" : "the client was adopted", e);
    }
  }

  /**
   * A create answered "Client Identifier in use": when the client is this resource's own lost create
   * (its ownership marker matches) and a recovery account serves this server, mint a token and adopt
   * it. Anything else is refused before any token is minted.
   */
  async function takeOver(inputs: I, clientId: string, inUse: ClientIdInUse, marker: string | undefined): Promise<{ id: string; outs: S }> {
    const where = kind.locate(env, inputs);
    const recovery: RecoveryCredentials | undefined = where.keycloak ? recoveryFor(env.settings, where.base) : undefined;
    if (!where.keycloak || !recovery) throw inUse;
    const existing = await findClient(where.keycloak, recovery, clientId);
    if (!existing) throw inUse;
    const theirs = existing.attributes?.[OWNER_ATTRIBUTE];
    const ctx = { operation: "register", serverUrl: where.keycloak.serverUrl, realm: where.keycloak.realm, clientId };
    if (!marker || theirs !== marker) {
      throw new ClientOwnedElsewhere(
        "client-owned-elsewhere",
        ctx,
        theirs
          ? "the clientId is already registered by another stack or resource (its ownership marker is not this resource's), so it is not taken over"
          : "the clientId is already registered, and not by this resource (it carries no ownership marker of this stack), so it is not taken over",
        "Choose another clientId; or, if this stack should manage that client, adopt it explicitly with `adopt: { registrationAccessToken }` (see the README, Import); nothing was changed on the existing client",
      );
    }
    const problem = kind.takeoverProblem?.(inputs, existing);
    if (problem) throw new ClientOwnedElsewhere("client-owned-elsewhere", ctx, problem, "Choose another clientId, or adopt it with the resource kind that matches it");
    const token = await issueRegistrationAccessToken(where.keycloak, recovery, { clientId, internalId: existing.id });
    return finishCreate(inputs, await kind.adopt(env, inputs, token), { registered: false, marker });
  }

  return {
    async configure(req) {
      env.settings = settingsFromConfig(req.config);
    },

    /**
     * Validates with the kind's schema (problems name the field) and, for a new resource, makes sure it
     * can be registered with credentials bound to its server — both before any request is sent.
     * Unknown values (previews of dependent resources) are left for the next check.
     */
    async check(olds, news) {
      const { [PROVIDER_KEY]: provider, [OWNER_KEY]: owner, ...args } = news as BaseInputs & Record<string, unknown>;
      const parsed = kind.schema.safeParse(withoutUnknowns(args));
      // auth and adopt arrive as secrets (the resource's constructor wraps them), so Pulumi redacts them.
      if (!parsed.success) return { failures: withoutPrintedCredentials(problemsFrom(kind.schema, parsed.error), args, (p) => p === "auth" || p === "adopt") };
      const inputs = { ...(parsed.data as object), [PROVIDER_KEY]: provider, ...(owner === undefined ? {} : { [OWNER_KEY]: owner }) } as I;
      registerSecretsIn({ auth: inputs.auth, adopt: inputs.adopt });
      const creating = !olds || Object.keys(olds).length === 0;
      if (creating && !inputs.adopt && !containsUnknown(args)) {
        const choice = credentialsFor(env.settings, inputs.auth, kind.locate(env, inputs));
        const problem = "problem" in choice ? choice.problem : kind.credentialsProblem?.(inputs, choice.credentials);
        if (problem) return { failures: [{ property: "auth", reason: problem }] };
      }
      return { inputs: containsUnknown(args) ? news : inputs };
    },

    async diff(id, olds, news) {
      if (containsUnknown(news)) {
        return { changes: true, replaces: kind.unknownReplaces.filter((k) => containsUnknown((news as Record<string, unknown>)[k])) };
      }
      return kind.diff(olds, news);
    },

    async create(inputs) {
      registerSecretsIn({ auth: inputs.auth, adopt: inputs.adopt });
      // Keyed with the recovery account that alone could later take the client over (see takeOver).
      const marker = ownerMarker(inputs[OWNER_KEY], recoveryFor(env.settings, kind.locate(env, inputs).base)?.clientSecret);
      let state: S;
      try {
        if (inputs.adopt) {
          state = await kind.adopt(env, inputs, inputs.adopt.registrationAccessToken);
        } else {
          const where = kind.locate(env, inputs);
          const choice = credentialsFor(env.settings, inputs.auth, where);
          const problem = "problem" in choice ? choice.problem : kind.credentialsProblem?.(inputs, choice.credentials);
          if ("problem" in choice || problem) throw new Error(`${kind.name}: ${problem}`);
          // A stack service account fetches its token from the configured server; a resource's own from the resource's.
          const tokenServer = choice.fromStack ? env.settings.serverUrl! : (where.keycloak?.serverUrl ?? where.base ?? "");
          const realm = where.keycloak?.realm ?? "";
          const auth = await bearerFor({ serverUrl: tokenServer, realm, transport: env.settings.transport }, choice.credentials);
          try {
            state = await kind.register(env, inputs, auth, marker);
          } catch (e) {
            const clientId = kind.requestedClientId(inputs);
            if (e instanceof ClientIdInUse && clientId !== undefined) return await takeOver(inputs, clientId, e, marker);
            throw e;
          }
        }
      } catch (e) {
        if (e instanceof WrittenButRefused) throw partial(kind.idOf(e.state as S), e.state as S, inputs[PROVIDER_KEY], "the client was registered", e.error);
        throw surfaced(e);
      }
      return finishCreate(inputs, state, { registered: !inputs.adopt, marker });
    },

    async read(id, props) {
      // A token from the stack's state may never have been in an answer this process saw.
      registerSecretsIn(props);
      if (!props || !kind.tokenOf(props)) throw new Error(`cannot read ${kind.name} "${id}": the stack holds no registration access token for it`);
      try {
        const outcome = await withToken(props, "read", (token) => kind.read(env, kind.withToken(props, token), token));
        if (outcome.gone || !outcome.value) return {};
        return { id, props: outcome.value };
      } catch (e) {
        throw surfaced(e);
      }
    },

    async update(id, olds, news) {
      registerSecretsIn(olds);
      registerSecretsIn({ auth: news.auth, adopt: news.adopt });
      let written: S;
      try {
        const outcome = await withToken(olds, "update", (token) => kind.update(env, kind.withToken(olds, token), news, token));
        if (outcome.gone) throw new Error(kind.goneOnUpdate(id, olds));
        written = outcome.value;
      } catch (e) {
        if (e instanceof WrittenButRefused) throw partial(id, e.state as S, news[PROVIDER_KEY], "the client was updated", e.error);
        throw surfaced(e);
      }
      if (!kind.afterUpdate) return { outs: written };
      try {
        return { outs: await kind.afterUpdate(env, news, written) };
      } catch (e) {
        throw partial(id, written, news[PROVIDER_KEY], "the client was updated", e);
      }
    },

    async delete(id, props) {
      registerSecretsIn(props);
      try {
        // A client already gone counts as deleted.
        await withToken(props, "delete", (token) => kind.remove(env, kind.withToken(props, token), token));
      } catch (e) {
        throw surfaced(e);
      }
    },

    async importClient(at, clientId, owner) {
      const what = `cannot import ${kind.name} "${clientId}"`;
      if (!kind.imported) throw new Error(`${what}: ${kind.notImportable ?? "this resource kind cannot be imported"}`);
      if (!at.serverUrl || !at.realm) {
        throw new Error(`${what}: the provider does not know where the client lives: set ${CONFIG_NAMESPACE}:serverUrl and ${CONFIG_NAMESPACE}:realm (the import id is the clientId)`);
      }
      const where = { serverUrl: at.serverUrl.replace(/\/+$/, ""), realm: at.realm };
      const conn: Connection = { ...where, transport: env.settings.transport };
      const recovery = recoveryFor(env.settings, baseOf(where.serverUrl));
      if (!recovery) {
        throw new Error(
          `${what}: importing needs the recovery account, which issues the client a fresh registration access token. ` +
            `Set ${CONFIG_NAMESPACE}:recoveryClientId and ${CONFIG_NAMESPACE}:recoveryClientSecret (pulumi config set --secret): a service account with the ` +
            `realm-management role manage-clients (${CONFIG_NAMESPACE}:recoveryRealm when it lives in another realm), on the Keycloak of ${CONFIG_NAMESPACE}:serverUrl. ` +
            "If both are set already and this stack has run `pulumi up` before, run `pulumi up` once, then import again: `pulumi import` " +
            "configures the stack's existing provider as the last deployment left it, not from configuration set since. " +
            "Without a recovery account, declare the resource with `adopt: { registrationAccessToken }` instead (kcreg.sh update-token issues one)",
        );
      }
      try {
        const existing = await findClient(conn, recovery, clientId);
        if (!existing) throw new Error(`${what}: realm "${where.realm}" at ${where.serverUrl} has no client with that clientId`);
        const theirs = existing.attributes?.[OWNER_ATTRIBUTE];
        // This resource's own marker (keyed, or from a create made without the recovery account): a re-import after lost state.
        if (theirs !== undefined && theirs !== ownerMarker(owner, recovery.clientSecret) && theirs !== ownerMarker(owner)) {
          throw new ClientOwnedElsewhere(
            "client-owned-elsewhere",
            { operation: "import", serverUrl: where.serverUrl, realm: where.realm, clientId },
            "the client carries the ownership marker of another Pulumi stack or resource; importing it (or reading it with a resource's static `get`) " +
              "would issue it a fresh registration access token and so revoke the one that stack holds, so no token was issued and nothing was changed",
            "If that stack should keep it, leave it there. To move it here, remove it from that stack (`pulumi state delete <urn>` there), then declare it in " +
              "this one with `adopt: { registrationAccessToken }` (kcreg.sh update-token issues one), which takes it over explicitly",
          );
        }
        const token = await issueRegistrationAccessToken(conn, recovery, { clientId, internalId: existing.id });
        const { inputs, state } = await kind.imported(env, where, existing, token);
        return { id: kind.idOf(state), inputs, props: state };
      } catch (e) {
        throw surfaced(e);
      }
    },
  };
}
