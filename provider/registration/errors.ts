import { redact } from "./redact";

/** What a registration call was doing, so an error can say where it happened. */
export interface RequestContext {
  operation: "create" | "read" | "update" | "delete" | "fetch service-account token" | "issue registration access token" | string;
  serverUrl: string;
  realm: string;
  /** The client concerned, when known. */
  clientId?: string;
}

function where(ctx: RequestContext): string {
  const client = ctx.clientId ? `client "${ctx.clientId}"` : "a client";
  // A server other than Keycloak has no realm: the endpoint URL alone says where.
  return `could not ${ctx.operation} ${client}${ctx.realm ? ` in realm "${ctx.realm}"` : ""} at ${ctx.serverUrl}`;
}

/**
 * Base class of every failure of the registration service, the network or the credentials.
 * `code` is stable and machine-readable; the message names the client, the cause and the next step,
 * and never carries a token.
 */
export class RegistrationError extends Error {
  readonly code: string;
  readonly status?: number;
  /** Keycloak's `error` field, e.g. `invalid_token`, `insufficient_scope`. */
  readonly serverError?: string;
  /** Keycloak's `error_description`, redacted. */
  readonly serverDescription?: string;

  constructor(
    code: string,
    ctx: RequestContext,
    cause: string,
    nextStep: string,
    details: { status?: number; serverError?: string; serverDescription?: string } = {},
  ) {
    // Keycloak's own sentences end with a period; ours join them with one.
    super(redact(`${where(ctx)}: ${cause.replace(/\.+$/, "")}. ${nextStep}`));
    this.name = new.target.name;
    this.code = code;
    this.status = details.status;
    this.serverError = details.serverError;
    this.serverDescription = details.serverDescription === undefined ? undefined : redact(details.serverDescription);
  }
}

// Pulumi's dynamic-provider host logs these without a stack trace (provider/dynamic/hostErrors.ts).
Object.defineProperty(RegistrationError.prototype, Symbol.for("pulumi-keycloak-registration.deliberateError"), { value: true });

export class InitialAccessTokenExhausted extends RegistrationError {}
export class InitialAccessTokenRejected extends RegistrationError {}
export class RegistrationAccessTokenRejected extends RegistrationError {}
export class CredentialsRejected extends RegistrationError {}
export class PolicyRejected extends RegistrationError {
  /** The name of the client registration policy that refused, as configured in the realm. */
  policyName?: string;
}
export class ClientIdInUse extends RegistrationError {}
export class ClientIdModified extends RegistrationError {}
export class InvalidClientMetadata extends RegistrationError {}
export class ClientNotFound extends RegistrationError {}
export class ServerUnreachable extends RegistrationError {}
export class TlsFailure extends RegistrationError {}
export class RequestTimedOut extends RegistrationError {}
export class ServerFailure extends RegistrationError {}
export class UnexpectedResponse extends RegistrationError {}

/** A clientId already registered by someone else (another stack, or outside Pulumi): never taken over without `adopt`. */
export class ClientOwnedElsewhere extends RegistrationError {}
/** A server named a registration_client_uri outside the registration endpoint's directory (another host, path or scheme): no token is sent there. */
export class UntrustedRegistrationClientUri extends RegistrationError {}

/** A client policy of the realm (Realm settings > Client policies) refused the client's metadata; a broader role would not help. */
export class ClientPolicyRejected extends RegistrationError {}
/** A 403 that is neither a named policy, a client policy nor a missing realm-management role: the server says "no permission". */
export class RequestForbidden extends RegistrationError {}
/** An answer that is not the registration service's own (an HTML or plain-text 404 or 401 from a proxy): no evidence of anything, state kept. */
export class AmbiguousResponse extends RegistrationError {}
/** Keycloak says the realm does not exist: not evidence that one client is gone (a wrong serverUrl or a routed proxy says the same). */
export class RealmNotFound extends RegistrationError {}
/** A proxy applies to an http:// server: the token would cross the proxy in plaintext, so nothing is sent. */
export class InsecureProxyRoute extends RegistrationError {}
