import * as os from "node:os";
import * as path from "node:path";

/**
 * Where the test bed keeps what it downloads or builds (Keycloak distributions, the Pulumi CLI).
 * Outside the repository, so a fresh clone reuses it: KCREG_CACHE_DIR, else $XDG_CACHE_HOME, else ~/.cache.
 */
export function cacheDir(...parts: string[]): string {
  const root =
    process.env.KCREG_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-keycloak-registration");
  return path.join(root, ...parts);
}

/** True when running under CI=true: a missing Keycloak or Pulumi engine must fail, never skip. */
export function isCI(): boolean {
  return /^(1|true|yes)$/i.test(process.env.CI ?? "");
}
