import { useStackFixture } from "../bed/stackFixture";

/**
 * A credential set with `pulumi config set` without `--secret` sits in plain text in Pulumi.<stack>.yaml:
 * the program warns once per run, naming the key and the command that fixes it, never the value
 * (provider/resources/location.ts, warnOfPlaintextCredentials). Through the real engine and language
 * host, which tell the program which keys are secret.
 */
const PROGRAM = `"use strict";
const { KeycloakClient } = require("pulumi-keycloak-registration");
new KeycloakClient("a", { clientId: "plaintext-a-" + process.env.SUFFIX, publicClient: true });
new KeycloakClient("b", { clientId: "plaintext-b-" + process.env.SUFFIX, publicClient: true });
`;

jest.setTimeout(5 * 60_000);

describe("a credential in the stack configuration without --secret", () => {
  const fx = useStackFixture({ name: "plaintext-credentials", program: PROGRAM });
  const KEY = "keycloak-registration:initialAccessToken";
  const warningsOf = (json: unknown) =>
    (((json as { diagnostics?: Array<{ severity: string; message: string }> })?.diagnostics ?? []) as Array<{ severity: string; message: string }>)
      .filter((d) => d.severity === "warning" && d.message.includes("plain text"))
      .map((d) => d.message);

  test("set with --secret: no warning", async () => {
    const r = fx.record("preview, secret", await fx.stack.preview({ env: { SUFFIX: "x" } }));
    expect(warningsOf(r.json)).toEqual([]);
    expect(fx.leaks()).toEqual([]);
  });

  test("set in plain text: one warning for two resources, naming the key and the fix, not the value", async () => {
    await fx.stack.setConfig(KEY, fx.initialAccessToken!);
    try {
      // Not recorded for the leak scan: `preview --json` echoes the stack's plain configuration, this token among it.
      const r = await fx.stack.preview({ env: { SUFFIX: "x" } });
      const warnings = warningsOf(r.json);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${KEY} is set in plain text in the stack's configuration`);
      expect(warnings[0]).toContain("pulumi config set --secret");
      expect(warnings[0]).not.toContain(fx.initialAccessToken!);
    } finally {
      await fx.stack.setConfig(KEY, fx.initialAccessToken!, { secret: true });
    }
  });
});
