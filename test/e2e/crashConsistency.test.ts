import * as fs from "node:fs";
import * as path from "node:path";
import axios from "axios";
import { type CommandResult } from "../bed/pulumiHarness";
import { useStackFixture } from "../bed/stackFixture";

/**
 * Crash consistency: `pulumi up` is SIGKILLed right after Keycloak rotated registration access
 * tokens and before the engine checkpointed them. How the window is hit: the test watches the CLI's
 * output and, once the first resource line "KeycloakClient <name> updating" (or "creating") appears,
 * kills the CLI after a random 0–120 ms. The engine prints that line just before it calls the
 * provider, and "updated" once it has checkpointed the answer, 50–150 ms later on this machine. The
 * provider is Pulumi's own (pulumi-resource-pulumi-nodejs), which does not watch the engine: it lives
 * on after the CLI is killed, so a request already sent completes in Keycloak while the engine never
 * writes the answer down; the harness stops such orphans ORPHAN_GRACE_MS (1.5 s) after the kill. A kill
 * "landed" when afterwards at least one token stored in the state is dead (read with it directly from
 * Keycloak).
 */

const PROGRAM = `"use strict";
const fs = require("fs");
const { KeycloakClient } = require("pulumi-keycloak-registration");
const spec = JSON.parse(fs.readFileSync(__dirname + "/clients.json", "utf8"));
for (const [name, args] of Object.entries(spec)) new KeycloakClient(name, args);
`;

type Spec = Record<string, { clientId: string; description: string; redirectUris?: string[] }>;

const CLIENTS = 5;
const KILLS_WITH_RECOVERY = 17;
const CREATE_KILLS = 2;
const MAX_KILLS_WITHOUT_RECOVERY = 4;
const LANDED_WITHOUT_RECOVERY = 1;
/** A second `up` (which must change nothing) after every Nth kill and after the last: each `up` costs ~10 s here. */
const NO_OP_CHECK_EVERY = 4;

/** Per test: the recovery phase alone is ~20 `up`s killed and ~25 complete ones, beyond Jest's global 10 minutes on a loaded machine. */
const PHASE_TIMEOUT_MS = 30 * 60_000;

