import { useStackFixture } from "../bed/stackFixture";

/**
 * What a user reads when Keycloak refuses: Pulumi's dynamic-provider host logs a failed read as
 * `${error}: ${error.stack}`. For the provider's own errors that is one line, `<ErrorClass>: <message>`,
 * with no JavaScript stack trace (provider/dynamic/hostErrors.ts).
 */
const PROGRAM = `"use strict";
const { KeycloakClient } = require("pulumi-keycloak-registration");
const config = new (require("@pulumi/pulumi").Config)();
const c = new KeycloakClient("web", { clientId: config.require("clientId"), publicClient: true });
exports.clientId = c.clientId;
`;

jest.setTimeout(5 * 60_000);

describe("error output of a refresh whose stored token Keycloak rejects", () => {
  const fx = useStackFixture({ name: "error-output", program: PROGRAM, initialAccessToken: { count: 2 } });
  const clientId = `errout-${Math.random().toString(36).slice(2, 8)}`;

  test("the class and message once on the stack's diagnostics, no stack trace, the message on the resource", async () => {
    await fx.stack.setConfig("clientId", clientId);
    fx.record("up", await fx.stack.up());
    // An administrator issues a new token: the one in the state is dead.
    await fx.realm.issueRegistrationAccessToken(clientId);
    const r = fx.record("refresh", await fx.stack.refresh({ allowFailure: true }));
    expect(r.code).not.toBe(0);
    const out = `${r.stdout}\n${r.stderr}`;
    const message = `could not read client "${clientId}" in realm "${fx.realm.name}"`;
    const diagnostics = out.slice(out.indexOf("Diagnostics:"));
    expect(diagnostics.split(`RegistrationAccessTokenRejected: ${message}`).length - 1).toBe(1);
    expect(diagnostics.split(`error: ${message}`).length - 1).toBe(1);
    expect(out).not.toContain("RegistrationAccessTokenRejected: RegistrationAccessTokenRejected");
    expect(out.split("\n").filter((l) => /^\s+at .+:\d+:\d+\)?\s*$/.test(l))).toEqual([]);
    expect(fx.leaks()).toEqual([]);
  });
});
