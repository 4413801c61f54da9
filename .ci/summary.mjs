// Prints the last line of a CI run, "N passed, N failed", from vitest's JSON report (the path in argv[2]), and
// exits 1 when a test failed or when no test ran at all. Unhandled errors (argv[3], written by
// unhandled-errors.mjs) fail the run as well: each is printed and counted as one failure, so the last line never
// says "0 failed" of a red run.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

let report;
try {
  report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (e) {
  console.log(`no vitest JSON report (${e.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const passed = report.numPassedTests;
// A file that fails outside its tests (an import error, a failing beforeAll) counts once: its tests only show as
// skipped.
const brokenFiles = report.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length;
const errorsPath = process.argv[3];
let unhandled = [];
try {
  unhandled = errorsPath && existsSync(errorsPath) ? JSON.parse(readFileSync(errorsPath, 'utf8')) : [];
} catch (e) {
  // Counted as one failure: the run's errors are unknown, so it cannot be called green.
  unhandled = [{ name: 'Error', message: `unreadable ${errorsPath} (${e.message})`, file: '', test: '', stack: '' }];
}
for (const e of unhandled) {
  const where = [e.file && relative(process.cwd(), e.file), e.test].filter(Boolean).join(' > ');
  console.log(`unhandled ${e.name}${where ? ` (while ${where} ran)` : ''}: ${e.message}`);
  const frames = e.stack.split('\n').slice(1, 5);
  if (frames.length > 0) console.log(frames.join('\n'));
}
const failed = report.numFailedTests + brokenFiles + unhandled.length;
const skipped = report.numPendingTests + report.numTodoTests;

if (skipped) console.log(`${skipped} skipped`);
if (passed + failed === 0) console.log('no test was executed');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
