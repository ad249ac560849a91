// Orders strings by UTF-16 code units: the same on every node whatever its locale, and without
// ICU's collator (String.prototype.localeCompare), whose code and data an agent would otherwise keep
// resident: about 2.5 MiB of the node binary's pages, for orders no reader needs to be linguistic.
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
