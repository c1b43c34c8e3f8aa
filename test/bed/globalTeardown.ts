/** Stops the Keycloak the global setup started (an external `KEYCLOAK_URL` server is left alone). */
export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__KCREG_KEYCLOAK__;
  globalThis.__KCREG_KEYCLOAK__ = undefined;
  await server?.stop();
}
