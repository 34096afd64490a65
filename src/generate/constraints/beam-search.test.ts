import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tool } from '../../tools/types.js';
import { INDEX_SCHEMES, ToolIndex, type TokenSequence } from '../../indexing/index.js';
import { seededRandom } from '../../util/random.js';
import { syntheticCatalog } from '../../indexing/test-utils/synthetic-catalog.js';
import { ToyVocabulary } from '../../indexing/test-utils/toy-vocabulary.js';
import { searchTools, searchToolsAsync } from './beam-search.js';
import { HashDecoder } from './test-utils/hash-decoder.js';
import { logSumExp } from './logits-processor.js';
import { ToolTrie } from './tool-trie.js';
import { priorProcessor, TriePrior } from './trie-prior.js';

const PROMPT = [3, 1, 4, 1, 5];

/** Every tool's exact log-probability (tokens plus terminator), by running the model along each sequence. */
function exhaustive(model: HashDecoder, sequences: readonly TokenSequence[], terminator: number): Map<string, number> {
  const scores = new Map<string, number>();
  for (const { toolId, tokens } of sequences) {
    let { state, logits } = model.prefill(PROMPT);
    let logProb = 0;
    for (const token of [...tokens, terminator]) {
      logProb += logits[token]! - logSumExp(logits);
      [{ state, logits }] = model.step([state], [token]) as [{ state: typeof state; logits: Float32Array }];
    }
    scores.set(toolId, logProb);
  }
  return scores;
}

function randomSequences(random: () => number, count: number, vocab: number): TokenSequence[] {
  const seen = new Set<string>();
  const sequences: TokenSequence[] = [];
  while (sequences.length < count) {
    // Some tools are prefixes of earlier ones, to exercise tools that may end or continue.
    const base = sequences.length > 0 && random() < 0.3 ? sequences[Math.floor(random() * sequences.length)]!.tokens : [];
    const tokens =
      base.length > 1 && random() < 0.5
        ? base.slice(0, 1 + Math.floor(random() * (base.length - 1)))
        : [...base.slice(0, 2), ...Array.from({ length: 1 + Math.floor(random() * 4) }, () => 1 + Math.floor(random() * (vocab - 1)))];
    if (seen.has(tokens.join(','))) continue;
    seen.add(tokens.join(','));
    sequences.push({ toolId: `tool${sequences.length}`, tokens });
  }
  return sequences;
}

test('with a beam as wide as the tool set the search returns exactly the k most probable tools', () => {
  const random = seededRandom(11);
  const sequences = randomSequences(random, 40, 12);
  const model = new HashDecoder(12, 5);
  const truth = [...exhaustive(model, sequences, 0)].sort((a, b) => b[1] - a[1]);
  const found = searchTools(model, PROMPT, new ToolTrie(sequences, 0), { k: 6, beamWidth: 40 });
  assert.deepEqual(
    found.map((c) => c.toolId),
    truth.slice(0, 6).map(([id]) => id),
  );
  found.forEach((c, i) => assert.ok(Math.abs(c.logProb - truth[i]![1]) < 1e-4));
});

test('the prompt runs once, each depth is one batched step, and every state is released', () => {
  const sequences = randomSequences(seededRandom(2), 30, 10);
  const model = new HashDecoder(10, 9);
  const found = searchTools(model, PROMPT, new ToolTrie(sequences, 0), { k: 3, beamWidth: 4 });
  assert.equal(found.length, 3);
  assert.equal(model.prefillCalls, 1);
  assert.ok(model.stepCalls <= Math.max(...sequences.map((s) => s.tokens.length)));
  assert.ok(model.steppedRows <= 4 * model.stepCalls);
  assert.equal(model.liveStates, 0);
  assert.ok(model.peakLiveStates <= 2 * 4, `peak ${model.peakLiveStates}`);
});

test('the async search finds the same tools, and an abort mid-search rejects with its reason and releases every state', async () => {
  const sequences = randomSequences(seededRandom(3), 30, 10);
  const trie = new ToolTrie(sequences, 0);
  const expected = searchTools(new HashDecoder(10, 4), PROMPT, trie, { k: 3, beamWidth: 4 });
  assert.deepEqual(await searchToolsAsync(new HashDecoder(10, 4), PROMPT, trie, { k: 3, beamWidth: 4 }), expected);

  const model = new HashDecoder(10, 4);
  const controller = new AbortController();
  const search = searchToolsAsync(model, PROMPT, trie, { k: 3, beamWidth: 4, signal: controller.signal });
  controller.abort(new Error('the user left'));
  await assert.rejects(search, /the user left/);
  assert.ok(model.stepCalls < Math.max(...sequences.map((s) => s.tokens.length)), 'the search stopped before its last depth');
  assert.equal(model.liveStates, 0);
});

