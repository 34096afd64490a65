/**
 * `npm run bench:unseen-tools -- --model DIR`: how well `toolken tools add` reaches tools whose tokens were never
 * trained. DIR is a trained ToolGen model directory with its catalog.json and test-queries.jsonl (the one
 * `toolken demo` writes to toolken-demo/model). In five folds, a fifth of the tools lose their trained output rows,
 * which are replaced by (a) the rows `tools add` predicts from the tools' documents, fitted on the other four
 * fifths, and (b) ToolGen's name-mean initialisation; the held-out tools' test queries are answered by
 * trie-constrained search over the whole catalog, beside the trained rows and BM25.
 *
 * What this does not measure: the model's layers were trained with every tool's document and queries, so a tool
 * that is new to the whole model is harder than one that is new only to the LM head. Records go to
 * bench/results/unseen-tools.json as `unseen-tools/<variant>/top-1`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/models/load.js';
import { DecoderModel } from '../src/models/decoder.js';
import { ToolIndex } from '../src/indexing/tool-index.js';
import { loadCatalog } from '../src/tools/catalog.js';
import { parseJsonLines } from '../src/util/json-lines.js';
import { GenerativeRetriever } from '../src/retrieval/generative.js';
import { Bm25Index } from '../src/retrieval/bm25.js';
import { documentState, fitDocumentToRow } from '../src/methods/toolgen/add-tools.js';
import { CATALOG_FILE, TOOL_INDEX_FILE } from '../src/methods/toolgen/model.js';
import { writeResults, type BenchRecord } from './lib.js';

const FOLDS = 5;
const VARIANTS = ['trained', 'document-state', 'name-mean', 'bm25'] as const;

async function main(): Promise<number> {
  const at = process.argv.indexOf('--model');
  const dir = at >= 0 ? process.argv[at + 1] : undefined;
  if (dir === undefined) {
    process.stderr.write('usage: npm run bench:unseen-tools -- --model <ToolGen model dir with catalog.json and test-queries.jsonl> (npx toolken demo writes one)\n');
    return 2;
  }
  const loaded = await loadModel(dir);
  const index = ToolIndex.load(join(dir, TOOL_INDEX_FILE));
  const tg = { model: loaded.model, tokenizer: loaded.tokenizer, index, newRows: null };
  const tools = loadCatalog(join(dir, CATALOG_FILE)).tools.filter((t) => index.toolIds().includes(t.id));
  const queries = parseJsonLines(readFileSync(join(dir, 'test-queries.jsonl'), 'utf8'))
    .map((l) => l.value as { query: string; relevant: string[] })
    .filter((q) => q.relevant.length === 1);
  const { dim } = loaded.model.config;
  const outputName = loaded.model.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const weights = new Map(loaded.model.tensors().map((t) => [t.name, t.data] as const));
  const output = weights.get(outputName)!;
  const tokenOf = (id: string): number => loaded.tokenizer.tokenToId(index.toolToText(id))!;
  const rowOf = (id: string): Float32Array => output.slice(tokenOf(id) * dim, (tokenOf(id) + 1) * dim);
  // As expandVocabulary initialises a new token's output row: the mean of the output rows of its name's tokens.
  const nameMean = (name: string): Float32Array => {
    const ids = loaded.tokenizer.encode(name);
    const row = new Float32Array(dim);
    for (const id of ids) for (let j = 0; j < dim; j++) row[j] += output[id * dim + j]! / ids.length;
    return row;
  };
  const bm25 = Bm25Index.fromTools(tools);
  const hits = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<(typeof VARIANTS)[number], number>;
  let total = 0;
  for (let fold = 0; fold < FOLDS; fold++) {
    const held = tools.filter((_, i) => i % FOLDS === fold);
    const heldIds = new Set(held.map((t) => t.id));
    const known = tools.filter((t) => !heldIds.has(t.id));
    const predict = fitDocumentToRow(known.map((t) => documentState(tg, t)), known.map((t) => rowOf(t.id)), dim, 0.1);
    const foldQueries = queries.filter((q) => heldIds.has(q.relevant[0]!));
    total += foldQueries.length;
    for (const variant of VARIANTS) {
      if (variant === 'bm25') {
        for (const q of foldQueries) if (bm25.rank(q.query, 1)[0]?.id === q.relevant[0]) hits.bm25++;
        continue;
      }
      const table = Float32Array.from(output);
      if (variant !== 'trained') {
        for (const t of held) table.set(variant === 'name-mean' ? nameMean(t.name) : predict(documentState(tg, t)), tokenOf(t.id) * dim);
      }
      const model = new DecoderModel(loaded.model.config, new Map([...weights, [outputName, table]]), loaded.model.backend);
      const retriever = new GenerativeRetriever({ model, tokenizer: loaded.tokenizer, index });
      for (const q of foldQueries) if (retriever.rank(q.query, 1)[0]?.toolId === q.relevant[0]) hits[variant]++;
    }
    process.stderr.write(`fold ${fold + 1}/${FOLDS}: ${held.length} tools held out, ${foldQueries.length} queries\n`);
  }
  const records: BenchRecord[] = VARIANTS.map((variant) => ({
    name: `unseen-tools/${variant}/top-1`, value: hits[variant] / total, unit: 'share',
    params: { model: dir, tools: tools.length, queries: total, folds: FOLDS, ridge: 0.1 },
  }));
  for (const r of records) process.stdout.write(`${r.name.padEnd(34)} ${r.value.toFixed(3)}\n`);
  writeResults('unseen-tools', records);
  return 0;
}

process.exitCode = await main();
