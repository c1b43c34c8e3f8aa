import type * as pulumi from "@pulumi/pulumi";

/** Marks the provider's own error classes (`RegistrationError` and its subclasses, provider/registration/errors.ts). */
export const DELIBERATE_ERROR = Symbol.for("pulumi-keycloak-registration.deliberateError");

/**
 * Pulumi's dynamic-provider host prints a failed configure, check, diff, read or delete as
 * `${error}: ${error.stack}` on the stack's diagnostics: the message twice, then a JavaScript stack
 * trace through the provider's files, for a failure that is Keycloak's answer or the user's
 * configuration, not a bug. For the errors the provider raises on purpose (its own error classes and
 * plain `Error`s, each with a message written for the user) that line becomes
 * `<ErrorClass>: <message>`, once, without the trace. JavaScript's own error types (TypeError,
 * RangeError, ...) and libraries' errors keep their trace: they point at a bug. The message, which
 * Pulumi shows on the resource, is unchanged.
 */
export function forPulumiHost(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const deliberate = Object.getPrototypeOf(error) === Error.prototype || (error as unknown as Record<symbol, unknown>)[DELIBERATE_ERROR] === true;
  if (!deliberate) return error;
  const name = error.name;
  Object.defineProperty(error, "stack", { value: error.message, configurable: true, writable: true });
  Object.defineProperty(error, "toString", { value: () => name, configurable: true, writable: true });
  return error;
}

type Methods = Required<pulumi.dynamic.ResourceProvider>;

/** The same provider, each method's failure (thrown or rejected) passed through {@link forPulumiHost}. */
export function withHostErrors(provider: Methods): Methods {
  const wrapped: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(provider) as Array<[string, unknown]>) {
    if (typeof fn !== "function") {
      wrapped[method] = fn;
      continue;
    }
    wrapped[method] = async (...args: unknown[]) => {
      try {
        return await fn.apply(provider, args);
      } catch (e) {
        throw forPulumiHost(e);
      }
    };
  }
  return wrapped as unknown as Methods;
}
