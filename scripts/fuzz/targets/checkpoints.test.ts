import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../../src/util/random.js';
import { fuzzInputs } from '../mutate.js';
import { runInput } from '../outcome.js';
import { targets } from './checkpoints.js';

/** Mutated inputs per target in `npm test`; `npm run fuzz` runs many more. */
const INPUTS = 120;

describe('checkpoint and tokenizer loaders under fuzzing', () => {
  for (const target of targets) {
    test(`${target.name}: the seeds load, and every mutation loads or is refused cleanly within a second`, () => {
      const seeds = target.seeds();
      for (const seed of seeds) assert.deepEqual(runInput(target, seed).kind, 'accepted', `${target.name}: a file toolken writes must load`);
      const inputs = fuzzInputs(seeds, seededRandom(16));
      const kinds = { accepted: 0, rejected: 0 };
      for (let i = 0; i < INPUTS; i++) {
        const outcome = runInput(target, inputs.next().value!);
        assert.notEqual(outcome.kind, 'defect', outcome.problem);
        assert.ok(outcome.ms < 1000, `input ${i} took ${outcome.ms} ms`);
        kinds[outcome.kind as 'accepted' | 'rejected']++;
      }
      assert.ok(kinds.rejected > 0, 'the mutations reach the validation');
    });
  }
});
