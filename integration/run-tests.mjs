// Runs the whole suite (unit + integration) with vitest and ends with the plain summary line
// "N passed, N failed" that CI reads.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

if (process.getuid && process.getuid() !== 0) {
  console.error('the test suite runs as root (real runc, overlay mounts, a real registry)');
  process.exit(1);
}
const report = '.tmp/vitest-report.json';
rmSync(report, { force: true });
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const child = spawn('npx', args, { stdio: 'inherit' });
child.on('exit', (code) => {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed = r.numPassedTests;
    failed = r.numFailedTests;
    if (failed === 0 && (r.numFailedTestSuites ?? 0) > 0) failed = r.numFailedTestSuites;
    skipped = r.numPendingTests + (r.numTodoTests ?? 0);
  } catch {
    failed = Math.max(1, failed);
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
