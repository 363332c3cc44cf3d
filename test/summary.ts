// The test command's closing summary: what jest and schemathesis ran and how it went, read from their reports
// in TEST_REPORT_DIR (scripts/test), so the last lines of a CI log say how many tests ran and passed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const DIR = process.env.TEST_REPORT_DIR ?? path.join(__dirname, '..', '.local', 'test-reports');

interface JestReport {
  numTotalTestSuites: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  success: boolean;
}

/** Schemathesis's JSON run report (`--report json`). */
interface SchemathesisReport {
  exit_code: number;
  operations: { tested: number };
  test_cases: { generated: number; with_failures: number; errored: number };
}

function schemathesisReport(): SchemathesisReport | null {
  const dir = path.join(DIR, 'schemathesis');
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.json')) : undefined;
  return file ? (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as SchemathesisReport) : null;
}

function main(): number {
  const jestFile = path.join(DIR, 'jest.json');
  if (!existsSync(jestFile)) {
    console.error(`No jest report at ${jestFile}: the tests did not run.`);
    return 1;
  }
  const jest = JSON.parse(readFileSync(jestFile, 'utf8')) as JestReport;
  const st = schemathesisReport();
  // Jest's own wording, zero counts left out: "Tests: 1 failed, 620 passed, 621 total".
  const tests = [
    jest.numFailedTests && `${jest.numFailedTests} failed`,
    jest.numPendingTests && `${jest.numPendingTests} skipped`,
    `${jest.numPassedTests} passed`,
    `${jest.numTotalTests} total`,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    '',
    '==> Summary',
    `Test Suites: ${jest.numTotalTestSuites} total`,
    `Tests:       ${tests} (jest)`,
    st
      ? `Schemathesis: ${st.test_cases.generated} cases on ${st.operations.tested} operations, ${st.test_cases.with_failures} failed, ${st.test_cases.errored} errored`
      : 'Schemathesis: not run (a targeted run; TEST_SCHEMATHESIS=1 runs it)',
  ];
  const ok =
    jest.success &&
    jest.numTotalTests > 0 &&
    (!st || (st.exit_code === 0 && st.test_cases.with_failures + st.test_cases.errored === 0));
  lines.push(ok ? 'All tests passed.' : 'Some tests failed.');
  console.log(lines.join('\n'));
  return ok ? 0 : 1;
}

process.exit(main());
