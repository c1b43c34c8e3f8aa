/**
 * The root Pulumi program: registers one client per entry of the stack's `clients` list
 * (`keycloak-registration-stack:clients` in `Pulumi.<stack>.yaml`) and exports their ids and
 * (secret) credentials under `clients.<name>`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as registration from "../provider";
import { CLIENTS_KEY, clientsFromConfig, ClientsConfigError, type ClientEntry } from "./clientsFromConfig";
import { CLIENT_KINDS, type ExportedClient } from "./kinds";

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

export interface RegisteredClient extends ExportedClient {
  kind: string;
}

function register(entries: ClientEntry[]): Record<string, RegisteredClient> {
  const out: Record<string, RegisteredClient> = {};
  for (const entry of entries) {
    const kind = CLIENT_KINDS[entry.kind]!;
    const Resource = pkg[kind.resource] as unknown as new (name: string, args: unknown) => Record<string, pulumi.Output<unknown>>;
    const client = new Resource(entry.name, entry.args);
    out[entry.name] = { kind: entry.kind, ...kind.exports(client, entry.args) };
  }
  return out;
}

export const clients = register(readEntries());
