/**
 * The generative retriever against the classic baselines on the same test queries: BM25 over the tool documents,
 * and the dense dual encoder trained on the training queries. Adds ToolGen's other claim, that the constrained
 * decoder never names a tool that does not exist, as hallucination rates with and without the constraint.
 */
import type { RetrievalQuery } from '../../data/types.js';
import { groupedBarSvg } from '../../report/charts.js';
import { formatTable, renderHtmlReport, type ReportBlock } from '../../report/html.js';
import type { Tool } from '../../tools/types.js';
import { Bm25Index, type Bm25Options } from '../../retrieval/bm25.js';
import { defaultDenseOptions, DenseRetriever, type DenseRetrieverOptions } from '../../retrieval/dense.js';
import { bm25Retriever, evaluateRetrieval, type RetrievalReport, type RetrievalSetting, type Retriever } from './evaluate.js';
import { GenerativeRetriever, type GenerativeModel, type GenerativeRetrieverOptions } from '../../retrieval/generative.js';
import { LexicalPrior, type LexicalPriorOptions } from '../../retrieval/lexical-prior.js';

export type Baseline = 'bm25' | 'dense';
export const BASELINES: readonly Baseline[] = ['bm25', 'dense'];

/** The name the generative retriever has in reports. */
export const GENERATIVE = 'toolgen';
/** The name of the generative retriever with BM25's lexical prior of this weight mixed into its search. */
export const lexicalRetrieverName = (weight: number): string => `toolgen-lexical-${weight}`;

export interface ComparisonOptions {
  /** Each setting is scored on the same retrievers (the dense baseline trains once). */
  readonly settings: readonly RetrievalSetting[];
  readonly baselines: readonly Baseline[];
  /** Training queries of the dense baseline (required when it is compared). */
  readonly train?: readonly RetrievalQuery[];
  readonly dense?: Partial<DenseRetrieverOptions>;
  readonly bm25?: Bm25Options;
  readonly generative?: Omit<GenerativeRetrieverOptions, 'lexicalPrior'>;
  /** Also score the generative retriever with each of these lexical priors (BM25 over the same documents), as `toolgen-lexical-<weight>`. */
  readonly lexicalPriors?: readonly LexicalPriorOptions[];
  /** Test queries whose free and constrained answers are checked for hallucinated tools (default 200). */
  readonly hallucinationQueries?: number;
  readonly onProgress?: (retriever: string, done: number, total: number) => void;
}

export interface HallucinationRates {
  /** Queries checked. */
  readonly queries: number;
  /** Share of greedy answers naming no existing tool, with the trie constraint (0 by construction). */
  readonly constrained: number;
  /** The same without the constraint. */
  readonly unconstrained: number;
}

/** The `--json` file of `toolken eval retrieval`. */
export interface RetrievalComparison extends RetrievalReport {
  readonly hallucination: HallucinationRates;
  /** Seconds each retriever took: training (dense) and ranking every test query. */
  readonly seconds: Record<string, number>;
}

