import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochOrder, IGNORE_INDEX, makeBatches, shiftExample, type TokenizedExample, type TrainBatch } from './batches.js';

/** Example i: tokens i*1000 + 1 .. i*1000 + length, every position labelled. */
function example(i: number, length: number): TokenizedExample {
  const ids = Array.from({ length }, (_, k) => i * 1000 + k + 1);
  return { inputIds: ids, labels: ids };
}

/** Each batch row's first input token identifies its example (padding is 0). */
function firstTokens(batches: readonly TrainBatch[]): number[] {
  return batches.flatMap((b) => Array.from({ length: b.batch }, (_, r) => b.inputIds[r * b.t]!));
}

const paddedPositions = (batches: readonly TrainBatch[]): number =>
  batches.reduce((n, b) => n + b.inputIds.filter((id) => id === 0).length, 0);

test('shiftExample pairs each input with the next label and truncates to maxLength positions', () => {
  assert.deepEqual(shiftExample({ inputIds: [5, 6, 7, 8], labels: [IGNORE_INDEX, IGNORE_INDEX, 7, 8] }, 10), {
    inputs: [5, 6, 7], targets: [IGNORE_INDEX, 7, 8], softTargets: [],
  });
  assert.deepEqual(shiftExample(example(0, 10), 3).inputs, [1, 2, 3]);
  assert.throws(() => shiftExample({ inputIds: [1, 2], labels: [1] }, 4), /2 input ids but 1 labels/);
});

test('soft labels follow their label to its target, padded or packed', () => {
  const teacher = Float32Array.from([0.7, 0.2, 0.1]);
  const soft: TokenizedExample = { inputIds: [5, 6, 7, 8], labels: [IGNORE_INDEX, IGNORE_INDEX, 7, 8], softLabels: [{ position: 2, distribution: teacher }] };
  const plain = example(1, 3);
  const [padded] = makeBatches([plain, soft], [0, 1], { batchSize: 2, maxLength: 16, packing: false, padId: 0 });
  assert.equal(padded!.t, 3);
  // Label 2 of the second example is the target of its input 1: target 1 * t + 1.
  assert.deepEqual(padded!.softLabels, [{ position: 3 + 1, distribution: teacher }]);
  assert.equal(padded!.targets[3 + 1], 7);
  const [packed] = makeBatches([plain, soft], [0, 1], { batchSize: 1, maxLength: 16, packing: true, padId: 0 });
  // Packed after the 2 targets of the first example: target 2 + 1.
  assert.deepEqual(packed!.softLabels, [{ position: 3, distribution: teacher }]);
  assert.equal(packed!.targets[3], 7);
  assert.equal(makeBatches([plain], [0], { batchSize: 1, maxLength: 16, packing: false, padId: 0 })[0]!.softLabels, undefined);
  assert.throws(() => shiftExample({ ...soft, softLabels: [{ position: 1, distribution: teacher }] }, 10), /soft label at position 1 is not on a labelled position/);
});

test('padding batches pad each batch to its longest row with padId and IGNORE_INDEX targets', () => {
  const batches = makeBatches([example(1, 3), example(2, 6)], [0, 1], { batchSize: 2, maxLength: 16, packing: false, padId: 0 });
  assert.equal(batches.length, 1);
  const [b] = batches;
  assert.equal(b!.t, 5);
  assert.deepEqual([...b!.inputIds], [1001, 1002, 0, 0, 0, 2001, 2002, 2003, 2004, 2005]);
  assert.deepEqual([...b!.targets.slice(0, 5)], [1002, 1003, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]);
  assert.equal(b!.lossTokens, 2 + 5);
});

test('packing fills rows of exactly maxLength positions, splitting examples across rows', () => {
  const batches = makeBatches([example(1, 5), example(2, 5), example(3, 5)], [0, 1, 2], { batchSize: 8, maxLength: 6, packing: true, padId: 0 });
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.t, 6);
  assert.equal(batches[0]!.batch, 2);
  assert.equal(batches[0]!.lossTokens, 12);
});

test('groupByLength keeps every example once and the batch count, and cuts padding on mixed lengths', () => {
  // Mostly short examples with a few long ones, in a random order: the shape of queries mixed with tool documents.
  const examples = Array.from({ length: 300 }, (_, i) => example(i + 1, i % 23 === 0 ? 120 : 8 + (i % 5)));
  const order = epochOrder(examples.length, 0, 0);
  const options = { batchSize: 8, maxLength: 200, packing: false, padId: 0 } as const;
  const plain = makeBatches(examples, order, options);
  const grouped = makeBatches(examples, order, { ...options, groupByLength: true });
  assert.equal(grouped.length, plain.length);
  assert.deepEqual([...firstTokens(grouped)].sort((a, b) => a - b), [...firstTokens(plain)].sort((a, b) => a - b));
  assert.ok(paddedPositions(grouped) * 5 < paddedPositions(plain), `padding ${paddedPositions(grouped)} vs ${paddedPositions(plain)}`);
  assert.deepEqual(firstTokens(makeBatches(examples, order, { ...options, groupByLength: true })), firstTokens(grouped), 'deterministic');
  // 300 rows = 37 full batches + 4: the short batch is the last one.
  assert.deepEqual(grouped.map((b) => b.batch), [...Array<number>(37).fill(8), 4]);
});