test('mean scoring ranks by log-probability per token', () => {
  const sequences: TokenSequence[] = [
    { toolId: 'short', tokens: [1] },
    { toolId: 'long', tokens: [2, 3, 4, 5, 6] },
  ];
  const model = new HashDecoder(8, 1);
  const truth = exhaustive(model, sequences, 0);
  const found = searchTools(model, PROMPT, new ToolTrie(sequences, 0), { k: 2, scoring: 'mean' });
  const expected = [
    { id: 'short', score: truth.get('short')! / 2 },
    { id: 'long', score: truth.get('long')! / 6 },
  ].sort((a, b) => b.score - a.score);
  assert.deepEqual(
    found.map((c) => c.toolId),
    expected.map((e) => e.id),
  );
  assert.ok(Math.abs(found[0]!.score - expected[0]!.score) < 1e-4);
});

test('property: over random models, tool sets and subsets the search returns only allowed, distinct tools', () => {
  const random = seededRandom(2024);
  for (let trial = 0; trial < 60; trial++) {
    const vocab = 6 + Math.floor(random() * 30);
    const all = randomSequences(random, 5 + Math.floor(random() * 60), vocab);
    const allowed = all.filter(() => random() < 0.6);
    if (allowed.length === 0) continue;
    const k = 1 + Math.floor(random() * 6);
    const model = new HashDecoder(vocab, trial, 1 + random() * 8);
    const found = searchTools(model, PROMPT, new ToolTrie(allowed, 0), {
      k,
      beamWidth: k + Math.floor(random() * 4),
      scoring: random() < 0.5 ? 'sum' : 'mean',
    });
    const byId = new Map(allowed.map((s) => [s.toolId, s.tokens]));
    assert.equal(found.length, Math.min(k, allowed.length), `trial ${trial}`);
    assert.equal(new Set(found.map((c) => c.toolId)).size, found.length);
    for (const c of found) assert.deepEqual(c.tokens, byId.get(c.toolId), `trial ${trial}: ${c.toolId} is allowed and spelled right`);
    for (let i = 1; i < found.length; i++) assert.ok(found[i - 1]!.score >= found[i]!.score);
    assert.equal(model.liveStates, 0);
  }
});

test('search works for every indexing scheme and stays inside a domain subset', async () => {
  const tools: Tool[] = syntheticCatalog(60);
  for (const scheme of INDEX_SCHEMES) {
    const index = await ToolIndex.build(tools, scheme);
    const vocab = new ToyVocabulary(['get', 'search', '_for', ' 1', '_'], ['<eos>', ...index.newTokens().map((t) => t.token)]);
    const domain = tools.filter((t) => t.category === tools[0]!.category).map((t) => t.id);
    const sequences = index.sequences(vocab, domain);
    const model = new HashDecoder(vocab.vocabSize, 17);
    const found = searchTools(model, PROMPT, new ToolTrie(sequences, vocab.eosId), { k: 3, beamWidth: sequences.length });
    const truth = [...exhaustive(model, sequences, vocab.eosId)].sort((a, b) => b[1] - a[1]);
    assert.deepEqual(
      found.map((c) => c.toolId),
      truth.slice(0, Math.min(3, domain.length)).map(([id]) => id),
      scheme,
    );
    for (const c of found) assert.deepEqual(c.tokens, vocab.encode(index.toolToText(c.toolId)), scheme);
  }
});

test('bad search options are refused', () => {
  const trie = new ToolTrie([{ toolId: 'a', tokens: [1] }], 0);
  const model = new HashDecoder(4, 1);
  assert.throws(() => searchTools(model, PROMPT, trie, { k: 0 }), /k must be a positive integer, got 0/);
  assert.throws(() => searchTools(model, PROMPT, trie, { k: 3, beamWidth: 2 }), /beamWidth must be an integer >= k \(3\), got 2/);
  assert.throws(() => searchTools(model, PROMPT, new ToolTrie([{ toolId: 'a', tokens: [1] }], 9), { k: 1 }), /terminator id 9 is outside/);
});

