import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../../src/util/random.js';
import { fuzzInputs } from '../mutate.js';
import { runInput } from '../outcome.js';
import { HOSTILE_INPUTS, targets } from './tools.js';

/** Mutated inputs per target in `npm test`; `npm run fuzz` runs many more. */
const INPUTS = 150;

describe('tool importers, decoders and the validator under fuzzing', () => {
  for (const target of targets) {
    test(`${target.name}: seeds are accepted; mutations and known-hostile inputs are accepted or refused cleanly`, () => {
      const seeds = target.seeds();
      for (const seed of seeds) assert.equal(runInput(target, seed).kind, 'accepted', `${target.name}: a seed must be accepted`);
      const inputs = fuzzInputs(seeds, seededRandom(17));
      for (let i = 0; i < INPUTS; i++) {
        const outcome = runInput(target, inputs.next().value!);
        assert.notEqual(outcome.kind, 'defect', outcome.problem);
        assert.ok(outcome.ms < 1000, `input ${i} took ${outcome.ms} ms`);
      }
      for (const text of HOSTILE_INPUTS[target.name] ?? []) {
        const outcome = runInput(target, new TextEncoder().encode(text));
        assert.notEqual(outcome.kind, 'defect', outcome.problem);
        // The issue's bar for decoders and the validator is 100 ms; importers are held to the loaders' second.
        assert.ok(outcome.ms < (target.name.startsWith('catalog') ? 1000 : 100), `${target.name}: ${text.slice(0, 40)}... took ${outcome.ms.toFixed(0)} ms`);
      }
    });
  }
});
