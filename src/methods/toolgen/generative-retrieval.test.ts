import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoCatalog } from '../../data/demo/catalog.js';
import { generateDemoQueries } from '../../data/demo/queries.js';
import type { IndexScheme } from '../../indexing/schemes.js';
import { tinyToolGen } from './testing/tiny-toolgen.js';
import { trainScratchTokenizer } from '../../train/scratch.js';
import { assistantTurnEnd, GenerativeRetriever } from '../../retrieval/generative.js';
import { Bm25Index } from '../../retrieval/bm25.js';
import { LexicalPrior } from '../../retrieval/lexical-prior.js';

const tools = demoCatalog().slice(0, 24);
const queries = generateDemoQueries({ seed: 1, perTool: 1 }).filter((q) => q.relevant.every((id) => tools.some((t) => t.id === id)));

/** A random-weight scratch model that knows the 24 tools under `scheme`. */
async function randomToolGenModel(scheme: IndexScheme): Promise<GenerativeRetriever> {
  return new GenerativeRetriever(await tinyToolGen(tools, { texts: queries.map((q) => q.query), seed: 5, scheme }));
}

test('the answer ends at <|im_end|>, the ChatML end of an assistant turn', () => {
  const tokenizer = trainScratchTokenizer(['a few words to learn from'], 300);
  assert.equal(tokenizer.idToToken(assistantTurnEnd(tokenizer)), '<|im_end|>');
});

test('constrained retrieval on a random model returns k distinct catalog tools, best score first', async () => {
  const retriever = await randomToolGenModel('atomic');
  const catalogIds = new Set(tools.map((t) => t.id));
  for (const q of queries.slice(0, 3)) {
    const ranked = retriever.rank(q.query, 5);
    assert.equal(ranked.length, 5);
    assert.equal(new Set(ranked.map((r) => r.toolId)).size, 5);
    for (const r of ranked) assert.ok(catalogIds.has(r.toolId), `${r.toolId} is not a catalog tool`);
    for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.score >= ranked[i]!.score);
    assert.deepEqual(retriever.retrieve(q, 5), ranked.map((r) => r.toolId));
  }
});

test('rankAsync ranks as rank does, and an aborted signal stops it with the signal\'s reason', async () => {
  const retriever = await randomToolGenModel('semantic');
  const q = queries[0]!.query;
  assert.deepEqual(await retriever.rankAsync(q, 4), retriever.rank(q, 4));
  const candidates = new Set(tools.slice(0, 6).map((t) => t.id));
  assert.deepEqual(await retriever.rankAsync(q, 3, { candidates }), retriever.rank(q, 3, candidates));
  await assert.rejects(retriever.rankAsync(q, 4, { signal: AbortSignal.abort(new Error('cancelled by the caller')) }), /cancelled by the caller/);
});

test('multi-token indices (semantic scheme) are searched through the trie and stay inside the catalog', async () => {
  const retriever = await randomToolGenModel('semantic');
  const catalogIds = new Set(tools.map((t) => t.id));
  const found = retriever.retrieve(queries[0]!, 4);
  assert.equal(found.length, 4);
  assert.equal(new Set(found).size, 4);
  for (const id of found) assert.ok(catalogIds.has(id));
});

test('in-domain candidates restrict the results to that set, and fewer than k candidates give all of them', async () => {
  const retriever = await randomToolGenModel('atomic');
  const candidates = new Set(tools.slice(10, 13).map((t) => t.id));
  const found = retriever.retrieve(queries[0]!, 5, candidates);
  assert.deepEqual([...found].sort(), [...candidates].sort());
  assert.deepEqual(retriever.retrieve(queries[0]!, 5, new Set(['not-a-tool'])), []);
});

test('with the trie constraint a random model never names a tool that does not exist; without it, it does', async () => {
  const retriever = await randomToolGenModel('atomic');
  const sample = queries.slice(0, 8);
  assert.equal(retriever.hallucinationRate(sample, true), 0);
  assert.equal(retriever.hallucinationRate(sample, false), 1);
  const free = retriever.generateTool(sample[0]!.query, false);
  assert.equal(free.toolId, undefined);
  assert.ok(tools.some((t) => t.id === retriever.generateTool(sample[0]!.query, true).toolId));
});

test('a query longer than the context keeps its beginning, so retrieval still answers', async () => {
  const retriever = await randomToolGenModel('atomic');
  const long = 'please convert this number and then add it to the total '.repeat(120);
  const prompt = retriever.promptIds(long);
  assert.ok(prompt.length <= 512 - 2 && prompt.length > 400, `prompt of ${prompt.length} tokens`);
  assert.deepEqual(prompt.slice(0, 20), retriever.promptIds(long.slice(0, 300)).slice(0, 20));
  assert.equal(retriever.retrieve({ id: 'long', query: long, relevant: [] }, 3).length, 3);
});

test('with the lexical prior at weight 1 a random model ranks as BM25 does, under every scheme, and at weight 0 as it did without it', async () => {
  const bm25 = Bm25Index.fromTools(tools);
  for (const scheme of ['atomic', 'hierarchical'] as const) {
    const tg = await tinyToolGen(tools, { texts: queries.map((q) => q.query), seed: 5, scheme });
    const plain = new GenerativeRetriever(tg);
    const lexical = new GenerativeRetriever(tg, { lexicalPrior: new LexicalPrior(bm25, { weight: 1, sharpness: 10 }), beamWidth: 24 });
    const weightless = new GenerativeRetriever(tg, { lexicalPrior: new LexicalPrior(bm25, { weight: 0 }) });
    for (const q of queries.slice(0, 4)) {
      // BM25 ranks only the tools that share a word with the query; below them every tool weighs the same.
      const byBm25 = bm25.rank(q.query, 3).map((r) => r.id);
      assert.deepEqual(lexical.rank(q.query, 3).map((r) => r.toolId).slice(0, byBm25.length), byBm25, `${scheme}: ${q.query}`);
      assert.deepEqual(weightless.rank(q.query, 5), plain.rank(q.query, 5));
    }
  }
});

test("the lexical prior's distribution: scores over the query's best, e^sharpness for the best match, uniform when no word matches", async () => {
  const tg = await tinyToolGen(tools, { texts: queries.map((q) => q.query), seed: 5, scheme: 'atomic' });
  const trie = new GenerativeRetriever(tg).trieFor()!;
  const bm25 = Bm25Index.fromTools(tools);
  const query = queries[0]!.query;
  const scores = bm25.scores(query);
  const best = Math.max(...scores);
  const prior = new LexicalPrior(bm25, { weight: 0.3, sharpness: 4 }).forQuery(query, trie);
  const z = tools.reduce((sum, _t, i) => sum + Math.exp((4 * scores[i]!) / best), 0);
  for (const [i, tool] of tools.entries()) {
    const node = trie.walk(tg.index.sequences(tg.tokenizer, [tool.id])[0]!.tokens)!;
    assert.ok(Math.abs(prior.logToolMass(node) - ((4 * scores[i]!) / best - Math.log(z))) < 1e-9, tool.id);
  }
  const nothing = new LexicalPrior(bm25, { weight: 0.5 }).forQuery('zzzz qqqq', trie);
  assert.ok(Math.abs(nothing.logMass(trie.root)) < 1e-12);
  const first = trie.walk(tg.index.sequences(tg.tokenizer, [tools[0]!.id])[0]!.tokens)!;
  assert.ok(Math.abs(nothing.logToolMass(first) + Math.log(tools.length)) < 1e-9);
  assert.throws(() => new LexicalPrior(bm25, { weight: -0.1 }), /weight must be in \[0, 1\], got -0.1/);
});
