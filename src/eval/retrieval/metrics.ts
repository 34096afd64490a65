/**
 * Retrieval metrics over one ranked list of tool ids and the set of relevant ids (binary relevance).
 *
 * Every function first drops repeated ids from the ranking (a generative retriever can emit the same tool twice;
 * only its first, best rank counts). `k` counts positions in the ranking, starting at 1.
 *
 * Two NDCGs:
 * - `ndcgAtK`, the standard one: DCG@k divided by the ideal DCG@k of *all* relevant items, so a relevant tool the
 *   retriever never returned lowers the score.
 * - `ndcgRetrievedAtK`, the variant ToolGen reports (its evaluation marks as relevant only the relevant tools that
 *   appear somewhere in the retrieved list, then calls sklearn's ndcg_score): the ideal DCG is built from the
 *   relevant tools that were retrieved, anywhere in the list passed in. Missing a relevant tool does not lower it,
 *   so it is never below `ndcgAtK`; it depends on how many ids were retrieved (ToolGen retrieves 5).
 */

const gainAt = (position: number): number => 1 / Math.log2(position + 2);

function dedupe(ranked: readonly string[]): string[] {
  return [...new Set(ranked)];
}

/** Sum of 1/log2(i+1) over the first `count` positions i = 1..count: the DCG of a perfect ranking. */
function idealDcg(count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += gainAt(i);
  return sum;
}

function dcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let sum = 0;
  const top = Math.min(k, ranked.length);
  for (let i = 0; i < top; i++) if (relevant.has(ranked[i]!)) sum += gainAt(i);
  return sum;
}

/** Standard NDCG@k; 0 when there is nothing relevant. */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const ideal = idealDcg(Math.min(k, relevant.size));
  return ideal === 0 ? 0 : dcgAtK(dedupe(ranked), relevant, k) / ideal;
}

/** ToolGen's NDCG@k: the ideal ranking holds only the relevant tools found anywhere in `ranked`. */
export function ndcgRetrievedAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const list = dedupe(ranked);
  const found = list.filter((id) => relevant.has(id)).length;
  const ideal = idealDcg(Math.min(k, found));
  return ideal === 0 ? 0 : dcgAtK(list, relevant, k) / ideal;
}

/** Fraction of the relevant tools found in the top k; 0 when there is nothing relevant. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  const hits = dedupe(ranked)
    .slice(0, k)
    .filter((id) => relevant.has(id)).length;
  return hits / relevant.size;
}

/** 1 when every relevant tool is in the top k (the tool set is complete), else 0. */
export function completenessAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  const top = new Set(dedupe(ranked).slice(0, k));
  for (const id of relevant) if (!top.has(id)) return 0;
  return 1;
}

/** Reciprocal rank of the first relevant tool in the whole list, 0 if none. */
export function reciprocalRank(ranked: readonly string[], relevant: ReadonlySet<string>): number {
  const list = dedupe(ranked);
  const index = list.findIndex((id) => relevant.has(id));
  return index === -1 ? 0 : 1 / (index + 1);
}

/** Metric name (`ndcg@5`, `ndcg-retrieved@5`, `recall@5`, `comp@5`, `mrr`) to value, as in `toolken eval retrieval --json`. */
export type MetricScores = Record<string, number>;

export const DEFAULT_CUTOFFS = { ndcg: [1, 3, 5], recall: [5], comp: [5] } as const;

export interface Cutoffs {
  ndcg: readonly number[];
  recall: readonly number[];
  comp: readonly number[];
}

/** All metrics for one query. */
export function queryMetrics(ranked: readonly string[], relevant: ReadonlySet<string>, cutoffs: Cutoffs = DEFAULT_CUTOFFS): MetricScores {
  const out: MetricScores = {};
  for (const k of cutoffs.ndcg) out[`ndcg@${k}`] = ndcgAtK(ranked, relevant, k);
  for (const k of cutoffs.ndcg) out[`ndcg-retrieved@${k}`] = ndcgRetrievedAtK(ranked, relevant, k);
  for (const k of cutoffs.recall) out[`recall@${k}`] = recallAtK(ranked, relevant, k);
  out.mrr = reciprocalRank(ranked, relevant);
  for (const k of cutoffs.comp) out[`comp@${k}`] = completenessAtK(ranked, relevant, k);
  return out;
}

/** Mean of each metric over queries (an empty list gives an empty object). */
export function averageMetrics(perQuery: readonly MetricScores[]): MetricScores {
  const sums: MetricScores = {};
  for (const scores of perQuery) for (const [name, value] of Object.entries(scores)) sums[name] = (sums[name] ?? 0) + value;
  for (const name of Object.keys(sums)) sums[name] = sums[name]! / perQuery.length;
  return sums;
}
