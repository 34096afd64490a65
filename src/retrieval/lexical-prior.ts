/**
 * A lexical prior for the generative retriever: BM25 over the tool documents, turned into a distribution over the
 * trie's tools and mixed into the constrained beam search. It is what lets the generative model reach a tool that
 * no training query named: where the model spreads its probability thinly (it never learnt the tool from a query),
 * the documents' words decide; where it is confident, the model does.
 *
 *   q(t) = exp(sharpness * s(t) / max_u s(u)) / Z        s = BM25 score of the query against t's document
 *   rank(t) = log((1 - weight) * p_model(t) + weight * q(t))
 *
 * Scores are divided by the query's best score so that one sharpness fits queries of any length. A query that shares
 * no word with any document gives a uniform q, which leaves the model's order unchanged.
 */
import type { ToolTrie } from '../generate/constraints/tool-trie.js';
import { TriePrior } from '../generate/constraints/trie-prior.js';
import type { Tool } from '../tools/types.js';
import { Bm25Index, type Bm25Options } from './bm25.js';

export interface LexicalPriorOptions {
  /**
   * The share of the ranking the documents decide, in [0, 1]. Measured (docs/retrieval-results.md): about 0.05 for a
   * model trained on queries of every tool (a tie-breaker), 0.99 for a catalog whose tools mostly no query named
   * (BM25's order, the model breaking its ties).
   */
  readonly weight: number;
  /** How much more the best-matching document weighs than one sharing no word: e^sharpness (default 5). */
  readonly sharpness?: number;
}

/** The sharpness the benchmarks measured best on MetaTool and Seal-Tools among 2, 5, 10 and 20. */
export const DEFAULT_PRIOR_SHARPNESS = 5;

export class LexicalPrior {
  readonly weight: number;
  readonly sharpness: number;

  constructor(
    private readonly bm25: Bm25Index,
    options: LexicalPriorOptions,
  ) {
    const { weight, sharpness = DEFAULT_PRIOR_SHARPNESS } = options;
    if (!(weight >= 0 && weight <= 1)) throw new RangeError(`lexical prior: weight must be in [0, 1], got ${weight}`);
    if (!(sharpness >= 0 && Number.isFinite(sharpness))) throw new RangeError(`lexical prior: sharpness must be a finite number >= 0, got ${sharpness}`);
    this.weight = weight;
    this.sharpness = sharpness;
  }

  /** A prior over these tools' documents (`toolSearchText`, as the BM25 baseline indexes them). */
  static fromTools(tools: readonly Tool[], options: LexicalPriorOptions, bm25: Bm25Options = {}): LexicalPrior {
    return new LexicalPrior(Bm25Index.fromTools(tools, bm25), options);
  }

  /** The prior over `trie`'s tools for one query (tools without a document weigh as one sharing no word). */
  forQuery(query: string, trie: ToolTrie): TriePrior {
    const scores = this.bm25.scores(query);
    const byTool = new Map<string, number>();
    let best = 0;
    for (let doc = 0; doc < scores.length; doc++) {
      const score = scores[doc]!;
      if (score <= 0) continue;
      byTool.set(this.bm25.documentId(doc), score);
      if (score > best) best = score;
    }
    const scale = best > 0 ? this.sharpness / best : 0;
    return new TriePrior(trie, (toolId) => (byTool.get(toolId) ?? 0) * scale, this.weight);
  }
}
