import { keycloakClientProvider, oidcClientProvider, samlClientProvider } from "../../provider/dynamic";
import { KeycloakClientState } from "../../provider/dynamic/clientDiff";
import { startKeycloak, type KeycloakServer } from "../bed/keycloak";
import { createTestRealm, type TestRealm } from "../bed/realm";

export const provider = keycloakClientProvider as Required<typeof keycloakClientProvider>;

/** The Keycloak this test file's realm lives on: the default `serverUrl` of configureProvider. */
let bedServerUrl: string | undefined;

/**
 * Configures the three providers as a stack would (`keycloak-registration:<key>`), with nothing from
 * the environment. `serverUrl` (which the stack-wide credentials are bound to) defaults to the
 * Keycloak of realmForThisFile; pass it to bind them elsewhere, or `serverUrl: undefined` for none.
 */
export async function configureProvider(values: Record<string, string | undefined>): Promise<void> {
  for (const key of Object.keys(process.env)) if (key.startsWith("KEYCLOAK_REGISTRATION_")) delete process.env[key];
  const all: Record<string, string | undefined> = "serverUrl" in values ? values : { serverUrl: bedServerUrl, ...values };
  const config = {
    get: (key: string) => all[key.replace(/^keycloak-registration:/, "")],
    require: (key: string) => {
      const v = all[key.replace(/^keycloak-registration:/, "")];
      if (v === undefined) throw new Error(`missing ${key}`);
      return v;
    },
  };
  for (const p of [keycloakClientProvider, oidcClientProvider, samlClientProvider]) await p.configure({ config });
}

/** A realm of its own for one test file, on the bed's Keycloak. */
export async function realmForThisFile(prefix: string): Promise<{ server: KeycloakServer; realm: TestRealm }> {
  const server = await startKeycloak();
  bedServerUrl = server.url;
  const realm = await createTestRealm(server, `${prefix}-${Math.random().toString(36).slice(2, 8)}`);
  return { server, realm };
}

/** check → create, as the engine does for a new resource. */
export async function register(args: Record<string, unknown>): Promise<{ id: string; outs: KeycloakClientState; inputs: Record<string, unknown> }> {
  const checked = await provider.check({}, args);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const created = await provider.create(checked.inputs);
  return { id: created.id, outs: created.outs as KeycloakClientState, inputs: checked.inputs as Record<string, unknown> };
}

/** check → diff → update, as the engine does for a changed resource. */
export async function apply(id: string, olds: KeycloakClientState, args: Record<string, unknown>): Promise<{ changes: boolean; outs: KeycloakClientState }> {
  const checked = await provider.check(olds, args);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const d = await provider.diff(id, olds, checked.inputs);
  if (!d.changes) return { changes: false, outs: olds };
  const updated = await provider.update(id, olds, checked.inputs);
  return { changes: true, outs: updated.outs as KeycloakClientState };
}
