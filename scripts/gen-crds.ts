// Writes crds/*.yaml from the schemas in src/api (run: npm run gen:crds).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../src/api/render-crds.js';

const crdsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'crds');
mkdirSync(crdsDir, { recursive: true });
for (const [name, text] of renderCrdFiles()) {
  writeFileSync(path.join(crdsDir, name), text);
  console.log(`wrote crds/${name}`);
}
