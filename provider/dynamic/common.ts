import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { clientExists } from "../registration/clientExistence";
import { Connection } from "../registration/connection";
import { BearerToken } from "../registration/credentials";
import { RegistrationAccessTokenRejected, RegistrationError } from "../registration/errors";
import { redact } from "../registration/redact";
import { issueRegistrationAccessToken } from "../registration/recovery";
import { problemsFrom } from "../schema/issues";
import { settings } from "./settings";
import { containsUnknown, withoutUnknowns } from "./unknowns";

/** What every provider here shares: validation in `check`, the connection, error surfacing and token recovery. */

export const PROVIDER_KEY = "__provider";

/**
 * `check` for every resource: validate with the resource's schema (problems name the field), then,
 * for a new resource, make sure it can be registered at all — both before any request is sent.
 * Unknown values (previews of dependent resources) are left for the next check.
 */
export async function checkWith<S extends z.ZodType>(
  schema: S,
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown>,
  creationProblem: (inputs: z.output<S>) => string | undefined,
): Promise<pulumi.dynamic.CheckResult> {
  const { [PROVIDER_KEY]: _provider, ...args } = news;
  const parsed = schema.safeParse(withoutUnknowns(args));
  if (!parsed.success) return { failures: problemsFrom(schema, parsed.error) };
  const creating = !olds || Object.keys(olds).length === 0;
  const problem = creating && !containsUnknown(args.auth) ? creationProblem(parsed.data) : undefined;
  if (problem) return { failures: [{ property: "auth", reason: problem }] };
  return { inputs: containsUnknown(args) ? news : { ...(parsed.data as object), [PROVIDER_KEY]: news[PROVIDER_KEY] } };
}

export function connectionOf(s: { serverUrl: string; realm: string }): Connection {
  return { serverUrl: s.serverUrl, realm: s.realm, transport: settings().transport };
}

type Outcome<T> = { gone: true } | { gone: false; value: T; registrationAccessToken: string };

/**
 * Runs `op` with the stored registration access token. When Keycloak rejects it, the client is
 * either gone (reported as such) or its token was lost, e.g. rotated by an update whose result the
 * engine never saved. Then, with a recovery service account configured, a fresh token is issued and
 * `op` runs once more; without one, the error says how to recover by hand.
 */
export async function withRegistrationAccessToken<T>(conn: Connection, state: { clientId: string; internalId?: string; registrationAccessToken?: string }, op: (token: BearerToken) => Promise<T>): Promise<Outcome<T>> {
  const stored = state.registrationAccessToken ?? "";
  try {
    return { gone: false, value: await op({ kind: "registration access token", value: stored }), registrationAccessToken: stored };
  } catch (e) {
    if (!(e instanceof RegistrationAccessTokenRejected)) throw e;
    if (!(await clientExists(conn, state.clientId))) return { gone: true };
    const recovery = settings().recovery;
    if (!recovery) throw e;
    const fresh = await issueRegistrationAccessToken(conn, recovery, state);
    return { gone: false, value: await op({ kind: "registration access token", value: fresh }), registrationAccessToken: fresh };
  }
}

/** Errors cross into Pulumi's output: only our own, token-free messages go through. */
export function surfaced(e: unknown): Error {
  if (e instanceof RegistrationError) return e;
  return new Error(redact(e instanceof Error ? e.message : String(e)));
}

