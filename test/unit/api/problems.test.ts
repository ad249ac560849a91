import { formatProblems, pointerToPath } from '../../../src/api/problems.js';

test.each([
  ['', ''],
  ['/spec', 'spec'],
  ['/spec/match/0/label', 'spec.match[0].label'],
  ['/spec/owners/12', 'spec.owners[12]'],
  ['/metadata/annotations/reaper.dev~1approve-sweep', 'metadata.annotations.reaper.dev/approve-sweep'],
  ['/a~0b', 'a~b'],
])('pointer %j is path %j', (pointer, path) => {
  expect(pointerToPath(pointer)).toBe(path);
});

test('problems print one per line, path first', () => {
  expect(
    formatProblems([
      { path: 'spec.mode', message: '"X" is not one of Reap, DryRun' },
      { path: 'spec.timing.minAge', message: '"5x" is not a duration (like 90s, 5m, 1h30m)' },
    ]),
  ).toBe('spec.mode: "X" is not one of Reap, DryRun\nspec.timing.minAge: "5x" is not a duration (like 90s, 5m, 1h30m)');
});
