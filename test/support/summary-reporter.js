// Prints one plain closing line, `jest: N passed, N failed, N skipped`, that any CI log reader
// understands. Jest's default reporter prints its summary after custom reporters, so the line is
// written when the process exits (stdout writes are synchronous on Linux).
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that fails to load has no failed tests of its own; count it so the line cannot read clean.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `\njest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}
