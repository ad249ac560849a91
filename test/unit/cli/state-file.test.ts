import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGraceState, writeGraceState } from '../../../src/cli/state-file.js';

describe('grace state file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-state-'));
  const file = path.join(dir, 'state.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing file is an empty state', async () => {
    await expect(readGraceState(path.join(dir, 'absent.json'), 'p')).resolves.toEqual({});
  });

  test('round-trips first-seen times', async () => {
    await writeGraceState(file, 'p', { 'container:abc': 1000, 'network:n1': 2000 });
    await expect(readGraceState(file, 'p')).resolves.toEqual({ 'container:abc': 1000, 'network:n1': 2000 });
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

  test('entries that are not finite numbers are dropped', async () => {
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'ReaperGraceState',
        version: 1,
        policy: 'p',
        firstSeenOrphaned: { good: 5, bad: 'x', worse: null },
      }),
    );
    await expect(readGraceState(file, 'p')).resolves.toEqual({ good: 5 });
  });
});
