/**
 * The error a call failed with. Where `expect(p).rejects` prints the value a promise resolved to when
 * it was expected to fail (a provider's state: registration access tokens and client secrets, in
 * plaintext in the test output), this fails without printing it.
 */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  let resolved = false;
  const e = await p.then(
    () => {
      resolved = true;
      return undefined;
    },
    (x: unknown) => x,
  );
  if (resolved) throw new Error("expected the call to fail, and it succeeded (its result is not printed: it may hold tokens)");
  if (!(e instanceof Error)) throw new Error(`expected the call to fail with an Error, and it failed with a ${typeof e}`);
  return e;
}
