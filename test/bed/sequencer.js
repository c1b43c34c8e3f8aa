// The order of the test files, and the record of which Jest projects have tests in this run (the
// global setup reads it to start, in parallel, only the servers those projects need). Loaded by Jest
// as is (no transform), in the main process, before the global setup.
"use strict";
const Sequencer = require("@jest/test-sequencer").default;

/**
 * Seconds each long suite took in a full run (measured on a loaded 2-core machine): without timings
 * of its own (a fresh clone has none) Jest would order by file size, and a long suite started last
 * keeps one worker busy while the other idles.
 */
const EXPECTED_SECONDS = {
  "crashConsistency.test.ts": 420,
  "demo.test.ts": 200,
  "concurrency.test.ts": 150,
  "postgresBackend.test.ts": 150,
  "packedPackage.test.ts": 120,
  "examples.test.ts": 120,
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
