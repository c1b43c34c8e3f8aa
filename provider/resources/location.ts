import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SECRET_CONFIG_KEYS } from "../schema/namespace";

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

type Kind = "KeycloakClient" | "OidcClient" | "SamlClient";

/**
 * The inputs every client passes besides its own fields: the credentials and the adoption token as
 * secrets, the owner (see {@link ownerOf}) and the serialized provider (see {@link serializedProvider}).
 */
export function commonInputs(
  kind: Kind,
  name: string,
  args: { auth?: pulumi.Input<object>; adopt?: pulumi.Input<object> },
  provider: pulumi.dynamic.ResourceProvider,
): { auth?: pulumi.Output<object>; adopt?: pulumi.Output<object>; __owner: string; __provider: string | Promise<string> } {
  const shell = `${kind[0]!.toLowerCase()}${kind.slice(1)}` as "keycloakClient" | "oidcClient" | "samlClient";
  warnOfPlaintextCredentials();
  return {
    auth: args.auth === undefined ? undefined : pulumi.secret(args.auth),
    adopt: args.adopt === undefined ? undefined : pulumi.secret(args.adopt),
    __owner: ownerOf(kind, name),
    __provider: serializedProvider(shell, provider),
  };
}

let plaintextChecked = false;

/**
 * A credential set with `pulumi config set` without `--secret` sits in plain text in the stack's
 * settings file (Pulumi.<stack>.yaml, often committed) and Pulumi prints it back (`preview --json`
 * echoes the configuration): warn once per run, naming the keys, never the values. Pulumi tells a
 * program which of its configuration keys are secret (`isConfigSecret`, internal to @pulumi/pulumi;
 * without it there is no warning).
 */
export function warnOfPlaintextCredentials(): void {
  if (plaintextChecked) return;
  plaintextChecked = true;
  const isConfigSecret = (pulumi.runtime as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (typeof isConfigSecret !== "function") return;
  const plain = SECRET_CONFIG_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).filter((k) => pulumi.runtime.getConfig(k) !== undefined && !isConfigSecret(k));
  if (plain.length === 0) return;
  const [it, is] = plain.length === 1 ? ["it", "is"] : ["them", "are"];
  void pulumi.log.warn(
    `${plain.join(", ")} ${is} set in plain text in the stack's configuration (Pulumi.<stack>.yaml), where anyone who reads the file reads the credential: ` +
      `set ${it} again with \`pulumi config set --secret <key>\` (the value on stdin), and issue a new one if the file has been shared`,
  );
}

/**
 * Who registers a client: "<project>/<stack>/<Kind>/<name>", passed as the hidden `__owner` input. The
 * provider writes a marker derived from it into the client and checks it before taking over a client
 * after "Client Identifier in use" (see provider/dynamic/ownership.ts).
 */
export function ownerOf(kind: Kind, name: string): string {
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
 * thrown during construction (by Pulumi, or by a `transformations` callback, which Pulumi runs inside
 * the constructor) gets the constructor's caller's trace; an Error such a callback creates and keeps
 * has none.
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
export function dynamicType(kind: Kind): string {
  return `pulumi-nodejs:dynamic/keycloak-registration:${kind}`;
}

const serialized = new Map<string, string | Promise<string>>();

/**
 * The `__provider` input of a client: a small CommonJS module whose `handler()` returns the provider,
 * the contract of Pulumi's dynamic-provider process (`requireFromString(__provider).handler()`, run
 * once per distinct text and cached). Pulumi's engine never diffs it, and neither do our providers.
 *
 * When `pulumi-keycloak-registration/shells/<shell>` resolves, from the program's directory (where
 * Pulumi also starts the provider), to the very shell module this class uses, the text is one line:
 *
 *     exports.handler = () => require("pulumi-keycloak-registration/shells/keycloakClient");
 *
 * 87 bytes, against 290 for what Pulumi's closure serializer writes for the same reference (a
 * function wrapper around the same `require`); the state holds it twice per client (inputs and
 * outputs). Otherwise (the package loaded by a relative path, say) the provider is serialized by
 * Pulumi's closure serializer exactly as `pulumi.dynamic.Resource` does (`() => provider`, secrets
 * allowed), which then carries the shell's code.
 *
 * Why the classes do not extend `pulumi.dynamic.Resource`: Pulumi takes a resource's source position
 * from the fourth frame of the constructor's stack (Resource, CustomResource, the resource's class,
 * the program). A subclass of `dynamic.Resource` adds a frame, so every client's recorded position
 * was this package's constructor instead of the program line that declared it, and each client's
 * state carried that extra frame (about 200 bytes).
 */
export function serializedProvider(shell: "keycloakClient" | "oidcClient" | "samlClient", provider: pulumi.dynamic.ResourceProvider): string | Promise<string> {
  let text = serialized.get(shell);
  if (text === undefined) {
    const request = `pulumi-keycloak-registration/shells/${shell}`;
    text = resolvesTo(request, require.resolve(`./shells/${shell}`))
      ? `exports.handler = () => require(${JSON.stringify(request)});\n`
      : pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((f) => f.text);
    serialized.set(shell, text);
  }
  return text;
}

/** Whether `request`, resolved as from the program's directory, is the module file `file`. */
function resolvesTo(request: string, file: string): boolean {
  try {
    return fs.realpathSync(require.resolve(request, { paths: [process.cwd()] })) === fs.realpathSync(file);
  } catch {
    return false;
  }
}
