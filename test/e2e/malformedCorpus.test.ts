import * as fs from "node:fs";
import { startFaultProxy, type FaultProxy } from "../bed/faultProxy";
import { startKeycloak } from "../bed/keycloak";
import { makeProgramDir, PulumiStack } from "../bed/pulumiHarness";
import { FAKE_TOKEN, MALFORMED_CASES } from "./malformed-cases";

/**
 * Every malformed definition of the corpus is rejected by `check` at `pulumi preview`, with an error
 * that names the field, and not one request reaches Keycloak: the provider's serverUrl is a counting
 * proxy in front of it, whose counter must stay at zero.
 *
 * One preview per case: Pulumi 3.259's step generator stops the whole deployment at the first
 * resource whose check fails (resource/deploy/step_generator.go, "resource %s is invalid"), so a
 * program of many bad resources reports only one. The program declares the case named by the
 * CORPUS_CASE environment variable; two stacks run previews side by side.
 */

const PROGRAM = `"use strict";
const fs = require("fs");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const cases = JSON.parse(fs.readFileSync(__dirname + "/cases.json", "utf8"));
const name = process.env.CORPUS_CASE;
new KeycloakClient(name, cases[name]);
`;

const PARALLEL = 2;
const resourceName = (i: number) => `case-${String(i).padStart(2, "0")}`;

describe("a corpus of malformed KeycloakClient definitions", () => {
  let proxy: FaultProxy;
  let programDir: string;
  const stacks: PulumiStack[] = [];

  beforeAll(async () => {
    const server = await startKeycloak();
    proxy = await startFaultProxy(server.url);
    const cases = Object.fromEntries(MALFORMED_CASES.map((c, i) => [resourceName(i), c.args]));
    programDir = makeProgramDir({ prefix: "malformed-corpus", files: { "index.js": PROGRAM, "cases.json": JSON.stringify(cases) } });
    for (let i = 0; i < PARALLEL; i++) {
      stacks.push(
        await PulumiStack.create({
          programDir,
          config: {
            "keycloak-registration:serverUrl": proxy.url,
            "keycloak-registration:realm": "corpus",
            "keycloak-registration:initialAccessToken": { value: FAKE_TOKEN, secret: true },
          },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const s of stacks) s.remove();
    if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
    await proxy?.close();
  });

  test(`all ${MALFORMED_CASES.length} cases fail preview, each naming its field, with zero requests to Keycloak`, async () => {
    expect(MALFORMED_CASES.length).toBeGreaterThanOrEqual(50);
    const unmet: Array<{ case: string; field: string; reported: string }> = [];
    let next = 0;
    const worker = async (stack: PulumiStack) => {
      while (next < MALFORMED_CASES.length) {
        const i = next++;
        const c = MALFORMED_CASES[i]!;
        const name = resourceName(i);
        const preview = await stack.preview({ allowFailure: true, env: { CORPUS_CASE: name } });
        // The engine's diagnostics carry the resource's URN.
        const diagnostics = (preview.json?.diagnostics ?? []) as Array<{ urn?: string; message: string; severity: string }>;
        const reported = diagnostics
          .filter((d) => d.severity === "error" && d.urn?.endsWith(`::${name}`))
          .map((d) => d.message)
          .join("\n");
        const created = preview.json?.changeSummary?.create ?? 0;
        // Failed, named the field, would create nothing but the stack itself, and echoed no secret input.
        if (preview.code === 0 || !reported.includes(c.field) || created > 1 || (preview.stdout + preview.stderr).includes(FAKE_TOKEN)) {
          unmet.push({ case: `${name}: ${c.what}`, field: c.field, reported: (reported || preview.stdout.slice(-600)).slice(0, 600) });
        }
      }
    };
    await Promise.all(stacks.map(worker));
    expect(unmet).toEqual([]);
    // Not one request reached the server.
    expect(proxy.requests).toEqual([]);
    process.stderr.write(`malformed corpus: ${MALFORMED_CASES.length} cases rejected at preview, ${proxy.requests.length} requests reached Keycloak\n`);
  });
});