describe("crash consistency: `pulumi up` killed between Keycloak's token rotation and the checkpoint", () => {
  const fx = useStackFixture({ name: "crash-consistency", program: PROGRAM, initialAccessToken: { count: 100 }, recovery: true }, PHASE_TIMEOUT_MS);
  const { secrets } = fx;
  const figures = { kills: 0, landed: 0, deadTokensAfterKills: 0, orphanedProcessesStopped: 0, createKills: 0, createsLeftRegisteredOutsideState: 0, convergedUps: 0, noOpUps: 0, upsThatFinishedBeforeTheKill: 0, pendingCreatesCleared: 0, emptyCheckpointSidecarsRemoved: 0, emptyOtherSidecarsRemoved: 0, truncatedCheckpointsRestored: 0, documentedFailures: 0, leaks: 0, seconds: 0 };
  const started = Date.now();
  const progress = (line: string) => process.stderr.write(`[crash] ${line}\n`);
  let version = 0;
  let spec: Spec = {};

  const declare = (next: Spec) => {
    spec = next;
    fx.declare(next);
  };
  const record = (what: string, r: CommandResult) => fx.record(what, r);
  const withDescriptions = (description: string, extra: Spec = {}): Spec => {
    const s: Spec = {};
    for (let i = 0; i < CLIENTS; i++) s[`c${i}`] = { clientId: `crash-c${i}`, description, redirectUris: ["https://app.example.com/*"] };
    return { ...s, ...extra };
  };

  /** clientId → stored registration access token, from `stack export --show-secrets`; plus pending operations. */
  const stored = async () => {
    const { json } = await fx.stack.exportState({ showSecrets: true });
    const tokens = new Map<string, string>();
    for (const r of json.deployment.resources ?? []) {
      if (!String(r.type).endsWith(":KeycloakClient")) continue;
      const t = r.outputs?.registrationAccessToken;
      const value: string = typeof t === "string" ? t : JSON.parse(t?.plaintext ?? '""');
      secrets.add(`${r.outputs.clientId} stored token`, value);
      tokens.set(r.outputs.clientId, value);
    }
    return { tokens, pending: (json.deployment.pending_operations ?? []) as Array<{ type: string; resource: { urn: string } }> };
  };

  /** Reads the client directly from Keycloak with the token: reading does not rotate it. */
  const tokenWorks = async (clientId: string, token: string) => {
    const res = await axios.get(`${fx.realm.registrationUrl()}/${encodeURIComponent(clientId)}`, {
      headers: { Authorization: `Bearer ${token}` },
      validateStatus: () => true,
    });
    return res.status === 200;
  };
  const deadTokens = async () => {
    const { tokens } = await stored();
    const works = await Promise.all([...tokens].map(([clientId, token]) => tokenWorks(clientId, token)));
    return works.filter((w) => !w).length;
  };

  /** Every client of the realm (besides Keycloak's own and our service account) is in the state, and vice versa. */
  const expectNoOrphans = async (when: string, inState?: Iterable<string>) => {
    const clientIds = [...(inState ?? (await stored()).tokens.keys())].sort();
    const inRealm = await fx.ownClientIds();
    expect({ when, inRealm }).toEqual({ when, inRealm: clientIds });
  };

  /** The state and Keycloak agree with the declaration, every stored token works, no orphans, and (optionally) a second `up` has nothing to do. */
  const expectConverged = async (when: string, secondUp = true) => {
    const [{ tokens, pending }, descriptions] = await Promise.all([
      stored(),
      Promise.all(Object.values(spec).map(async (want) => ({ when, clientId: want.clientId, description: (await fx.realm.getClient(want.clientId))?.description }))),
    ]);
    expect(descriptions).toEqual(Object.values(spec).map((want) => ({ when, clientId: want.clientId, description: want.description })));
    expect({ when, pending: pending.length }).toEqual({ when, pending: 0 });
    expect({ when, clients: [...tokens.keys()].sort() }).toEqual({ when, clients: Object.values(spec).map((c) => c.clientId).sort() });
    const works = await Promise.all([...tokens].map(async ([clientId, token]) => ({ when, clientId, works: await tokenWorks(clientId, token) })));
    expect(works).toEqual([...tokens.keys()].map((clientId) => ({ when, clientId, works: true })));
    await expectNoOrphans(when, tokens.keys());
    if (secondUp) {
      // --expect-no-changes: the state (and so the orphan check above) stays as it is.
      const again = record(`${when}: second up`, await fx.stack.up({ args: ["--expect-no-changes"] }));
      expect(again.code).toBe(0);
      figures.noOpUps++;
    }
  };

  /**
   * What a kill of the CLI can break in the file backend, and its repair. Pulumi writes every object
   * (`<stack>.json`, its `.bak`, history, locks) through gocloud's fileblob: the content goes to a temp
   * file next to the target and is renamed over it, so `<stack>.json` itself is never truncated. But
   * just before that rename fileblob writes the object's metadata sidecar `<object>.attrs` in place
   * (create/truncate, then one write), so a kill in between leaves an empty sidecar; every later read
   * of the object (Exists, ReadAll) decodes the sidecar first and fails with a bare `EOF`: for the
   * checkpoint, "failed to load checkpoint: EOF". The sidecar only holds content type and MD5, and
   * fileblob reads a missing sidecar as defaults, so the repair is to delete the empty one; the
   * checkpoint itself is the intact last one written before the kill. Pulumi's problem (its backend's
   * state repair, as an operator would do it), not the provider's: counted and reported.
   */
  const repairBackendAfterKill = async () => {
    const { stack } = fx;
    const pulumiDir = path.join(stack.backendDir, ".pulumi");
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const parses = (file: string) => {
      try {
        JSON.parse(fs.readFileSync(file, "utf8"));
        return true;
      } catch {
        return false;
      }
    };
    const files = walk(pulumiDir);
    const checkpoint = files.find((f) => path.basename(f) === `${stack.stackName}.json`);
    const broken = files.filter((f) => f.endsWith(".attrs") && !parses(f));
    for (const sidecar of broken) {
      const isCheckpoint = sidecar === `${checkpoint}.attrs`;
      if (isCheckpoint) {
        // Evidence that this is the failure of the last full run, before repairing it.
        const before = record("stack export with an empty checkpoint sidecar", await stack.run(["stack", "export", "--stack", stack.stackName], { allowFailure: true }));
        expect({ code: before.code, stderr: before.stderr.trim() }).toEqual({ code: 1, stderr: "error: failed to load checkpoint: EOF" });
        figures.emptyCheckpointSidecarsRemoved++;
      } else figures.emptyOtherSidecarsRemoved++;
      fs.rmSync(sidecar);
      const object = sidecar.slice(0, -".attrs".length);
      progress(`kill #${figures.kills} left ${path.relative(pulumiDir, sidecar)} empty (object ${fs.existsSync(object) ? `intact, ${fs.statSync(object).size} bytes` : "never renamed into place"}): sidecar removed`);
    }
    // Not expected (temp file + rename), but checked: a checkpoint that does not parse is restored from its .bak.
    if (checkpoint && !parses(checkpoint)) {
      fs.copyFileSync(`${checkpoint}.bak`, checkpoint);
      fs.rmSync(`${checkpoint}.attrs`, { force: true });
      figures.truncatedCheckpointsRestored++;
      progress(`kill #${figures.kills} left ${path.basename(checkpoint)} unparseable: restored from its .bak`);
    }
  };

  /** Starts `up` and SIGKILLs the CLI 0–120 ms after its first line matching `trigger`. Resolves false when `up` finished first. */
  const killedUp = async (what: string, trigger: RegExp): Promise<boolean> => {
    const delay = Math.floor(Math.random() * 120);
    let timer: NodeJS.Timeout | undefined;
    const { child, result } = fx.stack.startUp({
      allowFailure: true,
      onOutput: (chunk) => {
        if (!timer && trigger.test(chunk)) timer = setTimeout(() => child.kill("SIGKILL"), delay);
      },
    });
    const r = record(what, await result);
    if (timer) clearTimeout(timer);
    if (r.signal !== "SIGKILL") {
      expect(r.code).toBe(0);
      // A runaway loop would mean the trigger never matches.
      expect(++figures.upsThatFinishedBeforeTheKill).toBeLessThan(15);
      return false;
    }
    figures.kills++;
    // The harness gave the orphaned provider ORPHAN_GRACE_MS to finish the requests it had sent, then stopped it.
    figures.orphanedProcessesStopped += r.orphansKilled;
    fx.stack.clearLocks();
    await repairBackendAfterKill();
    return true;
  };

  beforeAll(async () => {
    declare(withDescriptions("v0"));
    record("initial up", await fx.stack.up());
  }, PHASE_TIMEOUT_MS);

  afterAll(() => {
    figures.seconds = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`crash consistency: ${JSON.stringify(figures)}\n`);
    // A kill left the file backend locked: the fixture's teardown must be able to destroy.
    fx.stack?.clearLocks();
  });

  test("with the recovery credential, every `up` after a kill converges, whether the kill hit an update or a create", async () => {
    let updateKills = 0;
    while (updateKills < KILLS_WITH_RECOVERY) {
      declare(withDescriptions(`v${++version}`));
      if (!(await killedUp(`kill #${figures.kills + 1}`, /KeycloakClient \S+ updating/))) continue;
      updateKills++;
      const dead = await deadTokens();
      figures.deadTokensAfterKills += dead;
      if (dead > 0) figures.landed++;
      const next = record(`up after kill #${figures.kills}`, await fx.stack.up({ allowFailure: true }));
      expect({ kill: figures.kills, dead, code: next.code, stderr: next.code === 0 ? "" : next.stdout.slice(-3000) }).toEqual({ kill: figures.kills, dead, code: 0, stderr: "" });
      figures.convergedUps++;
      await expectConverged(`after kill #${figures.kills}`, updateKills % NO_OP_CHECK_EVERY === 0 || updateKills === KILLS_WITH_RECOVERY);
      progress(`kill #${figures.kills}: ${dead} dead token(s), converged`);
    }

    // Kills during a create: the engine leaves a pending create; the client may or may not be registered.
    let createKills = 0;
    while (createKills < CREATE_KILLS) {
      const extra = `crash-new-${createKills}`;
      declare(withDescriptions(`v${version}`, { [`new${createKills}`]: { clientId: extra, description: "new" } }));
      if (!(await killedUp(`create kill #${createKills + 1}`, /KeycloakClient \S+ creating/))) {
        // `up` won the race: take the new client out again and retry.
        declare(withDescriptions(`v${version}`));
        record("remove the new client", await fx.stack.up());
        continue;
      }
      createKills++;
      figures.createKills++;
      const { tokens, pending } = await stored();
      const registered = Boolean(await fx.realm.getClient(extra));
      if (!tokens.has(extra) && registered) figures.createsLeftRegisteredOutsideState++;
      progress(`create kill #${createKills}: pending operations ${pending.map((p) => p.type).join(",") || "none"}, registered ${registered}`);
      // `up` warns about the pending create and creates again: "Client Identifier in use" is adopted.
      const next = record(`up after create kill #${createKills}`, await fx.stack.up({ allowFailure: true }));
      expect({ createKill: createKills, code: next.code, out: next.code === 0 ? "" : next.stdout.slice(-3000) }).toEqual({ createKill: createKills, code: 0, out: "" });
      figures.convergedUps++;
      // Pulumi carries a pending CREATE into every later checkpoint on purpose (its snapshot manager:
      // "these must require user intervention"), whatever the provider did: exactly the ones the kill left.
      const pendingAfter = (await stored()).pending.map((p) => ({ type: p.type, urn: p.resource.urn }));
      expect({ createKill: createKills, pendingAfter }).toEqual({ createKill: createKills, pendingAfter: pending.filter((p) => p.type === "creating").map((p) => ({ type: p.type, urn: p.resource.urn })) });
      if (pendingAfter.length > 0) {
        expect(next.stdout).toContain("interrupted while creating");
        // The operator's step Pulumi documents for it; the provider cannot clear it.
        record(`refresh --clear-pending-creates after create kill #${createKills}`, await fx.stack.refresh({ clearPendingCreates: true }));
        figures.pendingCreatesCleared += pendingAfter.length;
      }
      await expectConverged(`after create kill #${createKills}`);
      declare(withDescriptions(`v${version}`));
      record("remove the new client", await fx.stack.up());
    }
    await expectNoOrphans("end of the recovery phase");
    expect(figures.landed).toBeGreaterThan(0);
  }, PHASE_TIMEOUT_MS);

  test("without the recovery credential, the `up` after a kill that landed fails with the documented way back", async () => {
    await fx.stack.removeConfig("keycloak-registration:recoveryClientId");
    await fx.stack.removeConfig("keycloak-registration:recoveryClientSecret");
    let landed = 0;
    for (let kills = 0; kills < MAX_KILLS_WITHOUT_RECOVERY && landed < LANDED_WITHOUT_RECOVERY; ) {
      declare(withDescriptions(`v${++version}`));
      if (!(await killedUp(`kill without recovery #${kills + 1}`, /KeycloakClient \S+ updating/))) continue;
      kills++;
      const dead = await deadTokens();
      figures.deadTokensAfterKills += dead;
      const next = record(`up without recovery after kill`, await fx.stack.up({ allowFailure: true }));
      progress(`kill without recovery #${kills}: ${dead} dead token(s), next up exit ${next.code}`);
      if (dead === 0) {
        expect(next.code).toBe(0);
        continue;
      }
      landed++;
      figures.landed++;
      figures.documentedFailures++;
      expect(next.code).not.toBe(0);
      const out = next.stdout + next.stderr;
      expect(out).toContain("the stored registration access token was rejected");
      expect(out).toContain("recoveryClientId");
      expect(out).toContain("kcreg.sh update-token");
      // Restoring the credential is the way back: the next `up` converges.
      await fx.stack.setAllConfig({
        "keycloak-registration:recoveryClientId": fx.recovery!.clientId,
        "keycloak-registration:recoveryClientSecret": { value: fx.recovery!.clientSecret, secret: true },
      });
      const repaired = record("up with the credential restored", await fx.stack.up({ allowFailure: true }));
      expect(repaired.code).toBe(0);
      await expectConverged("after restoring the recovery credential");
      await fx.stack.removeConfig("keycloak-registration:recoveryClientId");
      await fx.stack.removeConfig("keycloak-registration:recoveryClientSecret");
    }
    expect(landed).toBeGreaterThan(0);
  }, PHASE_TIMEOUT_MS);

  test("destroy leaves no client behind, and no token or secret appears in anything Pulumi printed", async () => {
    record("destroy", await fx.stack.destroy());
    expect(await fx.ownClientIds()).toEqual([]);
    const leaks = fx.leaks();
    figures.leaks = leaks.length;
    expect(leaks).toEqual([]);
    expect(figures.kills).toBeGreaterThanOrEqual(20);
  });
});
