import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../schema/connection";

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