/** One comparison per setting, in the order of `options.settings`. */
export async function compareRetrievers(
  tg: GenerativeModel,
  tools: readonly Tool[],
  test: readonly RetrievalQuery[],
  options: ComparisonOptions,
): Promise<RetrievalComparison[]> {
  const generative = new GenerativeRetriever(tg, options.generative);
  const retrievers: Record<string, Retriever> = { [GENERATIVE]: generative };
  // One index of the documents serves the lexical priors and the BM25 baseline (its build is BM25's training time).
  const indexStarted = performance.now();
  const bm25 = Bm25Index.fromTools(tools, options.bm25);
  const indexSeconds = (performance.now() - indexStarted) / 1000;
  for (const prior of options.lexicalPriors ?? []) {
    retrievers[lexicalRetrieverName(prior.weight)] = new GenerativeRetriever(tg, { ...options.generative, lexicalPrior: new LexicalPrior(bm25, prior) });
  }
  const trainingSeconds: Record<string, number> = {};
  for (const baseline of options.baselines) {
    const started = performance.now();
    if (baseline === 'bm25') retrievers.bm25 = bm25Retriever(bm25);
    else {
      const train = options.train ?? [];
      if (train.length === 0) throw new Error('the dense baseline needs training queries');
      const dense = new DenseRetriever({ ...defaultDenseOptions, ...options.dense });
      dense.fit(tools, train);
      retrievers.dense = dense;
    }
    trainingSeconds[`${baseline} training`] = (performance.now() - started) / 1000 + (baseline === 'bm25' ? indexSeconds : 0);
  }
  const sample = test.slice(0, options.hallucinationQueries ?? 200);
  const hallucination: HallucinationRates = {
    queries: sample.length,
    constrained: generative.hallucinationRate(sample, true),
    unconstrained: generative.hallucinationRate(sample, false),
  };
  const out: RetrievalComparison[] = [];
  for (const setting of options.settings) {
    const report: RetrievalReport = { setting, queries: 0, skipped: 0, retrievers: {}, byDomain: {}, misses: {} };
    const seconds = { ...trainingSeconds };
    for (const [name, retriever] of Object.entries(retrievers)) {
      const started = performance.now();
      const one = await evaluateRetrieval({ [name]: retriever }, tools, test, {
        setting,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      seconds[name] = (performance.now() - started) / 1000;
      report.queries = one.queries;
      report.skipped = one.skipped;
      report.retrievers[name] = one.retrievers[name]!;
      report.byDomain[name] = one.byDomain[name]!;
      report.misses[name] = one.misses[name]!;
    }
    out.push({ ...report, hallucination, seconds });
  }
  return out;
}

/** The metrics shown in tables and charts, in order. */
export const HEADLINE_METRICS = ['ndcg@1', 'ndcg@3', 'ndcg@5', 'recall@5', 'mrr'] as const;

export function comparisonTable(c: RetrievalReport): string {
  return formatTable(
    ['retriever', ...HEADLINE_METRICS],
    Object.entries(c.retrievers).map(([name, m]) => [name, ...HEADLINE_METRICS.map((k) => m[k] ?? NaN)]),
  );
}

/** A self-contained HTML page: the table, a grouped bar chart of the metrics, and the hallucination rates. */
export function comparisonHtml(title: string, c: RetrievalComparison): string {
  const names = Object.keys(c.retrievers);
  const blocks: ReportBlock[] = [
    { kind: 'text', text: `Setting: ${c.setting}; ${c.queries} test queries${c.skipped > 0 ? ` (${c.skipped} without a domain left out)` : ''}.` },
    { kind: 'table', columns: ['retriever', ...HEADLINE_METRICS], rows: names.map((n) => [n, ...HEADLINE_METRICS.map((k) => c.retrievers[n]![k] ?? NaN)]) },
    {
      kind: 'svg',
      svg: groupedBarSvg({
        title: 'Retrieval quality',
        categories: [...HEADLINE_METRICS],
        series: names.map((n) => ({ name: n, values: HEADLINE_METRICS.map((k) => c.retrievers[n]![k] ?? 0) })),
        yMax: 1,
      }),
    },
    { kind: 'heading', text: 'Hallucinated tools' },
    {
      kind: 'table',
      columns: ['decoding', 'share of answers naming no existing tool'],
      rows: [
        ['constrained (tool trie)', c.hallucination.constrained],
        ['unconstrained (free greedy)', c.hallucination.unconstrained],
      ],
    },
    { kind: 'text', text: `Checked on the first ${c.hallucination.queries} test queries.` },
    { kind: 'table', columns: ['step', 'seconds'], rows: Object.entries(c.seconds).map(([k, v]) => [k, v]) },
  ];
  return renderHtmlReport(title, blocks);
}
