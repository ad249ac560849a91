// Reads a V8 CPU profile (node --cpu-prof) and says where the time went under one function: its
// own time, each direct callee's total, and garbage collection, as shares of the sampled time.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

export interface Breakdown {
  /** Samples under the root function plus garbage collection. */
  readonly samples: number;
  /** [name, share 0..1], largest first: "(self)" is the root's own time. */
  readonly parts: [string, number][];
}

export function breakdown(file: string, root: string): Breakdown {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const subtotal = (id: number): number => {
    const node = byId.get(id)!;
    let total = hits.get(id) ?? 0;
    for (const child of node.children ?? []) total += subtotal(child);
    return total;
  };

  const parts = new Map<string, number>();
  let gc = 0;
  let rootTotal = 0;
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(garbage collector)') gc += hits.get(node.id) ?? 0;
    if (node.callFrame.functionName !== root) continue;
    rootTotal += subtotal(node.id);
    parts.set('(self)', (parts.get('(self)') ?? 0) + (hits.get(node.id) ?? 0));
    for (const child of node.children ?? []) {
      const name = byId.get(child)!.callFrame.functionName || '(anonymous)';
      parts.set(name, (parts.get(name) ?? 0) + subtotal(child));
    }
  }
  parts.set('(garbage collector)', gc);
  const samples = rootTotal + gc;
  return {
    samples,
    parts: [...parts]
      .map(([name, n]): [string, number] => [name, samples > 0 ? n / samples : 0])
      .sort((a, b) => b[1] - a[1]),
  };
}

export function describeBreakdown(b: Breakdown, root: string, top = 8): string {
  const shown = b.parts
    .filter(([, share]) => share >= 0.01)
    .slice(0, top)
    .map(([name, share]) => `${name === '(self)' ? `${root} itself` : name} ${(share * 100).toFixed(0)}%`);
  return `${shown.join(', ')} (of ${b.samples} samples)`;
}
