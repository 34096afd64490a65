import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoCatalog } from '../../data/demo/catalog.js';
import { Rng } from '../../tensor/index.js';
import { GenerativeRetriever } from '../../retrieval/generative.js';
import { addTools, fitDocumentToRow } from './add-tools.js';
import { tinyToolGen } from './testing/tiny-toolgen.js';

function randomVectors(rng: Rng, count: number, dim: number): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, () => rng.normal()));
}

test('the document-to-row regression recovers a linear map from more tools than dimensions (primal form)', () => {
  const rng = new Rng(3);
  const dim = 6;
  const map = randomVectors(rng, dim, dim);
  const offset = randomVectors(rng, 1, dim)[0]!;
  const apply = (h: Float32Array) => Float32Array.from({ length: dim }, (_, j) => offset[j]! + h.reduce((s, x, i) => s + x * map[i]![j]!, 0));
  const states = randomVectors(rng, 60, dim);
  const predict = fitDocumentToRow(states, states.map(apply), dim, 1e-8);
  const probe = randomVectors(rng, 1, dim)[0]!;
  const expected = apply(probe);
  predict(probe).forEach((v, j) => assert.ok(Math.abs(v - expected[j]!) < 1e-4, `component ${j}: ${v} vs ${expected[j]}`));
});

test('with fewer tools than dimensions (dual form) the regression reproduces the known rows and shrinks toward their mean', () => {
  const rng = new Rng(4);
  const dim = 16;
  const states = randomVectors(rng, 5, dim);
  const rows = randomVectors(rng, 5, dim);
  const exact = fitDocumentToRow(states, rows, dim, 1e-9);
  states.forEach((h, a) => exact(h).forEach((v, j) => assert.ok(Math.abs(v - rows[a]![j]!) < 1e-3)));
  // A huge ridge leaves only the mean row.
  const shrunk = fitDocumentToRow(states, rows, dim, 1e9);
  const mean = Array.from({ length: dim }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
  shrunk(states[0]!).forEach((v, j) => assert.ok(Math.abs(v - mean[j]!) < 1e-4));
});

const tools = demoCatalog().slice(0, 10);
const known = tools.slice(0, 7);
const added = tools.slice(7);
const outputRows = (tg: Awaited<ReturnType<typeof tinyToolGen>>): Float32Array => tg.model.tensors().find((t) => t.name === 'model.embed_tokens.weight')!.data;

for (const rows of ['document-state', 'name-mean'] as const) {
  test(`tools added with ${rows} rows become tokens the constrained search can name; known tools keep their rows`, async () => {
    const tg = await tinyToolGen(known, { documented: tools });
    const before = outputRows(tg);
    const grown = await addTools(tg, added, { rows, known });
    assert.deepEqual(grown.index.toolIds(), tools.map((t) => t.id));
    for (const tool of added) assert.equal(grown.tokenizer.encode(grown.index.toolToText(tool.id)).length, 1);
    const after = outputRows(grown);
    assert.deepEqual(after.subarray(0, before.length), before);
    assert.equal(after.length, before.length + added.length * grown.model.config.dim);
    assert.deepEqual(grown.newRows, { start: tg.newRows!.start, end: tg.newRows!.end + added.length });

    const retriever = new GenerativeRetriever(grown);
    const onlyNew = retriever.rank('anything at all', 5, new Set(added.map((t) => t.id)));
    assert.deepEqual(onlyNew.map((r) => r.toolId).sort(), added.map((t) => t.id).sort());
    assert.equal(new Set(retriever.rank('anything', 10).map((r) => r.toolId)).size, 10);
  });
}

test('document-state rows come from the model, not from the name: they differ from the name-mean rows', async () => {
  const rowsOf = async (rows: 'document-state' | 'name-mean') => {
    const grown = await addTools(await tinyToolGen(known, { documented: tools }), added, { rows, known });
    return outputRows(grown).slice(-added.length * grown.model.config.dim);
  };
  const fromDocument = await rowsOf('document-state');
  const fromName = await rowsOf('name-mean');
  assert.ok(fromDocument.some((v, i) => Math.abs(v - fromName[i]!) > 1e-3));
  assert.ok(fromDocument.every(Number.isFinite));
});

test('adding refuses what would corrupt the index: a known tool, a numeric index, document rows without the known tools', async () => {
  await assert.rejects(addTools(await tinyToolGen(known), [known[0]!], { rows: 'name-mean' }), /already in the index/);
  await assert.rejects(addTools(await tinyToolGen(known, { scheme: 'numeric' }), added), /numeric tool index cannot take new tools/);
  await assert.rejects(addTools(await tinyToolGen(known), added), /need the known tools' documents/);
  await assert.rejects(addTools(await tinyToolGen(known), []), /no tools given/);
});
