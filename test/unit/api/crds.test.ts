import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { renderCrdFiles } from '../../../src/api/render-crds.js';

const crdsDir = path.join(process.cwd(), 'crds');

test('crds/ holds exactly what src/api generates (run npm run gen:crds after changing a schema)', () => {
  const generated = renderCrdFiles();
  expect(readdirSync(crdsDir).sort()).toEqual([...generated.keys()].sort());
  for (const [name, text] of generated) expect(readFileSync(path.join(crdsDir, name), 'utf8')).toBe(text);
});

test('every schema field has a description, so kubectl explain teaches the API', () => {
  const missing: string[] = [];
  const visit = (schema: Record<string, unknown>, where: string) => {
    if (where !== 'metadata' && !where.endsWith('.metadata') && typeof schema.description !== 'string')
      missing.push(where);
    for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      visit(child, `${where}.${name}`);
    }
    if (schema.items) visit(schema.items as Record<string, unknown>, `${where}[]`);
  };
  for (const [name, text] of renderCrdFiles()) {
    const crd = parse(text) as {
      spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
    };
    visit(crd.spec.versions[0]!.schema.openAPIV3Schema, name);
  }
  expect(missing).toEqual([]);
});
