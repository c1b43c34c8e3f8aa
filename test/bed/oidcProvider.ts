/**
 * A second, independent RFC 7591/7592 server for the test bed: panva's `oidc-provider` (v9), run
 * in-process on 127.0.0.1 with dynamic registration (an initial access token) and registration
 * management with registration access token rotation on every update.
 *
 * `oidc-provider` is ESM-only: it is loaded with a real dynamic `import()`, as `realm.ts` loads the
 * admin client (under jest: `node --experimental-vm-modules` and ts-jest with isolatedModules).
 *
 * Its storage is an in-memory adapter of our own, so a test can change a registered client behind the
 * server's back (out-of-band drift) or delete it.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** The stored metadata of one client, as oidc-provider keeps it (snake_case RFC 7591 names). */
export type StoredClient = Record<string, unknown> & { client_id: string };

export interface OidcProviderServer {
  /** The issuer, e.g. http://127.0.0.1:34567 */
  issuer: string;
  /** RFC 7591 registration endpoint (`{issuer}/reg`). */
  registrationEndpoint: string;
  /** The initial access token every registration must present. */
  initialAccessToken: string;
  /** The stored metadata of a client, or undefined once it is gone. */
  getClient(clientId: string): StoredClient | undefined;
  /** Changes a client's stored metadata directly, as an administrator would. */
  updateClient(clientId: string, changes: Record<string, unknown>): void;
  /** Removes a client from storage (its registration access tokens stay, as after a crash or an admin cleanup). */
  deleteClient(clientId: string): void;
  listClientIds(): string[];
  stop(): Promise<void>;
}

interface Payload {
  [key: string]: unknown;
}

/** The adapter interface oidc-provider calls, one instance per model ("Client", "RegistrationAccessToken", ...). */
class MapAdapter {
  constructor(
    private readonly model: string,
    private readonly store: Map<string, { payload: Payload; expiresAt?: number }>,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    this.store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  async find(id: string): Promise<Payload | undefined> {
    const entry = this.store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt < Date.now()) {
      this.store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(): Promise<void> {}
}

// The package has no type declarations; the specifier in a variable keeps tsc from looking for them.
const OIDC_PROVIDER = "oidc-provider";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let oidcModule: Promise<any> | undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function loadOidcProvider(): Promise<any> {
  oidcModule ??= import(OIDC_PROVIDER).catch((e: unknown) => {
    oidcModule = undefined;
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(
      `cannot load the ESM-only oidc-provider (${msg}). Under jest run node with --experimental-vm-modules ` +
        "and configure ts-jest with isolatedModules: true so that import() stays a real import().",
    );
  });
  return oidcModule;
}

/** Starts oidc-provider on a free loopback port. `stop()` closes it. */
export async function startOidcProvider(): Promise<OidcProviderServer> {
  const { default: Provider } = await loadOidcProvider();
  const store = new Map<string, { payload: Payload; expiresAt?: number }>();
  const initialAccessToken = randomBytes(24).toString("base64url");

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    adapter: (model: string) => new MapAdapter(model, store),
    scopes: ["openid", "offline_access", "email", "profile"],
    // A signing key of its own, so the provider does not fall back to (and warn about) its development keys.
    jwks: { keys: [{ ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }), alg: "RS256", use: "sig" }] },
    features: {
      registration: { enabled: true, initialAccessToken },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      devInteractions: { enabled: false },
    },
  });
  // Quiet: the provider reports server errors as events; the HTTP answer carries what a test needs.
  provider.on("server_error", () => undefined);
  server.on("request", provider.callback());

  const clientEntry = (clientId: string) => store.get(`Client:${clientId}`);
  return {
    issuer,
    registrationEndpoint: `${issuer}/reg`,
    initialAccessToken,
    getClient: (clientId) => clientEntry(clientId)?.payload as StoredClient | undefined,
    updateClient(clientId, changes) {
      const entry = clientEntry(clientId);
      if (!entry) throw new Error(`oidc-provider bed: no client "${clientId}"`);
      // A new object: oidc-provider caches clients by the hash of their stored metadata.
      entry.payload = { ...entry.payload, ...changes };
    },
    deleteClient(clientId) {
      store.delete(`Client:${clientId}`);
    },
    listClientIds: () => [...store.keys()].filter((k) => k.startsWith("Client:")).map((k) => k.slice("Client:".length)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
