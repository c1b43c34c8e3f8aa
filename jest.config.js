/**
 * Five projects: `unit` (pure functions, no network), `integration` (provider functions against a
 * real Keycloak), `e2e` (a real `pulumi` engine against a real Keycloak), `compat` (the
 * Keycloak-facing integration and e2e suites again, unchanged, against the older Keycloak major,
 * COMPAT_KEYCLOAK_VERSION in test/bed/keycloak.ts) and `node22` (the lifecycle, packed-package,
 * examples and demo suites again with the product under Node.js 22; everything else runs under
 * Node.js 24, see test/bed/node.ts). The global setup starts what the projects with tests in the run
 * need and publishes it to the workers through the environment.
 */
// Type errors are caught by `tsc` in `npm test`; ts-jest only transpiles.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];

// Jest runs a global-setup module once per run, however many projects name it: it prepares for all of them.
const project = (name, needsBed, testMatch = [`<rootDir>/test/${name}/**/*.test.ts`], globals = {}) => ({
  displayName: name,
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  testMatch,
  globals,
  moduleFileExtensions: ["ts", "js", "json"],
  // Programs and projects the tests write (their package.json files are not modules of this repository).
  modulePathIgnorePatterns: ["<rootDir>/test/.tmp/", "<rootDir>/bench/.tmp/"],
  ...(needsBed ? { globalSetup: "<rootDir>/test/bed/globalSetup.ts", globalTeardown: "<rootDir>/test/bed/globalTeardown.ts" } : {}),
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
    ),
    project(
      "node22",
      true,
      ["<rootDir>/test/e2e/{engine.smoke,keycloakClient.lifecycle,oidcClient.lifecycle,packedPackage,examples,demo}.test.ts"],
      { __KCREG_NODE__: 22 },
    ),
  ],
  testSequencer: "<rootDir>/test/bed/sequencer.js",
  // A global option in Jest: long enough for a `pulumi up` of many clients on a loaded 2-core machine.
  testTimeout: 600_000,
  maxWorkers: 2,
};
