import * as pulumi from "@pulumi/pulumi";
import { redact } from "../registration/redact";
import { newOverrides, OverrideRecord, overrideWarning, ServerOverride } from "./overrides";

/**
 * Tells the user about overrides a write met that the state did not record yet: once, as a Pulumi
 * warning from the provider process (it shows in `pulumi up`'s diagnostics). Tests replace `sink`.
 */
export const warningSink: { sink: (message: string) => void } = {
  sink: (message) => void pulumi.log.warn(message),
};

export function warnOfOverrides(client: string, previous: OverrideRecord | undefined, current: OverrideRecord | undefined, likelyPolicy: (field: string) => string): void {
  const met: ServerOverride[] = Object.entries(current ?? {}).map(([field, r]) => ({ field, ...r, likelyPolicy: likelyPolicy(field) }));
  const fresh = newOverrides(previous, met);
  if (fresh.length > 0) warningSink.sink(redact(overrideWarning(client, fresh)));
}
