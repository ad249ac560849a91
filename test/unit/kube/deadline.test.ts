import { settlesWithin, withDeadline } from '../../../src/kube/timers.js';

const never = () => new Promise<never>(() => undefined);
const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withDeadline', () => {
  test('passes an answer given in time through', async () => {
    await expect(withDeadline(after(1, 'ok'), 1_000, 'the call')).resolves.toBe('ok');
  });

  test('passes a failure given in time through', async () => {
    await expect(withDeadline(Promise.reject(new Error('refused')), 1_000, 'the call')).rejects.toThrow('refused');
  });

  test('rejects, naming the work, when no answer comes in time', async () => {
    await expect(withDeadline(never(), 20, 'the re-check of owners')).rejects.toThrow(
      'the re-check of owners got no answer within 20 ms',
    );
  });
});

describe('settlesWithin', () => {
  test('true for work that ends in time, either way', async () => {
    expect(await settlesWithin(after(1, 'done'), 1_000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('failed')), 1_000)).toBe(true);
  });

  test('false for work that does not end in time', async () => {
    expect(await settlesWithin(never(), 20)).toBe(false);
  });
});
