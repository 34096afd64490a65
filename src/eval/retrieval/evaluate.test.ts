import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RetrievalQuery } from '../../data/types.js';
import type { Tool } from '../../tools/types.js';
import { Bm25Index } from '../../retrieval/bm25.js';
import { bm25Retriever, evaluateRetrieval, type Retriever } from './evaluate.js';

const tool = (id: string, category: string, description: string): Tool => ({
  id,
  name: id,
  description,
  category,
  parameters: { type: 'object', properties: {}, required: [] },
});
const tools = [
  tool('add', 'math', 'add two numbers together'),
  tool('multiply', 'math', 'multiply two numbers'),
  tool('upper', 'text', 'convert text to upper case'),
];
const queries: RetrievalQuery[] = [
  { id: 'q1', query: 'add 2 and 3', relevant: ['add'], domain: 'math' },
  { id: 'q2', query: 'shout this text', relevant: ['upper'], domain: 'text' },
  { id: 'q3', query: 'no domain here', relevant: ['add'] },
];

test('multi-domain offers the whole catalog, asks for 5 ids and averages metrics per retriever', async () => {
  const asked: { k: number; candidates: ReadonlySet<string> | undefined }[] = [];
  const alwaysAdd: Retriever = {
    retrieve: (_q, k, candidates) => {
      asked.push({ k, candidates });
      return ['add', 'upper'];
    },
  };
  const report = await evaluateRetrieval({ alwaysAdd }, tools, queries, { setting: 'multi-domain' });
  assert.deepEqual(asked, [
    { k: 5, candidates: undefined },
    { k: 5, candidates: undefined },
    { k: 5, candidates: undefined },
  ]);
  assert.equal(report.queries, 3);
  assert.equal(report.skipped, 0);
  const scores = report.retrievers.alwaysAdd!;
  // q1 and q3 hit at rank 1, q2 at rank 2
  assert.equal(scores['ndcg@1'], 2 / 3);
  assert.equal(scores.mrr, (1 + 0.5 + 1) / 3);
  assert.equal(scores['recall@5'], 1);
  // Per domain: q1 (math) hit at rank 1, q2 (text) at rank 2; q3 has no domain and is in no row.
  assert.deepEqual(Object.keys(report.byDomain.alwaysAdd!), ['math', 'text']);
  assert.equal(report.byDomain.alwaysAdd!.math!['ndcg@1'], 1);
  assert.equal(report.byDomain.alwaysAdd!.text!['ndcg@1'], 0);
  // The only query whose first answer is wrong, with what was retrieved.
  assert.deepEqual(report.misses.alwaysAdd, [{ query: 'shout this text', domain: 'text', relevant: ['upper'], retrieved: ['add', 'upper'] }]);
});

test('in-domain restricts candidates to the tools of the query domain and skips queries without one', async () => {
  const seen: string[][] = [];
  const recorder: Retriever = {
    retrieve: (_q, _k, candidates) => {
      seen.push([...(candidates ?? [])].sort());
      return [...(candidates ?? [])];
    },
  };
  const report = await evaluateRetrieval({ recorder }, tools, queries, { setting: 'in-domain' });
  assert.deepEqual(seen, [['add', 'multiply'], ['upper']]);
  assert.equal(report.queries, 2);
  assert.equal(report.skipped, 1);
});

test('BM25 plugs into the harness as a retriever', async () => {
  const report = await evaluateRetrieval({ bm25: bm25Retriever(Bm25Index.fromTools(tools)) }, tools, queries.slice(0, 1), { setting: 'in-domain' });
  assert.equal(report.retrievers.bm25!['ndcg@1'], 1);
});
