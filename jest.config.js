/**
 * Three projects: `unit` (pure functions, no network), `integration` (provider functions against a
 * real Keycloak) and `e2e` (a real `pulumi` engine against a real Keycloak). The global setup
 * starts what the selected projects need and publishes it to the workers through the environment.
 */
// Type errors are caught by `tsc` in `npm test`; ts-jest only transpiles.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];

const project = (name, needsBed) => ({
  displayName: name,
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  moduleFileExtensions: ["ts", "js", "json"],
  ...(needsBed ? { globalSetup: "<rootDir>/test/bed/globalSetup.ts", globalTeardown: "<rootDir>/test/bed/globalTeardown.ts" } : {}),
});

/** @type {import('jest').Config} */
module.exports = {
  transform: { "^.+\\.ts$": tsJest },
  projects: [project("unit"), project("integration", true), project("e2e", true)],
  // A global option in Jest: long enough for a `pulumi up` of many clients on a loaded 2-core machine.
  testTimeout: 600_000,
  maxWorkers: 2,
};
