import { sortForExecution } from '../../../src/core/execution-order.js';
import { resourceKey } from '../../../src/core/model.js';
import { NOW, container, lease, network, volume } from './fixtures.js';

test('kinds in execution order, oldest first, ties by id, unknown times last', () => {
  const sorted = sortForExecution([
    volume('v1'),
    network('n1'),
    lease('10.0.0.2', 'c1'),
    container('c3', undefined, { createdAt: Number.NaN }),
    container('c2', undefined, { createdAt: NOW - 1000 }),
    container('cb', undefined, { createdAt: NOW - 5000 }),
    container('ca', undefined, { createdAt: NOW - 5000 }),
  ]);
  expect(sorted.map(resourceKey)).toEqual([
    'container:ca',
    'container:cb',
    'container:c2',
    'container:c3',
    'ipLease:labnet/10.0.0.2',
    'network:n1',
    'volume:v1',
  ]);
});

test('the input is not reordered', () => {
  const input = [volume('v1'), container('c1')];
  sortForExecution(input);
  expect(input.map(resourceKey)).toEqual(['volume:v1', 'container:c1']);
});
