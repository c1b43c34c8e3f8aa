/**
 * Four projects: `unit` (pure functions, no network), `integration` (provider functions against a
 * real Keycloak), `e2e` (a real `pulumi` engine against a real Keycloak), and `compat`: the
 * Keycloak-facing integration and e2e suites again, unchanged, against the older Keycloak major
 * (COMPAT_KEYCLOAK_VERSION in test/bed/keycloak.ts, 25.0.6). The global setup starts what the
 * selected projects need and publishes it to the workers through the environment.
 */
// Type errors are caught by `tsc` in `npm test`; ts-jest only transpiles.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];

// Jest runs a global-setup module once per run, not once per project that names it: `compat`
// (which needs its own, older Keycloak) has a module of its own.
const project = (name, needsBed, testMatch = [`<rootDir>/test/${name}/**/*.test.ts`], globals = {}, setup = "globalSetup") => ({
  displayName: name,
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  testMatch,
  globals,
  moduleFileExtensions: ["ts", "js", "json"],
  ...(needsBed ? { globalSetup: `<rootDir>/test/bed/${setup}.ts`, globalTeardown: "<rootDir>/test/bed/globalTeardown.ts" } : {}),
});

/** @type {import('jest').Config} */
module.exports = {
  transform: { "^.+\\.ts$": tsJest },
  projects: [
    project("unit"),
    project("integration", true),
    project("e2e", true),
    // Not here: tls (its own HTTPS server, not version-specific), malformedCorpus (sends no request),
    // crashConsistency and verboseLogging (the engine's behaviour, not Keycloak's; minutes each).
    project(
      "compat",
      true,
      [
        "<rootDir>/test/integration/{keycloakClient,oidcClient,samlClient,registrationErrors,tokenRecovery,networkFaults}.provider.test.ts",
        "<rootDir>/test/integration/testbed.keycloak.test.ts",
        "<rootDir>/test/e2e/{engine.smoke,keycloakClient.lifecycle,oidcClient.lifecycle,examples,rootProgram,concurrency}.test.ts",
      ],
      { __KCREG_COMPAT__: true },
      "globalSetupCompat",
    ),
  ],
  // A global option in Jest: long enough for a `pulumi up` of many clients on a loaded 2-core machine.
  testTimeout: 600_000,
  maxWorkers: 2,
};
