import { type CommandResult } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const c = new KeycloakClient("app", { clientId: "verbose-app", description: new pulumi.Config().require("description") });
exports.registrationAccessToken = c.registrationAccessToken;
exports.clientSecret = c.clientSecret;
`;

/**
 * The leak scanner with Pulumi's most verbose logging on. Pulumi itself dumps RPC payloads at high
 * verbosity (the engine's "Marshaling/Unmarshaling property for RPC" lines, the Node.js SDK's
 * "RegisterResource RPC finished ... resp:" line), and those carry provider config and outputs in
 * plaintext, secrets included, for any provider. What this test holds us to: no other line, in
 * particular nothing the provider writes, ever carries a token or secret.
 */
const PULUMI_RPC_DUMP = /Marshaling property for RPC|Unmarshaling property for RPC|RPC finished: .*resp:|RegisterResource RPC prepared/;

describe("no token or secret in verbose logs beyond Pulumi's own RPC dumps", () => {
  const fx = useStackFixture({ name: "verbose", program: PROGRAM, initialAccessToken: { count: 1, expiration: 600 }, config: { description: "a" } });
  const { secrets } = fx;

  test("create, a rotating update, refresh and destroy at -v=9: secrets only in Pulumi's RPC dump lines", async () => {
    const verbose = { args: ["--logtostderr", "--logflow", "-v=9"] };
    const runs: Array<[string, CommandResult]> = [];
    const remember = async () => {
      const out = (await fx.stack.outputs({ showSecrets: true })) as Record<string, string | undefined>;
      secrets.add("registration access token", out.registrationAccessToken);
      secrets.add("client secret", out.clientSecret);
    };
    runs.push(["up", await fx.stack.up(verbose)]);
    await remember();
    await fx.stack.setConfig("description", "b");
    runs.push(["update", await fx.stack.up(verbose)]);
    await remember();
    runs.push(["refresh", await fx.stack.refresh(verbose)]);
    runs.push(["destroy", await fx.stack.destroy(verbose)]);
    expect(secrets.size).toBeGreaterThanOrEqual(4);
    // The verbose logs are long: the scan covers every line of them.
    const lines = runs.flatMap(([what, r]) => [...r.stdout.split("\n"), ...r.stderr.split("\n")].map((line) => ({ what, line })));
    expect(lines.length).toBeGreaterThan(500);
    const carrying = lines.filter(({ line }) => secrets.findIn("line", line).length > 0);
    const outsideRpcDumps = carrying.filter(({ line }) => !PULUMI_RPC_DUMP.test(line)).map(({ what, line }) => `${what}: ${secrets.findIn("line", line).join(", ")}`);
    process.stderr.write(`verbose logging: ${lines.length} lines scanned, ${carrying.length} of Pulumi's RPC dump lines carry secrets, ${outsideRpcDumps.length} other lines do\n`);
    expect(outsideRpcDumps).toEqual([]);
  });
});
