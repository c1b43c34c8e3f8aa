/**
 * Stands in for `@pulumi/pulumi` inside the plugin bundle (scripts/plugin-pack.ts): the core's only
 * run-time use of it is `pulumi.log.warn` (dynamic/warnings.ts), which the plugin replaces with the
 * engine's Log service. Keeps the Pulumi SDK, and its start-up time, out of the plugin.
 */
export const log = {
  warn: (message: string): void => void process.stderr.write(`${message}\n`),
};
