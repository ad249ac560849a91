// Every problem of an input at once, each with the field path it concerns.
export interface Problem {
  /** e.g. spec.match[1].nameRegex */
  readonly path: string;
  readonly message: string;
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}

/** Turns a JSON pointer (/spec/match/0/label) into a field path (spec.match[0].label). */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment),
      '',
    );
}
