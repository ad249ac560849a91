// One YAML document, read strictly: duplicate keys, syntax errors and a second document are
// problems rather than something to guess about.
import { parseAllDocuments } from 'yaml';
import type { Problem } from './problems.js';

export type YamlResult = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

/** Aliases expand; a few are fine, thousands are a "billion laughs" file. */
const MAX_ALIAS_COUNT = 100;

export function parseYamlDocument(text: string, what: string): YamlResult {
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const present = documents.filter((d) => d.contents !== null || d.errors.length > 0);
  if (present.length !== 1) {
    return {
      ok: false,
      problems: [{ path: '', message: `expected one YAML document (${what}), found ${present.length}` }],
    };
  }
  const document = present[0]!;
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    };
  }
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `YAML: ${(err as Error).message}` }] };
  }
}
