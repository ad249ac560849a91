import type { Condition } from '../../../src/status/conditions.js';
import {
  findCondition,
  formatTime,
  setCondition,
  setConditions,
  statusChanged,
} from '../../../src/status/conditions.js';

const earlier = '2025-01-01T00:00:00Z';
const now = new Date('2025-06-01T12:34:56.789Z');
const nowText = '2025-06-01T12:34:56Z';

const ready = (status: Condition['status'], extra: Partial<Condition> = {}): Condition => ({
  type: 'Ready',
  status,
  observedGeneration: 1,
  lastTransitionTime: earlier,
  reason: 'Swept',
  message: 'ok',
  ...extra,
});

describe('setCondition', () => {
  test.each<[string, Condition[] | undefined, Parameters<typeof setCondition>[1], number | undefined, Condition[]]>([
    [
      'adds a new type with the current time',
      undefined,
      { type: 'Ready', status: 'True', reason: 'Swept', message: 'ok' },
      3,
      [{ ...ready('True'), observedGeneration: 3, lastTransitionTime: nowText }],
    ],
    [
      'keeps lastTransitionTime when the status stays, updating reason, message and generation',
      [ready('True')],
      { type: 'Ready', status: 'True', reason: 'SweptAgain', message: 'still ok' },
      2,
      [ready('True', { observedGeneration: 2, reason: 'SweptAgain', message: 'still ok' })],
    ],
    [
      'moves lastTransitionTime when the status changes',
      [ready('True')],
      { type: 'Ready', status: 'False', reason: 'Blocked', message: 'too many orphans' },
      1,
      [ready('False', { lastTransitionTime: nowText, reason: 'Blocked', message: 'too many orphans' })],
    ],
    [
      'treats Unknown as a status of its own',
      [ready('False')],
      { type: 'Ready', status: 'Unknown', reason: 'Starting', message: '' },
      1,
      [ready('Unknown', { lastTransitionTime: nowText, reason: 'Starting', message: '' })],
    ],
    [
      'keeps the place of an existing type and appends new ones',
      [ready('True'), { ...ready('False'), type: 'Blocked' }],
      { type: 'Ready', status: 'False', reason: 'Degraded', message: 'owner watch failed' },
      1,
      [
        ready('False', { lastTransitionTime: nowText, reason: 'Degraded', message: 'owner watch failed' }),
        { ...ready('False'), type: 'Blocked' },
      ],
    ],
    [
      'leaves observedGeneration out when none is known',
      undefined,
      { type: 'Degraded', status: 'False', reason: 'Healthy', message: '' },
      undefined,
      [{ type: 'Degraded', status: 'False', lastTransitionTime: nowText, reason: 'Healthy', message: '' }],
    ],
  ])('%s', (_name, before, update, generation, expected) => {
    const frozen = before ? structuredClone(before) : undefined;
    expect(setCondition(before, update, generation, now)).toEqual(expected);
    expect(before).toEqual(frozen);
  });

  test('setConditions applies several in order and appends in that order', () => {
    const result = setConditions(
      undefined,
      [
        { type: 'Ready', status: 'True', reason: 'Swept', message: '' },
        { type: 'Blocked', status: 'False', reason: 'WithinLimits', message: '' },
        { type: 'Degraded', status: 'False', reason: 'Healthy', message: '' },
      ],
      4,
      now,
    );
    expect(result.map((c) => c.type)).toEqual(['Ready', 'Blocked', 'Degraded']);
    expect(result.every((c) => c.observedGeneration === 4 && c.lastTransitionTime === nowText)).toBe(true);
  });
});

describe('condition helpers', () => {
  const conditions = [ready('True'), { ...ready('False'), type: 'Blocked' }];

  test('find', () => {
    expect(findCondition(conditions, 'Blocked')?.status).toBe('False');
    expect(findCondition(conditions, 'Missing')).toBeUndefined();
  });

  test('formatTime keeps seconds, as metav1.Time does', () => {
    expect(formatTime(now)).toBe(nowText);
  });
});

describe('statusChanged', () => {
  const status = { observedGeneration: 2, conditions: [ready('True'), { ...ready('False'), type: 'Blocked' }] };

  test.each<[string, unknown, unknown, boolean]>([
    ['identical', status, structuredClone(status), false],
    ['conditions reordered', status, { ...status, conditions: [...status.conditions].reverse() }, false],
    ['keys in another order', { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ['undefined fields count as absent', { a: 1, b: undefined }, { a: 1 }, false],
    ['no status and an empty one', undefined, {}, false],
    ['a nested count changed', { totals: { reaped: 1 } }, { totals: { reaped: 2 } }, true],
    ['a generation moved', status, { ...status, observedGeneration: 3 }, true],
    ['a list reordered (not conditions)', { items: [1, 2] }, { items: [2, 1] }, true],
    ['from nothing to something', undefined, { observedGeneration: 1 }, true],
  ])('%s', (_name, current, desired, changed) => {
    expect(statusChanged(current, desired)).toBe(changed);
  });
});
