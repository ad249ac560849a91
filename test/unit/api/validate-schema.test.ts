import type { Schema } from '../../../src/api/schema-helpers.js';
import { arr, cel, int, mapList, obj, setList, str } from '../../../src/api/schema-helpers.js';
import { closedSchema, compileValidator, showValue } from '../../../src/api/validate-schema.js';

const schema = obj(
  'root',
  {
    name: str('n', { default: 'x' }),
    nested: obj('nested', { count: int('c', { default: 3 }) }, { default: {} }),
    tags: arr('t', str('tag'), { ...setList }),
    ports: arr(
      'p',
      obj('port', { port: int('p'), protocol: str('pr', { default: 'TCP' }) }),
      mapList('port', 'protocol'),
    ),
    pair: obj(
      'pair',
      { a: str('a'), b: str('b') },
      {
        'x-kubernetes-validations': [
          cel(
            'has(self.a) == has(self.b)',
            'a and b go together',
            (self) => 'a' in (self as object) === 'b' in (self as object),
          ),
          cel(
            '!has(self.a) || self.a != "bad"',
            'a is bad',
            (self) => ((self as { a?: string }).a === 'bad' ? 'really bad' : true),
            '.a',
          ),
        ],
      },
    ),
  },
  { default: {} },
);
const validate = compileValidator(schema);

test('defaults fill a copy; the input stays as it was', () => {
  const input = { nested: {} };
  const result = validate(input, 'spec');
  expect(result).toEqual({ value: { name: 'x', nested: { count: 3 } }, problems: [] });
  expect(input).toEqual({ nested: {} });
});

test('null fields are dropped before defaulting, as the API server does', () => {
  expect(validate({ name: null, nested: null }, 'spec').value).toEqual({ name: 'x', nested: { count: 3 } });
});

test('unknown fields are errors at their path', () => {
  expect(validate({ nested: { count: 1, cuont: 2 } }, 'spec').problems).toEqual([
    { path: 'spec.nested.cuont', message: 'unknown field' },
  ]);
});

test('map lists allow one entry per key (defaults included); sets one of each value', () => {
  const result = validate(
    {
      tags: ['a', 'b', 'a'],
      ports: [{ port: 80 }, { port: 80, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }],
    },
    'spec',
  );
  expect(result.problems).toEqual([
    { path: 'spec.tags[2]', message: 'duplicate entry "a"' },
    { path: 'spec.ports[2]', message: 'duplicate entry port=80, protocol="TCP"' },
  ]);
});

test('CEL twins report at the rule, or at its fieldPath, with details when they give some', () => {
  expect(validate({ pair: { a: 'bad' } }, 'spec').problems).toEqual([
    { path: 'spec.pair', message: 'a and b go together' },
    { path: 'spec.pair.a', message: 'a is bad: really bad' },
  ]);
});

test('schema, list and rule problems all come at once', () => {
  const paths = validate({ name: 1, tags: ['a', 'a'], pair: { a: 'x' } }, 'spec').problems.map((p) => p.path);
  expect(paths.sort()).toEqual(['spec.name', 'spec.pair', 'spec.tags[1]']);
});

test('the closed schema drops Kubernetes keywords and forbids extra properties', () => {
  const closed = closedSchema(schema);
  expect(JSON.stringify(closed)).not.toContain('x-kubernetes');
  expect(closed.additionalProperties).toBe(false);
  expect((closed.properties as Record<string, Schema>).nested!.additionalProperties).toBe(false);
});

test.each([
  ['x', '"x"'],
  [5, '5'],
  [undefined, 'undefined'],
  ['y'.repeat(100), `"${'y'.repeat(56)}...`],
])('showValue(%j)', (value, shown) => {
  expect(showValue(value)).toBe(shown);
});
