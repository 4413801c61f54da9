// A vitest reporter for CI: writes the run's unhandled errors (thrown outside any test, in a hook or in an
// event handler) to the JSON file in RARITY_CI_ERRORS. vitest's JSON report leaves them out, yet they fail the
// run, and what CI shows of its log is only the tail: summary.mjs prints them next to the last line.
import { writeFileSync } from 'node:fs';

export default class UnhandledErrorsReporter {
  onTestRunEnd(_testModules, unhandledErrors) {
    const out = process.env.RARITY_CI_ERRORS;
    if (!out) {
      return;
    }
    const errors = unhandledErrors.map((e) => ({
      name: e.name ?? 'Error',
      message: String(e.message ?? e),
      file: e.VITEST_TEST_PATH ?? '',
      test: e.VITEST_TEST_NAME ?? '',
      stack: String(e.stack ?? '')
        .split('\n')
        .slice(0, 8)
        .join('\n'),
    }));
    writeFileSync(out, JSON.stringify(errors, null, 2));
  }
}
