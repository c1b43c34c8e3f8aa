import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../schema/namespace";

/**
 * Where a Keycloak client lives: the resource's own `serverUrl` and `realm`, else the stack
 * configuration. Resolved in the program, so both are ordinary inputs the diff sees (a change replaces
 * the client) and a missing one fails at construction, before any request.
 */
export function keycloakLocation(
  resource: string,
  name: string,
  args: { serverUrl?: pulumi.Input<string>; realm?: pulumi.Input<string> },
  alternative = "",
): { serverUrl: pulumi.Input<string>; realm: pulumi.Input<string> } {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const serverUrl = args.serverUrl ?? config.get("serverUrl");
  const realm = args.realm ?? config.get("realm");
  if (serverUrl === undefined || realm === undefined) {
    const missing = serverUrl === undefined ? "serverUrl" : "realm";
    throw new Error(
      `${resource} "${name}": ${missing} is not set. ${alternative}Pass \`${missing}\` to the resource or run ` +
        `\`pulumi config set ${CONFIG_NAMESPACE}:${missing} <value>\`.`,
    );
  }
  return { serverUrl, realm };
}

/**
 * Who registers a client: "<project>/<stack>/<Kind>/<name>", passed as the hidden `__owner` input. The
 * provider writes a marker derived from it into the client and checks it before taking over a client
 * after "Client Identifier in use" (see provider/dynamic/ownership.ts).
 */
export function ownerOf(kind: "KeycloakClient" | "OidcClient" | "SamlClient", name: string): string {
  return `${pulumi.getProject()}/${pulumi.getStack()}/${kind}/${name}`;
}

/**
 * Pulumi's SDK records a stack trace (`new Error().stack`) for each of the several promises behind
 * every output property a resource's constructor creates (`debuggablePromise`, used only to name the
 * code behind a promise still pending when the program exits). Under the source-map support every
 * Pulumi program runs with, formatting those traces was most of a program's CPU time for a hundred
 * clients (about 70% of constructing them). The constructors therefore call `super` with
 * `Error.stackTraceLimit` at 0 and restore it right after: the resource's own source position and
 * stack trace, which Pulumi records into the state, are unchanged (Pulumi lifts the limit for them
 * itself); a leaked-promise report still names the resource and property, without a trace. An error
 * thrown during construction gets the constructor's caller's trace.
 *
 *     const unmute = muteStackCapture();
 *     try { super(...); } catch (e) { throw unmute(e); } finally { unmute(); }
 */
export function muteStackCapture(): (error?: unknown) => unknown {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return (error?: unknown) => {
    Error.stackTraceLimit = limit;
    if (error instanceof Error && typeof error.stack === "string" && !error.stack.includes("\n    at ")) {
      const here = new Error().stack ?? "";
      error.stack = `${error.stack}${here.slice(here.indexOf("\n"))}`;
    }
    return error;
  };
}

/**
 * The type token `pulumi.dynamic.Resource` gives a resource of module `keycloak-registration`: the
 * engine hands every `pulumi-nodejs:dynamic/...` resource to Pulumi's dynamic provider.
 */
export function dynamicType(kind: "KeycloakClient" | "OidcClient" | "SamlClient"): string {
  return `pulumi-nodejs:dynamic/keycloak-registration:${kind}`;
}

const serialized = new Map<pulumi.dynamic.ResourceProvider, Promise<string>>();

/**
 * The `__provider` input `pulumi.dynamic.Resource` would store: the provider serialized by Pulumi's
 * closure serializer, as `pulumi.dynamic.Resource` does it (`() => provider`, secrets allowed), once
 * per shell. The shells are module exports, so the text is a `require` of the shell's module (see
 * shell.ts), the same text as before the classes extended `CustomResource` directly.
 *
 * Why the classes do not extend `pulumi.dynamic.Resource`: Pulumi takes a resource's source position
 * from the fourth frame of the constructor's stack (Resource, CustomResource, the resource's class,
 * the program). A subclass of `dynamic.Resource` adds a frame, so every client's recorded position
 * was this package's constructor instead of the program line that declared it, and each client's
 * state carried that extra frame (about 200 bytes).
 */
export function serializedProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  let text = serialized.get(provider);
  if (!text) {
    text = pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((f) => f.text);
    serialized.set(provider, text);
  }
  return text;
}
