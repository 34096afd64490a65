// trainer.json comes back from disk: every hostile value of every field is either a valid loop state or a
// CheckpointError naming the file and the field, never a TypeError from deep inside the resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../formats/errors.js';
import { readLoopState } from './checkpoint.js';

const valid = {
  step: 4, epoch: 1, batchInEpoch: 2, rng: { words: [1, 2, 3, 4], spareNormal: null }, best: { step: 2, score: -1.5 }, lastLoss: 2.25, precision: 'bf16', optimizerStep: 4,
};
const hostile: unknown[] = [
  null, true, 'x', '', -1, -5, 1.5, 2 ** 53, Number.MAX_VALUE, [], [1, 2, 3, 4], {}, { __proto__: { step: 1 } }, { words: 'abcd' },
  { words: [0, 0, 0, 0] }, { words: [1, 2, 3, 2 ** 32] }, { step: 1 }, { step: 1, score: 'high' },
];

test('every field of trainer.json, set to each hostile value, parses or fails with a CheckpointError naming the file and field', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'toolken-loop-')), 'trainer.json');
  writeFileSync(file, JSON.stringify(valid));
  const { optimizerStep, ...loop } = valid;
  assert.deepEqual(readLoopState(file), { loop, optimizerStep });
  let refused = 0;
  for (const field of Object.keys(valid)) {
    for (const value of [...hostile, undefined]) {
      const edited: Record<string, unknown> = { ...valid, [field]: value };
      if (value === undefined) delete edited[field];
      writeFileSync(file, JSON.stringify(edited));
      try {
        const { loop } = readLoopState(file);
        // What parses is a loop state of the right types.
        assert.ok(Number.isSafeInteger(loop.step) && loop.step >= 0 && Number.isSafeInteger(loop.batchInEpoch));
      } catch (err) {
        assert.ok(err instanceof CheckpointError, `${field} = ${JSON.stringify(value)}: ${String(err)}`);
        assert.ok(err.message.startsWith(`${file}: field "${field}`), err.message);
        refused++;
      }
    }
  }
  assert.ok(refused > 100, `${refused} refused`);
  for (const text of ['', '{', 'null', '[1]', '"step"']) {
    writeFileSync(file, text);
    assert.throws(() => readLoopState(file), (err: Error) => err instanceof CheckpointError && err.message.startsWith(file), text);
  }
  assert.equal(Object.hasOwn(Object.prototype, 'step'), false);
});

test('a trainer.json written before the precision was recorded reads as fp32, the only precision there was', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'toolken-loop-')), 'trainer.json');
  const { precision: _recorded, ...older } = valid;
  writeFileSync(file, JSON.stringify(older));
  assert.equal(readLoopState(file).loop.precision, 'fp32');
  writeFileSync(file, JSON.stringify({ ...valid, precision: 'fp16' }));
  assert.throws(() => readLoopState(file), /field "precision" must be one of fp32, bf16, got "fp16"/);
});
