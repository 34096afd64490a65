import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RetrievalQuery } from '../../data/types.js';
import { BASELINES, compareRetrievers, comparisonHtml, comparisonTable, type Baseline } from '../../eval/retrieval/compare.js';
import type { RetrievalSetting } from '../../eval/retrieval/evaluate.js';
import { defaultDenseOptions } from '../../retrieval/dense.js';
import { DEFAULT_PRIOR_SHARPNESS } from '../../retrieval/lexical-prior.js';
import type { Tool } from '../../tools/types.js';
import { ProgressBar } from '../../report/progress.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { CliCommand, CliError, commandFlags } from '../args.js';
import { modelCatalogPath, readCatalogFlag, readQueriesFlag, readToolGenModelFlag } from './toolgen-inputs.js';
import { parseJsonLines } from '../../util/json-lines.js';

const flags = {
  model: { kind: 'string', required: true, help: 'a ToolGen model directory (with tool-index.json)' },
  data: {
    kind: 'string',
    required: true,
    help: 'queries (JSON lines, docs/data-format.md); a "split": "train" field marks training queries of the dense baseline, the others are tested',
  },
  train: { kind: 'string', help: 'training queries of the dense baseline, instead of the "split": "train" entries of --data' },
  catalog: { kind: 'string', help: 'catalog.json (default: the catalog saved with the model, <model>/catalog.json)' },
  setting: { kind: 'string', choices: ['multi-domain', 'in-domain'], default: 'multi-domain', help: 'candidates: the whole catalog, or the query\'s domain' },
  baselines: { kind: 'list', choices: BASELINES, default: ['bm25', 'dense'], help: 'baselines compared with the generative retriever (comma-separated; "" for none)' },
  denseEpochs: { kind: 'int', default: defaultDenseOptions.epochs, min: 1, help: 'training epochs of the dense baseline' },
  seed: { kind: 'int', default: 0, help: 'seed of the dense baseline\'s initialisation and data order' },
  bm25Stopwords: { kind: 'boolean', help: 'BM25 leaves out English stopwords (as the demo\'s baseline does)' },
  lexicalPrior: {
    kind: 'number', min: 0, max: 1,
    help: `also score toolgen-lexical-<weight>: the generative retriever with BM25 mixed into its search at this weight (about 0.05 when the model learnt every tool from queries, 0.99 when most tools were never named by one)`,
  },
  priorSharpness: { kind: 'number', min: 0, default: DEFAULT_PRIOR_SHARPNESS, help: 'with --lexical-prior: how strongly the best-matching document stands out (e^sharpness)' },
  hallucinationQueries: { kind: 'int', default: 200, min: 0, help: 'test queries whose greedy answers are checked for non-existent tools' },
  json: { kind: 'string', help: 'write {retrievers: {name: {ndcg@1, ...}}, hallucination, ...} here' },
  report: { kind: 'string', help: 'write an HTML report (index.html, with SVG charts) into this folder' },
} as const;

const summary = 'Score a ToolGen model\'s generative retrieval against BM25 and a dense retriever';

/** The query ids of a queries file marked `"split": "train"` (ids as the queries loader gives them). */
function trainIds(path: string): Set<string> {
  const text = readFileSync(path, 'utf8');
  const records: unknown[] = text.trimStart().startsWith('[')
    ? (JSON.parse(text) as unknown[])
    : parseJsonLines(text).flatMap((line) => (line.error === undefined ? [line.value] : []));
  const ids = new Set<string>();
  records.forEach((record, i) => {
    const r = record as { id?: unknown; split?: unknown };
    if (r.split === 'train') ids.add(r.id === undefined ? String(i) : String(r.id));
  });
  return ids;
}

/** Splits the queries of --data by their `split` field: "train" entries train the dense baseline, the rest are tested. */
function splitByField(path: string, queries: readonly RetrievalQuery[]): { train: RetrievalQuery[]; test: RetrievalQuery[] } {
  const marked = trainIds(path);
  const train = queries.filter((q) => marked.has(q.id));
  const test = queries.filter((q) => !marked.has(q.id));
  if (test.length === 0) throw new CliError(`--data ${path}: every query is marked "split": "train"; nothing is left to test`);
  return { train, test };
}

export const command: CliCommand = {
  summary,
  async run(argv) {
    const f = commandFlags(argv, 'eval retrieval', summary + '.', flags);
    if (f === null) return 0;
    const baselines = f.baselines as Baseline[];

    const tools: Tool[] = readCatalogFlag(modelCatalogPath(f.model, f.catalog));
    const queries = readQueriesFlag('--data', f.data, tools);
    const { train, test } = f.train !== undefined
      ? { train: readQueriesFlag('--train', f.train, tools), test: queries }
      : splitByField(f.data, queries);
    if (baselines.includes('dense') && train.length === 0) {
      throw new CliError(`the dense baseline needs training queries: mark some in --data with "split": "train" or give --train (or drop it: --baselines bm25)`);
    }
    const setting = f.setting as RetrievalSetting;
    if (setting === 'in-domain' && !test.some((q) => q.domain !== undefined)) throw new CliError(`--setting in-domain: no test query of ${f.data} has a "domain"`);

    const loaded = await readToolGenModelFlag(f.model);
    const indexed = new Set(loaded.index.toolIds());
    const unknown = tools.filter((t) => !indexed.has(t.id));
    if (unknown.length > 0) throw new CliError(`--model ${f.model}: ${unknown.length} catalog tools are not in its tool index (first: '${unknown[0]!.id}')`);

    // One progress bar per retriever (rate and ETA), on stderr.
    let bar: { name: string; bar: ProgressBar; done: number } | undefined;
    const [comparison] = await compareRetrievers({ model: loaded.model, tokenizer: loaded.tokenizer, index: loaded.index }, tools, test, {
      settings: [setting],
      baselines,
      train,
      dense: { epochs: f.denseEpochs, seed: f.seed },
      bm25: { stopwords: f.bm25Stopwords },
      ...(f.lexicalPrior !== undefined ? { lexicalPriors: [{ weight: f.lexicalPrior, sharpness: f.priorSharpness }] } : {}),
      hallucinationQueries: f.hallucinationQueries,
      onProgress: (name, done, total) => {
        if (bar?.name !== name) bar = { name, bar: new ProgressBar({ total, label: name, unit: 'query' }), done: 0 };
        bar.bar.tick(done - bar.done);
        bar.done = done;
        if (done === total) bar.bar.finish();
      },
    });
    if (comparison === undefined) throw new Error('compareRetrievers returned no comparison for the setting');
    process.stdout.write(`${setting}: ${comparison.queries} test queries${comparison.skipped > 0 ? ` (${comparison.skipped} without a domain skipped)` : ''}\n`);
    process.stdout.write(comparisonTable(comparison) + '\n');
    const h = comparison.hallucination;
    process.stdout.write(`hallucinated tools (${h.queries} greedy answers): constrained ${h.constrained.toFixed(3)}, unconstrained ${h.unconstrained.toFixed(3)}\n`);
    if (f.json !== undefined) {
      writeJsonAtomic(resolve(f.json), comparison);
      process.stderr.write(`scores written to ${resolve(f.json)}\n`);
    }
    if (f.report !== undefined) {
      const dir = resolve(f.report);
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(join(dir, 'index.html'), comparisonHtml(`Retrieval: ${f.model}`, comparison));
      process.stderr.write(`report written to ${join(dir, 'index.html')}\n`);
    }
    return 0;
  },
};
