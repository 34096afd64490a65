import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../data/demo/catalog.js';
import { generateDemoQueries } from '../../data/demo/queries.js';
import type { RetrievalComparison } from '../../eval/retrieval/compare.js';
import { saveToolGenModel } from '../../methods/toolgen/model.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { CliError } from '../args.js';
import { command as evalCommand } from './eval.js';
import { captureOutput } from '../testing/capture.js';

const tools = demoCatalog().slice(0, 12);
const queries = generateDemoQueries({ seed: 2, perTool: 3 }).filter((q) => q.relevant.every((id) => tools.some((t) => t.id === id)));

/** A random-weight ToolGen model directory (with its catalog) and a queries file whose first half is marked train. */
async function fixture(): Promise<{ dir: string; model: string; data: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-eval-retrieval-'));
  const tg = await tinyToolGen(tools, { texts: queries.map((q) => q.query), seed: 3 });
  const model = join(dir, 'model');
  saveToolGenModel(tg, model, tools);
  const data = join(dir, 'queries.jsonl');
  const half = Math.floor(queries.length / 2);
  writeFileSync(data, queries.map((q, i) => JSON.stringify({ id: q.id, query: q.query, relevant: q.relevant, ...(i < half ? { split: 'train' } : {}) })).join('\n') + '\n');
  return { dir, model, data };
}

const quietly = captureOutput;

test('eval retrieval scores toolgen, bm25 and dense on the untagged queries and writes the JSON and HTML report', async () => {
  const { dir, model, data } = await fixture();
  const json = join(dir, 'scores.json');
  const report = join(dir, 'report');
  const { value: code, stdout } = await quietly(() =>
    evalCommand.run(['retrieval', '--model', model, '--data', data, '--json', json, '--report', report, '--dense-epochs', '1', '--hallucination-queries', '5']),
  );
  assert.equal(code, 0);
  const scores = JSON.parse(readFileSync(json, 'utf8')) as RetrievalComparison;
  assert.deepEqual(Object.keys(scores.retrievers), ['toolgen', 'bm25', 'dense']);
  assert.equal(scores.queries, queries.length - Math.floor(queries.length / 2));
  for (const metrics of Object.values(scores.retrievers)) {
    for (const key of ['ndcg@1', 'ndcg@3', 'ndcg@5', 'recall@5', 'mrr']) assert.ok(metrics[key]! >= 0 && metrics[key]! <= 1, key);
  }
  assert.deepEqual([scores.hallucination.queries, scores.hallucination.constrained], [5, 0]);
  assert.match(stdout, /^retriever\s+ndcg@1\s+ndcg@3\s+ndcg@5\s+recall@5\s+mrr$/m);
  assert.match(stdout, /hallucinated tools \(5 greedy answers\): constrained 0\.000, unconstrained/);
  const html = readFileSync(join(report, 'index.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /Hallucinated tools/);
});

test('eval retrieval refuses a dense baseline without training queries, in-domain without domains and a plain model', async () => {
  const { dir, model, data } = await fixture();
  const untagged = join(dir, 'untagged.jsonl');
  writeFileSync(untagged, queries.map((q) => JSON.stringify({ query: q.query, relevant: q.relevant })).join('\n') + '\n');
  const rejects = (argv: string[], message: RegExp) =>
    assert.rejects(quietly(() => evalCommand.run(['retrieval', ...argv])), (err: unknown) => err instanceof CliError && message.test(err.message));
  await rejects(['--model', model, '--data', untagged], /the dense baseline needs training queries: mark some in --data with "split": "train" or give --train/);
  await rejects(['--model', model, '--data', data, '--setting', 'in-domain'], /--setting in-domain: no test query of .* has a "domain"/);
  await rejects(['--model', model, '--data', data, '--baselines', 'bm25,sparse'], /--baselines: 'sparse' is not one of bm25, dense/);
  await rejects(['--model', dir, '--data', data, '--catalog', join(model, 'catalog.json')], /no tool-index\.json, so it is not a trained ToolGen model; the model is in a folder below it: pass .*model$/);
  // A missing --data is named, not a catalog path the user never gave.
  await rejects(['--model', model], /^--data is required$/);
  await rejects(['--model', join(dir, 'nowhere')], /^--data is required$/);
  // Without --catalog the one saved with the model is used; when there is none, the message says to pass --catalog.
  rmSync(join(model, 'catalog.json'));
  await rejects(['--model', model, '--data', data], /^--model .* has no catalog saved with it \(.*catalog\.json\); pass --catalog <catalog\.json>$/);
});

test('eval retrieval --lexical-prior W also scores toolgen-lexical-W, which at weight 1 scores as BM25 does', async () => {
  const { dir, model, data } = await fixture();
  const json = join(dir, 'scores.json');
  const { value: code, stdout } = await quietly(() =>
    evalCommand.run(['retrieval', '--model', model, '--data', data, '--json', json, '--baselines', 'bm25', '--lexical-prior', '1', '--hallucination-queries', '0']),
  );
  assert.equal(code, 0);
  const scores = JSON.parse(readFileSync(json, 'utf8')) as RetrievalComparison;
  assert.deepEqual(Object.keys(scores.retrievers), ['toolgen', 'toolgen-lexical-1', 'bm25']);
  // BM25 leaves tools sharing no word unranked; the prior ranks them below, so the metrics can only be at least BM25's.
  for (const key of ['ndcg@1', 'recall@5']) assert.ok(scores.retrievers['toolgen-lexical-1']![key]! >= scores.retrievers.bm25![key]! - 1e-12, key);
  assert.match(stdout, /^toolgen-lexical-1\s/m);
  await assert.rejects(
    quietly(() => evalCommand.run(['retrieval', '--model', model, '--data', data, '--lexical-prior', '1.5'])),
    (err: unknown) => err instanceof CliError && /--lexical-prior must be .*1.*got 1.5/.test(err.message),
  );
  rmSync(dir, { recursive: true, force: true });
});
