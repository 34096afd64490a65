import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HOSTILE_INPUTS, targets } from './tools.js';

/** Runs one input: accepted, cleanly rejected, or a defect (any other exception), with its time. */
function outcome(run: (input: Uint8Array) => unknown, rejects: (error: unknown) => boolean, input: Uint8Array): { kind: string; ms: number; problem?: string } {
  const start = performance.now();
  try {
    run(input);
    return { kind: 'accepted', ms: performance.now() - start };
  } catch (error) {
    const ms = performance.now() - start;
    return rejects(error) ? { kind: 'rejected', ms } : { kind: 'defect', ms, problem: String((error as Error).stack ?? error) };
  }
}

describe('tool importers, decoders and the validator on their seeds and on known-hostile inputs', () => {
  for (const target of targets) {
    test(`${target.name}: seeds are accepted, hostile inputs are accepted or refused within the 100 ms bar`, () => {
      for (const seed of target.seeds()) assert.equal(outcome(target.run, target.rejects, seed).kind, 'accepted', `${target.name} seed`);
      for (const text of HOSTILE_INPUTS[target.name] ?? []) {
        const result = outcome(target.run, target.rejects, new TextEncoder().encode(text));
        assert.notEqual(result.kind, 'defect', result.problem);
        assert.ok(result.ms < 100 * (target.name.startsWith('catalog-import') ? 10 : 1), `${target.name}: ${text.slice(0, 40)}... took ${result.ms.toFixed(0)} ms`);
      }
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
      assert.equal(({} as Record<string, unknown>).type, undefined);
    });
  }
});
