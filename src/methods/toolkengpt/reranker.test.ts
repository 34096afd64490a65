import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../util/random.js';
import { FUNCQA_DOCS } from './docs.js';
import type { HeadFeatures } from './head.js';
import { mineRerankPositions, rerank, rerankPrompt, trainReranker, tuneOverrideMargin, type RerankExample } from './reranker.js';

describe('the Toolken+ reranker', () => {
  test('the prompt lists the candidates with their documentation, then Reject, then the context', () => {
    assert.equal(
      rerankPrompt(['<add>', '<gcd>'], FUNCQA_DOCS, 'Q: 3 and 4?\nA: 3+4='),
      'Tools:\n1. <add>: adds numbers, e.g. <add>(147, 354)=501\n2. <gcd>: the greatest common divisor of integers, e.g. <gcd>(12, 18)=6\nREJ: continue without a tool\n\nQ: 3 and 4?\nA: 3+4=',
    );
  });

  test('mining: toolken positions get the gold tool among the candidates, false fires get Reject', () => {
    // Two tools, dim 2: tool 0 = (1, 0), tool 1 = (0, 1). Positions: gold tool 1 where the head prefers tool 0;
    // a plain position where tool 0 beats the vocabulary; a plain position where nothing fires; an ignored one.
    const rows = Float32Array.from([1, 0, 0, 1]);
    const f: HeadFeatures = {
      dim: 2,
      hidden: Float32Array.from([3, 1, 5, 0, 0.1, 0.1, 9, 9]),
      lse: Float32Array.from([4, 4, 4, 4]),
      maxLogit: Float32Array.from([2, 2, 2, 2]),
      targetLogit: Float32Array.from([0, 0, 0, 0]),
      label: Int32Array.from([1, -2, -2, -1]),
    };
    const mined = mineRerankPositions(rows, 2, [f], 1, 0);
    assert.deepEqual(mined, [
      { text: 0, position: 0, candidates: [1], label: 1 },
      { text: 0, position: 1, candidates: [0], label: -1 },
    ]);
  });

  test('training separates tool contexts from reject contexts', () => {
    const random = seededRandom(5);
    const examples: RerankExample[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = i % 3; // 0: tool 0, 1: tool 1, 2: reject
      const hidden = Float32Array.from({ length: 4 }, (_, d) => (d === kind ? 1 : 0) + 0.2 * (random() - 0.5));
      examples.push({ candidates: [0, 1], hidden, label: kind === 2 ? -1 : kind });
    }
    const reranker = trainReranker(examples, new Float32Array(2 * 4), 2, { epochs: 20, lr: 0.05, seed: 0 });
    let right = 0;
    for (const ex of examples) if (rerank(reranker, ex.candidates, ex.hidden) === (ex.label === -1 ? 'reject' : ex.label)) right++;
    assert.ok(right / examples.length > 0.95, `${right} of ${examples.length}`);
  });
});

test('the override margin: 0 follows the reranker, Infinity keeps the head, and tuning picks what is right most often on held-out examples', () => {
  // Two tools in 2 dimensions: the reranker prefers tool 1 a little (score 1 against 0.5) over the head's top, tool 0.
  const reranker = { toolCount: 2, dim: 2, rows: Float32Array.from([0.5, 0, 1, 0, 0, 0]) };
  const hidden = Float32Array.from([1, 0]);
  assert.equal(rerank(reranker, [0, 1], hidden, 0), 1);
  assert.equal(rerank(reranker, [0, 1], hidden, 1), 0, 'a lead of 0.5 is not more than a margin of 1');
  assert.equal(rerank(reranker, [0, 1], hidden, Infinity), 0);
  assert.equal(rerank({ ...reranker, margin: Infinity }, [0, 1], hidden), 0, "the reranker's own margin is the default");
  // Held out: the head was right (tool 0) both times, so overriding never pays and the largest margin wins.
  const keep = tuneOverrideMargin(reranker, [{ candidates: [0, 1], hidden, label: 0 }, { candidates: [0, 1], hidden, label: 0 }]);
  assert.deepEqual(keep, { margin: Infinity, accuracy: 1 });
  // The reranker was right: only margin 0 lets it override (its lead, 0.5, is not more than the next margin, 0.5).
  assert.equal(tuneOverrideMargin(reranker, [{ candidates: [0, 1], hidden, label: 1 }]).margin, 0);
});
