/**
 * The provider implementations, loaded at run time inside Pulumi's dynamic-provider process by the
 * tiny serialized shells in `../resources`. Nothing here is serialized into the stack's state. Each
 * is the one lifecycle core (lifecycle.ts) configured with one kind; each keeps its own settings.
 */
import type * as pulumi from "@pulumi/pulumi";
import { keycloakClientKind } from "./kinds/keycloakClient";
import { oidcClientKind } from "./kinds/oidcClient";
import { samlClientKind } from "./kinds/samlClient";
import { withHostErrors } from "./hostErrors";
import { clientProvider } from "./lifecycle";

/**
 * What the dynamic runtime (and tests) see: every method present, inputs and outputs as Pulumi passes
 * them, failures shaped for the host's log line (hostErrors.ts).
 */
type DynamicProvider = Required<pulumi.dynamic.ResourceProvider>;

export const keycloakClientProvider: DynamicProvider = withHostErrors(clientProvider(keycloakClientKind));
export const oidcClientProvider: DynamicProvider = withHostErrors(clientProvider(oidcClientKind));
export const samlClientProvider: DynamicProvider = withHostErrors(clientProvider(samlClientKind));
