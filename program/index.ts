/**
 * The root Pulumi program: registers one client per entry of the stack's `clients` list
 * (`keycloak-registration-stack:clients` in `Pulumi.<stack>.yaml`) and exports their ids and
 * (secret) credentials under `clients.<name>`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as registration from "../provider";
import { CLIENTS_KEY, clientsFromConfig, ClientsConfigError, type ClientEntry } from "./clientsFromConfig";
import { CLIENT_KINDS } from "./kinds";

// By package name, as the serialized provider loads it: program and provider share one copy.
const pkg = require("pulumi-keycloak-registration") as typeof registration;

function readEntries(): ClientEntry[] {
  const connection = new pulumi.Config(pkg.CONFIG_NAMESPACE);
  const project = new pulumi.Config();
  try {
    const entries = clientsFromConfig(project.getObject<unknown>(CLIENTS_KEY), {
      serverUrl: connection.get("serverUrl"),
      realm: connection.get("realm"),
    });
    if (entries.length === 0) {
      pulumi.log.warn(`${project.name}:${CLIENTS_KEY} is empty or not set: this stack has no clients. See Pulumi.demo.yaml for an example list.`);
    }
    return entries;
  } catch (e) {
    // A RunError prints its message without a stack trace: the message is the whole story.
    if (e instanceof ClientsConfigError) throw new pulumi.RunError(new ClientsConfigError(e.problems, `${project.name}:${CLIENTS_KEY}`).message);
    throw e;
  }
}

export interface RegisteredClient {
  kind: string;
  clientId: pulumi.Output<string>;
  internalId: pulumi.Output<string>;
  /** Secret. */
  registrationAccessToken: pulumi.Output<string>;
  /** Secret; absent for public and bearer-only clients. */
  clientSecret?: pulumi.Output<string | undefined>;
}

function register(entries: ClientEntry[]): Record<string, RegisteredClient> {
  const out: Record<string, RegisteredClient> = {};
  for (const entry of entries) {
    const Resource = pkg[CLIENT_KINDS[entry.kind]!.resource];
    const client = new Resource(entry.name, entry.args as registration.KeycloakClientArgs);
    // A public or bearer-only client has no secret; leaving the key out keeps previews free of an unknown value.
    const hasSecret = entry.args.publicClient !== true && entry.args.bearerOnly !== true;
    out[entry.name] = {
      kind: entry.kind,
      clientId: client.clientId,
      internalId: client.internalId,
      registrationAccessToken: client.registrationAccessToken,
      ...(hasSecret ? { clientSecret: client.clientSecret } : {}),
    };
  }
  return out;
}

export const clients = register(readEntries());
