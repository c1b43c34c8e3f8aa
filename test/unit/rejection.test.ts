import { rejection } from "../support/rejection";

describe("rejection(), the tests' replacement for expect(p).rejects", () => {
  test("returns the error a call failed with", async () => {
    const e = new TypeError("refused");
    expect(await rejection(Promise.reject(e))).toBe(e);
  });

  test("a call that succeeds fails the test without printing its result (it may hold tokens)", async () => {
    const token = "eyJhbGciOiJIUzUxMiJ9.rejection-test-token-0123456789";
    let thrown: unknown;
    await rejection(Promise.resolve({ registrationAccessToken: token })).catch((x: unknown) => (thrown = x));
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe("expected the call to fail, and it succeeded (its result is not printed: it may hold tokens)");
  });

  test("a call that fails with something other than an Error says so, without its value", async () => {
    let thrown: unknown;
    await rejection(Promise.reject("plain-string-secret-0123456789")).catch((x: unknown) => (thrown = x));
    expect((thrown as Error).message).toBe("expected the call to fail with an Error, and it failed with a string");
  });
});
