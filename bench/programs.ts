/**
 * Programs of Pulumi's own floor: N dynamic resources whose provider does no I/O and loads no package.
 * `npm run bench` times FLOOR_PROGRAM against the front doors (issue 13's time target);
 * SHAPED_FLOOR_PROGRAM is the same floor given a client's shape, to show what of the gap between a
 * front door and the floor is Pulumi's cost for a resource of that shape (not a target).
 */

/** Pulumi's own floor: one input, `{ i }`, returned as the outputs. */
export const FLOOR_PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const count = Number(new pulumi.Config("bench").require("count"));
const provider = { async create(inputs) { return { id: "floor-" + inputs.i, outs: inputs }; } };
for (let i = 0; i < count; i++) new pulumi.dynamic.Resource(provider, "c" + i, { i }, {}, "floor", "Trivial");
`;

/**
 * Sizes of what Keycloak returns for a client of the bench, as the dynamic provider's state holds it
 * (measured from a real state on 2026-12-07, Keycloak 26.7.3): the registration access token, a JWT,
 * and a confidential client's secret.
 */
export const CLIENT_VALUE_SIZES = { registrationAccessToken: 542, clientSecret: 86, internalId: 36 } as const;

/**
 * The provider of SHAPED_FLOOR_PROGRAM, a file beside the program: no I/O; the outputs are the inputs
 * plus values of the sizes Keycloak returns, random per resource (a public client has no secret).
 */
export const SHAPED_FLOOR_PROVIDER = `"use strict";
const sizes = ${JSON.stringify(CLIENT_VALUE_SIZES)};
const random = (n) => { let s = ""; while (s.length < n) s += Math.random().toString(36).slice(2); return s.slice(0, n); };
module.exports = {
  async create(inputs) {
    const outs = { ...inputs, internalId: random(sizes.internalId), registrationAccessToken: random(sizes.registrationAccessToken) };
    if (!inputs.publicClient) outs.clientSecret = random(sizes.clientSecret);
    return { id: inputs.clientId, outs };
  },
};
`;

/**
 * Pulumi's floor given the bench clients' shape, declared the way `KeycloakClient` declares a client
 * (provider/resources/location.ts): a one-line `__provider` that requires the provider by path (the
 * dynamic-provider host runs in the program's directory), Pulumi's per-property stack capture muted
 * while the resource is constructed, the inputs `KeycloakClient` registers for these clients (the
 * program's four fields plus serverUrl, realm and the owner marker), the same output properties, and
 * the registration access token and client secret as secret outputs. What it costs beyond
 * FLOOR_PROGRAM is Pulumi's own cost for a resource of a client's shape, which no front door can shed;
 * a front door's cost beyond it is its own work (and Keycloak's). Not the target's floor: shown beside it.
 */
export const SHAPED_FLOOR_PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const count = Number(new pulumi.Config("bench").require("count"));
const __provider = "exports.handler = () => require(require(\\"path\\").resolve(\\"shapedProvider.js\\"));\\n";
const owner = pulumi.getProject() + "/" + pulumi.getStack() + "/KeycloakClient/c";
for (let i = 0; i < count; i++) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    new pulumi.CustomResource("pulumi-nodejs:dynamic/floor:Shaped", "c" + i, {
      clientId: "bench-" + i, description: "v1", redirectUris: ["https://app" + i + ".example.com/*"], publicClient: i % 2 === 0,
      serverUrl: "http://127.0.0.1:40000", realm: "bench-mf3k2x9a", __owner: owner + i, __provider,
      internalId: undefined, registrationAccessToken: undefined, clientSecret: undefined, adapterConfig: undefined,
      clientSecretExpiresAt: undefined, rotatedClientSecretExpiresAt: undefined, serverOverrides: undefined,
    }, { additionalSecretOutputs: ["registrationAccessToken", "clientSecret", "adapterConfig"] });
  } finally {
    Error.stackTraceLimit = limit;
  }
}
`;
