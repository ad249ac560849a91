import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGraceState, writeGraceState } from '../../../src/cli/state-file.js';
import { graceStateFromRecord, graceStateToRecord } from '../../../src/core/grace.js';

describe('grace state file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-state-'));
  const file = path.join(dir, 'state.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing file is an empty state', async () => {
    expect(graceStateToRecord(await readGraceState(path.join(dir, 'absent.json'), 'p'))).toEqual({});
  });

  test('round-trips first-seen times', async () => {
    await writeGraceState(file, 'p', graceStateFromRecord({ 'container:abc': 1000, 'network:n1': 2000 }));
    const written = JSON.parse(readFileSync(file, 'utf8')) as { firstSeenOrphaned: unknown };
    // The file keeps its `<kind>:<id>` keys: files written before read the same.
    expect(written.firstSeenOrphaned).toEqual({ 'container:abc': 1000, 'network:n1': 2000 });
    expect(graceStateToRecord(await readGraceState(file, 'p'))).toEqual({ 'container:abc': 1000, 'network:n1': 2000 });
  });

  test.each([
    ['not JSON', 'hello', /not JSON/],
    ['foreign JSON', '{"a":1}', /not a reaper state file/],
    [
      'another policy',
      JSON.stringify({ kind: 'ReaperGraceState', version: 1, policy: 'other', firstSeenOrphaned: {} }),
      /belongs to policy other/,
    ],
  ])('%s is an error and the file is left as it was', async (_name, content, message) => {
    writeFileSync(file, content);
    await expect(readGraceState(file, 'p')).rejects.toThrow(message);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  test('entries that are not finite numbers, or name no resource kind, are dropped', async () => {
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'ReaperGraceState',
        version: 1,
        policy: 'p',
        firstSeenOrphaned: { 'volume:good': 5, 'volume:bad': 'x', 'volume:worse': null, nokind: 6 },
      }),
    );
    expect(graceStateToRecord(await readGraceState(file, 'p'))).toEqual({ 'volume:good': 5 });
  });
});
