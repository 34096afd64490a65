import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoCatalog } from '../../data/demo/catalog.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import type { Tool } from '../../tools/types.js';
import { ToolFinder } from './tool-finder.js';
import { Bm25Index } from '../../retrieval/bm25.js';

const known = demoCatalog().slice(0, 6);
const tg = await tinyToolGen(known, { seed: 2 });

/** A tool no model has seen, described by two made-up words of its own. */
const unseen = (i: number): Tool => ({
  id: `vendor&&op_${i}`,
  name: `op_${i}`,
  description: `Performs the zq${i.toString(36)} operation on a wx${(i * 7).toString(36)} record`,
  parameters: { type: 'object', properties: {}, required: [] },
});

test('over 10,000 tools the model searches the ones it knows and BM25 the rest, and k bounds the answer', async () => {
  const catalog = [...known, ...Array.from({ length: 10_000 }, (_, i) => unseen(i))];
  const finder = new ToolFinder(tg, catalog);
  assert.deepEqual(finder.coverage, { toolgen: 6, bm25: 10_000 });
  const started = performance.now();
  const found = await finder.find(`zq${(4321).toString(36)} quickly`, 5);
  assert.ok(performance.now() - started < 2000, 'one search over 10,000 tools takes under 2 s, even on a loaded machine');
  assert.equal(found.length, 5);
  // The BM25 hit (the only unseen tool with that word) comes second, after the model's best, and the model's
  // other tools follow: ranks interleave, the model's first on equal ranks.
  assert.deepEqual(found.map((f) => f.source), ['toolgen', 'bm25', 'toolgen', 'toolgen', 'toolgen']);
  assert.equal(found[1]!.tool.id, 'vendor&&op_4321');
  for (const f of found.filter((x) => x.source === 'toolgen')) assert.ok(known.includes(f.tool) && f.probability! > 0 && f.probability! <= 1);
});

test('a catalog the model knows entirely is searched by the model alone; one it does not know, by BM25 alone', async () => {
  assert.deepEqual((await new ToolFinder(tg, known).find('add 2 and 3', 3)).map((f) => f.source), ['toolgen', 'toolgen', 'toolgen']);
  const strangers = new ToolFinder(tg, [unseen(1), unseen(2)]);
  assert.deepEqual(strangers.coverage, { toolgen: 0, bm25: 2 });
  assert.deepEqual((await strangers.find(`zq${(2).toString(36)}`, 3)).map((f) => f.tool.id), ['vendor&&op_2']);
  assert.deepEqual(await strangers.find('nothing in common', 3), []);
});

test('a search whose signal aborts stops with the signal\'s reason', async () => {
  const controller = new AbortController();
  controller.abort(new Error('client went away'));
  await assert.rejects(new ToolFinder(tg, known).find('add 2 and 3', 3, controller.signal), /client went away/);
});

test("with a lexical prior the model's search over the tools it knows follows their documents: at weight 1, BM25's order", async () => {
  const bm25 = Bm25Index.fromTools(known);
  const finder = new ToolFinder(tg, known, { lexicalPrior: 1 });
  for (const tool of known) {
    const found = await finder.find(tool.description, 1);
    assert.equal(found[0]!.tool.id, bm25.rank(tool.description, 1)[0]!.id, tool.description);
    assert.equal(found[0]!.source, 'toolgen');
  }
});
