/** Runs one fuzz input and classifies what happened, the same way in the fuzz script and in the tests. */
import type { FuzzTarget } from './target.js';

export type OutcomeKind = 'accepted' | 'rejected' | 'defect';

export interface Outcome {
  readonly kind: OutcomeKind;
  readonly ms: number;
  /** What went wrong for a defect (an unexpected error, or a changed built-in prototype). */
  readonly problem?: string;
}

/** The built-in prototypes untrusted names must never reach, with their own property names before the run. */
const PROTOTYPES: readonly [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];

function prototypeKeys(): string[] {
  return PROTOTYPES.map(([name, proto]) => `${name}:${Reflect.ownKeys(proto).map(String).sort().join(',')}`);
}

const pristine = prototypeKeys();

export function runInput(target: FuzzTarget, input: Uint8Array): Outcome {
  const started = performance.now();
  let kind: OutcomeKind = 'accepted';
  let problem: string | undefined;
  try {
    target.run(input);
  } catch (error) {
    if (target.rejects(error)) kind = 'rejected';
    else {
      kind = 'defect';
      problem = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : `non-Error thrown: ${String(error)}`;
    }
  }
  const ms = performance.now() - started;
  const now = prototypeKeys();
  const changed = now.filter((keys, i) => keys !== pristine[i]);
  if (changed.length > 0) {
    kind = 'defect';
    problem = `a built-in prototype changed: ${changed.map((c) => c.split(':')[0]).join(', ')}`;
  }
  return problem === undefined ? { kind, ms } : { kind, ms, problem };
}
