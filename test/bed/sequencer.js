// The order of the test files, and the record of which Jest projects have tests in this run (the
// global setup reads it to start, in parallel, only the servers those projects need). Loaded by Jest
// as is (no transform), in the main process, before the global setup.
"use strict";
const Sequencer = require("@jest/test-sequencer").default;

/**
 * Seconds each long suite took in a full run (a fresh clone, warm caches, 2 cores, another test run
 * beside it): without timings of its own (a fresh clone has none) Jest would order by file size, and
 * a long suite started last keeps one worker busy while the other idles.
 */
const EXPECTED_SECONDS = {
  "crashConsistency.test.ts": 250,
  "clientPolicies.test.ts": 200,
  "examples.test.ts": 150,
  "demo.test.ts": 90,
  "packedPackage.test.ts": 70,
  "oidcClient.lifecycle.test.ts": 50,
  "postgresBackend.test.ts": 50,
  "concurrency.test.ts": 45,
  "keycloakClient.lifecycle.test.ts": 43,
  "tls.provider.test.ts": 32,
  "hostile.provider.test.ts": 25,
};

class BedSequencer extends Sequencer {
  sort(tests) {
    globalThis.__KCREG_PROJECTS_WITH_TESTS__ = new Set(tests.map((t) => (t.context.config.displayName || {}).name));
    const sorted = super.sort(tests);
    const expected = (t) => EXPECTED_SECONDS[require("node:path").basename(t.path)] || 0;
    // Jest's order (failed first, then slowest by its own timings), with the suites it has no timing for ranked by the table above.
    return sorted.every((t) => t.duration == null) ? [...sorted].sort((a, b) => expected(b) - expected(a)) : sorted;
  }
}

module.exports = BedSequencer;
