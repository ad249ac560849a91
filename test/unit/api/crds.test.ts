import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ALL_CRDS, reapNodeReportCrd } from '../../../src/api/crds.js';
import { renderCrdFiles } from '../../../src/api/render-crds.js';
import { reapPolicySpecSchema } from '../../../src/api/schema/reappolicy.js';
import type { CelRule } from '../../../src/api/schema-helpers.js';

type Node = Record<string, unknown>;
const crdsDir = path.join(process.cwd(), 'crds');
const rootSchema = (crd: (typeof ALL_CRDS)[number]) => crd.spec.versions[0]!.schema.openAPIV3Schema as Node;

/** Every schema node below the root with its path; metadata is the API server's own. */
function nodes(schema: Node, where: string): [string, Node][] {
  const found: [string, Node][] = [[where, schema]];
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Node>)) {
    if (name !== 'metadata') found.push(...nodes(child, `${where}.${name}`));
  }
  if (schema.items) found.push(...nodes(schema.items as Node, `${where}[]`));
  return found;
}
const allNodes = () => ALL_CRDS.flatMap((crd) => nodes(rootSchema(crd), crd.spec.names.kind));

test('crds/ holds exactly what src/api generates (run npm run gen:crds after changing a schema)', () => {
  const generated = renderCrdFiles();
  expect(readdirSync(crdsDir).sort()).toEqual([...generated.keys()].sort());
  for (const [name, text] of generated) expect(readFileSync(path.join(crdsDir, name), 'utf8')).toBe(text);
});

test('every field has a type and a description (structural; kubectl explain teaches the API)', () => {
  const missing = allNodes()
    .filter(([, schema]) => typeof schema.type !== 'string' || typeof schema.description !== 'string')
    .map(([where]) => where);
  expect(missing).toEqual([]);
});

test('every string and every list is bounded', () => {
  const unbounded = allNodes()
    .filter(([where]) => !/\.(apiVersion|kind)$/.test(where))
    .filter(([, s]) => {
      if (s.type === 'array') return s.maxItems === undefined;
      if (s.type === 'string') return s.maxLength === undefined && s.enum === undefined && s.format !== 'date-time';
      return false;
    })
    .map(([where]) => where);
  expect(unbounded).toEqual([]);
});

test('the generated CRDs carry the CEL rules without their TypeScript twins', () => {
  const rules = allNodes().flatMap(([, s]) => (s['x-kubernetes-validations'] ?? []) as Node[]);
  expect(rules.length).toBeGreaterThan(5);
  for (const rule of rules) expect(Object.keys(rule).sort()).toEqual(expect.arrayContaining(['message', 'rule']));
  for (const rule of rules) expect(Object.keys(rule)).not.toContain('check');
  const twins = (schema: Node): CelRule[] => [
    ...((schema['x-kubernetes-validations'] ?? []) as CelRule[]),
    ...Object.values((schema.properties ?? {}) as Record<string, Node>).flatMap(twins),
    ...(schema.items ? twins(schema.items as Node) : []),
  ];
  for (const rule of twins(reapPolicySpecSchema)) expect(typeof rule.check).toBe('function');
});

test('names, scope, category, short names and the status subresource', () => {
  expect(
    ALL_CRDS.map((crd) => ({
      name: crd.metadata.name,
      scope: crd.spec.scope,
      shortNames: crd.spec.names.shortNames,
      categories: crd.spec.names.categories,
      status: crd.spec.versions[0]!.subresources,
    })),
  ).toEqual([
    {
      name: 'reappolicies.reaper.dev',
      scope: 'Cluster',
      shortNames: ['rp', 'reap'],
      categories: ['reaper'],
      status: { status: {} },
    },
    {
      name: 'topologies.reaper.dev',
      scope: 'Namespaced',
      shortNames: ['topo'],
      categories: ['reaper'],
      status: { status: {} },
    },
    {
      name: 'sandboxes.reaper.dev',
      scope: 'Namespaced',
      shortNames: ['sbx'],
      categories: ['reaper'],
      status: { status: {} },
    },
    {
      name: 'reapnodereports.reaper.dev',
      scope: 'Cluster',
      shortNames: ['rnr'],
      categories: ['reaper'],
      status: { status: {} },
    },
  ]);
});

test('printer columns read fields the schema has', () => {
  for (const crd of ALL_CRDS) {
    for (const column of crd.spec.versions[0]!.additionalPrinterColumns) {
      if (column.jsonPath === '.metadata.creationTimestamp') continue;
      // `.status.conditions[?(@.type=="Ready")].status` walks conditions[] then status.
      const steps = column.jsonPath
        .replace(/\[\?\(.*?\)\]/g, '[]')
        .split('.')
        .slice(1);
      let schema = rootSchema(crd);
      for (const step of steps) {
        const name = step.replace('[]', '');
        schema = (schema.properties as Record<string, Node>)[name]!;
        expect(schema).toBeDefined();
        if (step.endsWith('[]')) schema = schema.items as Node;
      }
      expect({ column: column.name, type: schema.type }).toEqual({
        column: column.name,
        type: column.type === 'date' ? 'string' : column.type,
      });
    }
  }
});

test('conditions are map lists by type; a policy holds no per-node list (each node has its ReapNodeReport)', () => {
  for (const crd of ALL_CRDS) {
    const status = (rootSchema(crd).properties as Record<string, Node>).status!;
    const props = status.properties as Record<string, Node>;
    expect(props.conditions).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
  }
  const policyStatus = (rootSchema(ALL_CRDS[0]).properties as Record<string, Node>).status!;
  expect(policyStatus.properties).not.toHaveProperty('nodes');
});

test("a node report's policy and node cannot change", () => {
  const spec = (rootSchema(reapNodeReportCrd).properties as Record<string, Node>).spec!;
  for (const field of ['policy', 'node']) {
    expect((spec.properties as Record<string, Node>)[field]!['x-kubernetes-validations']).toEqual([
      { rule: 'self == oldSelf', message: 'is immutable' },
    ]);
  }
});

test('the rendered files parse back to the CRD objects', () => {
  for (const [name, text] of renderCrdFiles()) {
    const crd = ALL_CRDS.find((c) => `${c.metadata.name}.yaml` === name);
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
  }
});