test('a prior mixes into the ranking: with a full-width beam the search returns the k best tools by log((1 - w) p + w q)', () => {
  const random = seededRandom(21);
  const sequences = randomSequences(random, 40, 12);
  const model = new HashDecoder(12, 6);
  const trie = new ToolTrie(sequences, 0);
  const logWeight = new Map(sequences.map((s) => [s.toolId, 3 * random()]));
  const prior = new TriePrior(trie, (id) => logWeight.get(id)!, 0.4);
  const z = Math.log([...logWeight.values()].reduce((sum, w) => sum + Math.exp(w), 0));
  const truth = [...exhaustive(model, sequences, 0)]
    .map(([id, logProb]) => [id, Math.log(0.6 * Math.exp(logProb) + 0.4 * Math.exp(logWeight.get(id)! - z))] as const)
    .sort((a, b) => b[1] - a[1]);
  const found = searchTools(model, PROMPT, trie, { k: 6, beamWidth: 40, prior });
  assert.deepEqual(found.map((c) => c.toolId), truth.slice(0, 6).map(([id]) => id));
  found.forEach((c, i) => assert.ok(Math.abs(c.score - truth[i]![1]) < 1e-4, `${c.toolId}: ${c.score} vs ${truth[i]![1]}`));
});

test("a prior of weight 0 leaves the model's ranking as it is, and one of weight 1 ranks by the prior alone", () => {
  const sequences = randomSequences(seededRandom(22), 30, 10);
  const trie = new ToolTrie(sequences, 0);
  const logWeight = (id: string): number => Number(id.slice(4)) / 3;
  const plain = searchTools(new HashDecoder(10, 8), PROMPT, trie, { k: 5, beamWidth: 30 });
  const weightless = searchTools(new HashDecoder(10, 8), PROMPT, trie, { k: 5, beamWidth: 30, prior: new TriePrior(trie, logWeight, 0) });
  assert.deepEqual(weightless.map((c) => c.toolId), plain.map((c) => c.toolId));
  const byPrior = searchTools(new HashDecoder(10, 8), PROMPT, trie, { k: 5, beamWidth: 30, prior: new TriePrior(trie, logWeight, 1) });
  assert.deepEqual(byPrior.map((c) => c.toolId), ['tool29', 'tool28', 'tool27', 'tool26', 'tool25']);
});

test('a prior weight outside [0, 1] is refused by name', () => {
  const trie = new ToolTrie(randomSequences(seededRandom(23), 5, 8), 0);
  assert.throws(() => new TriePrior(trie, () => 0, 1.5), /weight must be in \[0, 1\], got 1.5/);
});

/** Greedy decoding of one tool under a logits processor, on the hash model. */
function greedyUnder(model: HashDecoder, processor: (logits: Float32Array, generated: readonly number[]) => void, terminator: number): number[] {
  let { state, logits } = model.prefill(PROMPT);
  const generated: number[] = [];
  for (let step = 0; step < 12; step++) {
    const masked = Float32Array.from(logits);
    processor(masked, generated);
    let best = 0;
    for (let i = 1; i < masked.length; i++) if (masked[i]! > masked[best]!) best = i;
    generated.push(best);
    if (best === terminator) break;
    [{ state, logits }] = model.step([state], [best]) as [{ state: typeof state; logits: Float32Array }];
  }
  return generated;
}

test('the prior processor decodes one tool of the trie step by step under the mixed distribution', () => {
  const sequences = randomSequences(seededRandom(24), 30, 10);
  const trie = new ToolTrie(sequences, 0);
  const logWeight = (id: string): number => (id === 'tool17' ? 8 : 0);
  // Weight 0: the model's own greedy tool, as the trie's mask gives it.
  const plain = greedyUnder(new HashDecoder(10, 8), trie.processor(), 0);
  assert.deepEqual(greedyUnder(new HashDecoder(10, 8), priorProcessor(trie, new TriePrior(trie, logWeight, 0)), 0), plain);
  // Weight 1 and one tool carrying nearly all of q: that tool, whatever the model prefers.
  const byPrior = greedyUnder(new HashDecoder(10, 8), priorProcessor(trie, new TriePrior(trie, logWeight, 1)), 0);
  assert.equal(trie.toolOf(byPrior), 'tool17');
  // Every decoded sequence is a tool of the trie, ended by the terminator.
  for (const w of [0.2, 0.5, 0.9]) {
    const tokens = greedyUnder(new HashDecoder(10, 8), priorProcessor(trie, new TriePrior(trie, logWeight, w)), 0);
    assert.equal(tokens.at(-1), 0);
    assert.ok(trie.toolOf(tokens) !== undefined, `weight ${w}: ${tokens.join(',')}`);
  }
});
