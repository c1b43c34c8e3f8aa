import { forPulumiHost, withHostErrors } from "../../provider/dynamic/hostErrors";
import { RegistrationAccessTokenRejected, ServerUnreachable } from "../../provider/registration/errors";

/** The line Pulumi's dynamic-provider host logs for a failed call (cmd/dynamic-provider: console.error(`${e}: ${e.stack}`)). */
const hostLine = (e: unknown) => `${e as Error}: ${(e as Error).stack}`;
const ctx = { operation: "read", serverUrl: "https://sso.example.com", realm: "demo", clientId: "web" };

describe("errors as Pulumi's dynamic-provider host prints them", () => {
  test("the provider's own error class: `<Class>: <message>` once, no stack trace; class and message unchanged", () => {
    const e = new RegistrationAccessTokenRejected("registration_access_token_rejected", ctx, "the stored registration access token was rejected (HTTP 401)", "Configure a recovery account");
    const message = e.message;
    expect(forPulumiHost(e)).toBe(e);
    expect(hostLine(e)).toBe(`RegistrationAccessTokenRejected: ${message}`);
    expect([e instanceof RegistrationAccessTokenRejected, e.message, e.code]).toEqual([true, message, "registration_access_token_rejected"]);
  });

  test("a plain Error the provider throws with a message for the user: `Error: <message>`", () => {
    const e = new Error('cannot adopt client "web" in realm "demo": it does not exist');
    forPulumiHost(e);
    expect(hostLine(e)).toBe('Error: cannot adopt client "web" in realm "demo": it does not exist');
  });

  test("JavaScript's own error types keep their stack trace (they point at a bug)", () => {
    const e = new TypeError("Cannot read properties of undefined (reading 'id')");
    forPulumiHost(e);
    expect(hostLine(e)).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'id'\): TypeError: [^\n]+\n\s+at /);
  });

  test("withHostErrors: results pass through, failures (thrown or rejected) are the same objects, shaped; `this` is kept", async () => {
    const unreachable = new ServerUnreachable("server_unreachable", ctx, "connection refused", "Check serverUrl");
    const bug = new RangeError("Invalid array length");
    const provider = {
      marker: "self",
      async read(this: { marker: string }, id: string) {
        return { id, props: { who: this.marker } };
      },
      async delete() {
        throw unreachable;
      },
      update() {
        throw bug; // synchronous throw, not a rejection
      },
    };
    const wrapped = withHostErrors(provider as never) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await expect(wrapped.read!("web")).resolves.toEqual({ id: "web", props: { who: "self" } });
    await expect(wrapped.delete!("web", {})).rejects.toBe(unreachable);
    expect(hostLine(unreachable)).toBe(`ServerUnreachable: ${unreachable.message}`);
    await expect(wrapped.update!("web", {}, {})).rejects.toBe(bug);
    expect(bug.stack).toMatch(/\n\s+at /);
  });
});
