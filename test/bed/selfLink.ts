import * as fs from "node:fs";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const PACKAGE_NAME = "pulumi-keycloak-registration";

/**
 * Programs under `dir` load this package by name, as users' programs do, and so does the serialized
 * provider inside Pulumi's dynamic-provider process. Inside the repository there is no installed copy,
 * so `dir/node_modules/<package>` is linked to the repository (whose `dist/` `npm test` builds first).
 */
export function linkPackageInto(dir: string): void {
  const modules = path.join(dir, "node_modules");
  const link = path.join(modules, PACKAGE_NAME);
  fs.mkdirSync(modules, { recursive: true });
  try {
    if (fs.realpathSync(link) === fs.realpathSync(REPO_ROOT)) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    // not there yet
  }
  fs.symlinkSync(path.relative(modules, REPO_ROOT), link, "dir");
}
