/**
 * Three projects: `unit` (pure functions, no network), `integration` (provider functions against a
 * real Keycloak) and `e2e` (a real `pulumi` engine against a real Keycloak). The global setup
 * starts what the selected projects need and publishes it to the workers through the environment.
 */
// Type errors are caught by `tsc` in `npm test`; ts-jest only transpiles.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];

const project = (name, timeout) => ({
  displayName: name,
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  moduleFileExtensions: ["ts", "js", "json"],
  ...(timeout ? { testTimeout: timeout } : {}),
});

/** @type {import('jest').Config} */
module.exports = {
  transform: { "^.+\\.ts$": tsJest },
  projects: [project("unit"), project("integration", 120_000), project("e2e", 600_000)],
  globalSetup: "<rootDir>/test/bed/globalSetup.ts",
  globalTeardown: "<rootDir>/test/bed/globalTeardown.ts",
  maxWorkers: 2,
};
