// The YAML text of each CRD file in crds/, so the generator and the drift test agree byte for byte.
import { stringify } from 'yaml';
import { ALL_CRDS } from './crds.js';

export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of ALL_CRDS) {
    const header = '# Generated from src/api by `npm run gen:crds`; do not edit by hand.\n';
    files.set(`${crd.metadata.name}.yaml`, header + stringify(crd, { lineWidth: 0 }));
  }
  return files;
}
