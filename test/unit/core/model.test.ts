import { resourceKey } from '../../../src/core/model.js';

test('resource keys join kind and id', () => {
  expect(resourceKey({ kind: 'network', id: 'abc' })).toBe('network:abc');
});
