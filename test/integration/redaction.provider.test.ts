import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { oidcClientProvider } from "../../provider/dynamic";
import { configureProvider } from "../support/providerHarness";

/**
 * A server that echoes the credentials it was sent into its error answers: per-resource `auth`
 * secrets and an `adopt` token are registered with the redactor, so none of them reaches a message.
 * The values are opaque (not JWTs), so only registration can catch them.
 */
describe("per-resource secrets never reach an error message, even when a server echoes them", () => {
  let server: http.Server;
  let origin: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const authorization = req.headers.authorization ?? "";
        seen.push(authorization);
        res.writeHead(400, { "Content-Type": "application/json" });
        // The bare value, without "Bearer ": only a registered secret is recognised in free text.
        const echoed = authorization.replace(/^Bearer\s+/i, "");
        res.end(JSON.stringify({ error: "invalid_client_metadata", error_description: `refused token ${echoed} for ${body.slice(0, 200)}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await configureProvider({ serverUrl: undefined });
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  test.each([
    ["auth.bearerToken", { auth: { bearerToken: "opaque-bearer-value-0001" } }, "opaque-bearer-value-0001"],
    ["auth.initialAccessToken", { auth: { initialAccessToken: "opaque-iat-value-0002" } }, "opaque-iat-value-0002"],
  ])("%s echoed by the server is redacted from the error", async (_field, extra, secret) => {
    const checked = await oidcClientProvider.check({}, { registrationEndpoint: `${origin}/reg`, redirect_uris: ["https://app.example.com/cb"], ...extra });
    expect(checked.failures).toBeUndefined();
    const before = seen.length;
    const error = await oidcClientProvider.create(checked.inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(seen.length - before).toBe(1);
    expect(seen[seen.length - 1]).toBe(`Bearer ${secret}`); // the server did get it, and echoed it
    expect(error?.message).toContain("[redacted");
    expect(error?.message).not.toContain(secret);
  });

  test("adopt.registrationAccessToken echoed by the server is redacted from the error", async () => {
    const token = "opaque-adopt-token-0003";
    const checked = await oidcClientProvider.check({}, { registrationEndpoint: `${origin}/reg`, adopt: { registrationAccessToken: token, registrationClientUri: `${origin}/reg/c1` } });
    expect(checked.failures).toBeUndefined();
    const error = await oidcClientProvider.create(checked.inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(seen[seen.length - 1]).toBe(`Bearer ${token}`);
    expect(error?.message).not.toContain(token);
  });

  // A token loaded from the stack's state (a refresh, update or destroy in a new provider process) was
  // never in an answer this process saw: it is registered from the state before any request.
  test.each([
    ["read", (state: Record<string, unknown>) => oidcClientProvider.read("c1", state as never)],
    ["update", (state: Record<string, unknown>) => oidcClientProvider.update("c1", state as never, { ...state, client_name: "renamed" } as never)],
    ["delete", (state: Record<string, unknown>) => oidcClientProvider.delete("c1", state as never)],
  ])("the stored registration_access_token echoed by the server on %s is redacted from the error", async (op, run) => {
    const token = `opaque-stored-token-${op}-0004`;
    const state = {
      registrationEndpoint: `${origin}/reg`,
      client_id: "c1",
      client_name: "stored",
      redirect_uris: ["https://app.example.com/cb"],
      registration_access_token: token,
      registration_client_uri: `${origin}/reg/c1`,
    };
    const before = seen.length;
    const error = await run(state).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(seen.length - before).toBe(1);
    expect(seen[seen.length - 1]).toBe(`Bearer ${token}`); // the server did get it, and echoed it
    expect(error?.message).toContain("[redacted secret]");
    expect(error?.message).not.toContain(token);
  });
});
