/**
 * The retrieval evaluation harness: every retriever ranks the tools for every test query, and the metrics of
 * `metrics.ts` are averaged per retriever.
 *
 * Settings (as in ToolGen):
 * - `multi-domain`: the candidates are the whole catalog;
 * - `in-domain`: the candidates are the tools whose `category` equals the query's `domain`. Queries without a
 *   domain cannot be evaluated in this setting and are counted in `skipped`.
 */
import type { Tool } from '../../tools/types.js';
import type { RetrievalQuery } from '../../data/types.js';
import { Bm25Index } from '../../retrieval/bm25.js';
import type { Retriever } from '../../retrieval/types.js';

export type { Retriever };
import { averageMetrics, DEFAULT_CUTOFFS, queryMetrics, type Cutoffs, type MetricScores } from './metrics.js';

export type RetrievalSetting = 'in-domain' | 'multi-domain';

export interface EvaluateRetrievalOptions {
  setting: RetrievalSetting;
  cutoffs?: Cutoffs;
  /** Called after each query of each retriever. */
  onProgress?: (retriever: string, done: number, total: number) => void;
}

/** A test query a retriever got wrong: its first answer is not a relevant tool. */
export interface RetrievalMiss {
  readonly query: string;
  readonly domain?: string;
  readonly relevant: readonly string[];
  /** The retriever's first answers, best first. */
  readonly retrieved: readonly string[];
}

/** Misses kept per retriever and setting: enough to read the kinds of error, few enough for a report. */
export const MAX_MISSES = 25;

/** The `--json` output of `toolken eval retrieval`. */
export interface RetrievalReport {
  setting: RetrievalSetting;
  /** Queries scored. */
  queries: number;
  /** Queries left out (no domain in the in-domain setting). */
  skipped: number;
  retrievers: Record<string, MetricScores>;
  /** Per retriever, the metrics averaged over the queries of each domain (queries without one are left out). */
  byDomain: Record<string, Record<string, MetricScores>>;
  /** Per retriever, the first MAX_MISSES queries it got wrong. */
  misses: Record<string, RetrievalMiss[]>;
}

/** The candidate set for each domain: ids of the tools in that category. */
export function toolsByDomain(tools: readonly Tool[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const tool of tools) {
    if (tool.category === undefined) continue;
    let set = out.get(tool.category);
    if (!set) out.set(tool.category, (set = new Set()));
    set.add(tool.id);
  }
  return out;
}

export async function evaluateRetrieval(
  retrievers: Readonly<Record<string, Retriever>>,
  tools: readonly Tool[],
  queries: readonly RetrievalQuery[],
  options: EvaluateRetrievalOptions,
): Promise<RetrievalReport> {
  const cutoffs = options.cutoffs ?? DEFAULT_CUTOFFS;
  const depth = Math.max(...cutoffs.ndcg, ...cutoffs.recall, ...cutoffs.comp);
  const domains = toolsByDomain(tools);
  const scored: { query: RetrievalQuery; candidates?: ReadonlySet<string> }[] = [];
  for (const query of queries) {
    if (options.setting === 'multi-domain') scored.push({ query });
    else if (query.domain !== undefined) scored.push({ query, candidates: domains.get(query.domain) ?? new Set() });
  }
  const report: RetrievalReport = {
    setting: options.setting, queries: scored.length, skipped: queries.length - scored.length, retrievers: {}, byDomain: {}, misses: {},
  };
  for (const [name, retriever] of Object.entries(retrievers)) {
    const perQuery: MetricScores[] = [];
    const perDomain = new Map<string, MetricScores[]>();
    const misses: RetrievalMiss[] = [];
    for (const { query, candidates } of scored) {
      const ranked = await retriever.retrieve(query, depth, candidates);
      const relevant = new Set(query.relevant);
      const scores = queryMetrics(ranked, relevant, cutoffs);
      perQuery.push(scores);
      if (query.domain !== undefined) perDomain.set(query.domain, [...(perDomain.get(query.domain) ?? []), scores]);
      if (!relevant.has(ranked[0] ?? '') && misses.length < MAX_MISSES) {
        misses.push({ query: query.query, ...(query.domain !== undefined ? { domain: query.domain } : {}), relevant: query.relevant, retrieved: ranked.slice(0, 3) });
      }
      options.onProgress?.(name, perQuery.length, scored.length);
    }
    report.retrievers[name] = averageMetrics(perQuery);
    report.byDomain[name] = Object.fromEntries([...perDomain].sort(([a], [b]) => a.localeCompare(b)).map(([domain, s]) => [domain, averageMetrics(s)]));
    report.misses[name] = misses;
  }
  return report;
}

/** BM25 as a `Retriever`. */
export function bm25Retriever(index: Bm25Index): Retriever {
  return { retrieve: (query, k, candidates) => index.rank(query.query, k, candidates ? { candidates } : {}).map((hit) => hit.id) };
}
