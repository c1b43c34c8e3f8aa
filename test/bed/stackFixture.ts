import * as fs from "node:fs";
import * as path from "node:path";
import { SecretRegistry } from "../support/leaks";
import { startKeycloak } from "./keycloak";
import { makeProgramDir, PulumiStack, type CommandResult, type ConfigValue, type StackOptions } from "./pulumiHarness";
import { createTestRealm, type TestRealm } from "./realm";

/**
 * The set-up most e2e suites share, in one place: a fresh realm on the bed's Keycloak, an initial
 * access token (and optionally a recovery service account) for it, a program directory, and a stack
 * whose config points at the realm; plus the leak scanner's bookkeeping (every token and secret the
 * test sees, every text Pulumi printed or stored). {@link useStackFixture} wires it to
 * beforeAll/afterAll; the teardown destroys the stack only when the test's own last destroy did not
 * succeed, then removes stack, program directory and realm.
 */
export interface StackFixtureOptions {
  /** Prefix of the realm and program directory names. */
  name: string;
  /** The program: index.js source, or its files. Default none: give `programDir`, or use no stack. */
  program?: string | Record<string, string>;
  /** An existing program directory (e.g. the repository root); not removed afterwards. */
  programDir?: string;
  /** The stack's initial access token; `false` for none. Default: count 10, one hour. */
  initialAccessToken?: { count: number; expiration?: number } | false;
  /** A recovery service account (realm-management `manage-clients`) in the stack config. */
  recovery?: boolean;
  /** More stack config, after the connection and credentials (may override them). */
  config?: Record<string, ConfigValue> | ((realm: TestRealm) => Record<string, ConfigValue>);
  /** `false`: realm (and program dir) only; the test makes its stacks with {@link StackFixture.newStack}. */
  stack?: boolean;
  /** Passed to PulumiStack.create (backend, environment, log); a function is called when the stacks are made. */
  stackOptions?: Partial<Omit<StackOptions, "programDir" | "config">> | (() => Partial<Omit<StackOptions, "programDir" | "config">>);
}

export class StackFixture {
  realm!: TestRealm;
  programDir!: string;
  /** The stack (unless `stack: false`). */
  stack!: PulumiStack;
  initialAccessToken?: string;
  recovery?: { clientId: string; clientSecret: string };
  /** Client ids the realm had before the test (Keycloak's own, the recovery account). */
  builtInClientIds = new Set<string>();
  readonly secrets = new SecretRegistry();
  readonly transcripts: Array<{ where: string; text: string }> = [];
  private readonly stacks: PulumiStack[] = [];
  private ownProgramDir = false;

  constructor(readonly options: StackFixtureOptions) {}

  /** Connection and credentials of the realm, as stack config (serverUrl always set: credentials are bound to its origin). */
  connection(extra: Record<string, ConfigValue> = {}): Record<string, ConfigValue> {
    return {
      "keycloak-registration:serverUrl": this.realm.server.url,
      "keycloak-registration:realm": this.realm.name,
      ...extra,
    };
  }

  async setUp(): Promise<void> {
    const o = this.options;
    this.realm = await createTestRealm(await startKeycloak(), `${o.name}-${Math.random().toString(36).slice(2, 8)}`);
    this.builtInClientIds = new Set(await this.realm.listClientIds());
    const credentials: Record<string, ConfigValue> = {};
    if (o.initialAccessToken !== false) {
      const { count, expiration } = o.initialAccessToken ?? { count: 10 };
      this.initialAccessToken = await this.realm.createInitialAccessToken({ count, expiration: expiration ?? 3600 });
      this.secrets.add("initial access token", this.initialAccessToken);
      credentials["keycloak-registration:initialAccessToken"] = { value: this.initialAccessToken, secret: true };
    }
    if (o.recovery) {
      this.recovery = await this.realm.createServiceAccount({ roles: ["manage-clients"] });
      this.builtInClientIds.add(this.recovery.clientId);
      this.secrets.add("recovery secret", this.recovery.clientSecret);
      credentials["keycloak-registration:recoveryClientId"] = this.recovery.clientId;
      credentials["keycloak-registration:recoveryClientSecret"] = { value: this.recovery.clientSecret, secret: true };
    }
    if (o.programDir) this.programDir = o.programDir;
    else if (o.program !== undefined) {
      this.programDir = makeProgramDir({ prefix: o.name, files: typeof o.program === "string" ? { "index.js": o.program } : o.program });
      this.ownProgramDir = true;
    }
    if (o.stack === false) return;
    const extra = typeof o.config === "function" ? o.config(this.realm) : (o.config ?? {});
    this.stack = await this.newStack({ ...this.connection(credentials), ...extra });
  }

  /** Another stack of the fixture's program, with this config; torn down with the fixture. */
  async newStack(config: Record<string, ConfigValue>, options: Partial<Omit<StackOptions, "programDir" | "config">> = {}): Promise<PulumiStack> {
    if (!this.programDir) throw new Error("StackFixture: no program (give `program` or `programDir`)");
    const base = typeof this.options.stackOptions === "function" ? this.options.stackOptions() : this.options.stackOptions;
    const stack = await PulumiStack.create({ ...base, ...options, programDir: this.programDir, config });
    this.stacks.push(stack);
    return stack;
  }

  /** Keeps a command's output for the leak scan, and returns it. */
  record(what: string, r: CommandResult): CommandResult {
    this.transcripts.push({ where: `${what} stdout`, text: r.stdout }, { where: `${what} stderr`, text: r.stderr });
    return r;
  }

  /** Every secret seen, found in any text kept: empty when nothing leaked. */
  leaks(): string[] {
    return this.transcripts.flatMap((t) => this.secrets.findIn(t.where, t.text));
  }

  /** Writes `clients.json` into the program directory (programs that declare one resource per entry read it). */
  declare(spec: Record<string, unknown>): void {
    fs.writeFileSync(path.join(this.programDir, "clients.json"), JSON.stringify(spec, null, 2));
  }

  /** The realm's clients the test created (all but those it had before). */
  async ownClientIds(): Promise<string[]> {
    return (await this.realm.listClientIds()).filter((c) => !this.builtInClientIds.has(c)).sort();
  }

  async tearDown(): Promise<void> {
    const errors: unknown[] = [];
    for (const stack of this.stacks) await stack.teardown().catch((e: unknown) => errors.push(e));
    if (this.ownProgramDir) fs.rmSync(this.programDir, { recursive: true, force: true });
    await this.realm?.remove().catch((e: unknown) => errors.push(e));
    if (errors.length) throw errors[0];
  }
}

/** A {@link StackFixture} set up in beforeAll and torn down in afterAll of the enclosing describe. */
export function useStackFixture(options: StackFixtureOptions, timeoutMs?: number): StackFixture {
  const fixture = new StackFixture(options);
  beforeAll(() => fixture.setUp(), timeoutMs);
  afterAll(() => fixture.tearDown(), timeoutMs);
  return fixture;
}
