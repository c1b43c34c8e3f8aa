/** Stops the Keycloak servers the global setup started (an external `KEYCLOAK_URL` / `KEYCLOAK_COMPAT_URL` server is left alone). */
export default async function globalTeardown(): Promise<void> {
  const servers = [globalThis.__KCREG_KEYCLOAK__, globalThis.__KCREG_COMPAT_KEYCLOAK__];
  globalThis.__KCREG_KEYCLOAK__ = undefined;
  globalThis.__KCREG_COMPAT_KEYCLOAK__ = undefined;
  await Promise.all(servers.map((s) => s?.stop()));
}
