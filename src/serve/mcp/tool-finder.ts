/**
 * The gateway's search over a catalog: ToolGen's trie-constrained generative retrieval for the tools the model
 * knows as tokens, and BM25 for the catalog's tools it has never seen (imported from upstream servers, or added
 * since training). The two lists are merged by rank, the model's tool first on equal ranks (what reciprocal-rank
 * fusion of two lists comes to): their scores, a log-probability and a BM25 sum, are not on one scale, but their
 * ranks are. BM25 only lists tools that share a word with the task, so unrelated unseen tools never crowd in.
 * Tools the index knows but no training query named (`toolken tools add` gave them rows from their documents) are
 * the model's, where it is weak: `lexicalPrior` mixes BM25 over their documents into its search (lexical-prior.ts).
 */
import { Bm25Index } from '../../retrieval/bm25.js';
import { GenerativeRetriever, type GenerativeModel } from '../../retrieval/generative.js';
import { LexicalPrior } from '../../retrieval/lexical-prior.js';
import type { Tool } from '../../tools/types.js';

export interface FoundTool {
  readonly tool: Tool;
  /** Which search found it. */
  readonly source: 'toolgen' | 'bm25';
  /** The search's own score: a log-probability (toolgen) or a BM25 score. */
  readonly score: number;
  /** The constrained search's probability of the tool (toolgen only). */
  readonly probability?: number;
}

export class ToolFinder {
  private readonly retriever: GenerativeRetriever;
  /** Catalog tools the model's index knows. */
  private readonly known: ReadonlySet<string>;
  private readonly unseen: Bm25Index | undefined;
  private readonly byId: ReadonlyMap<string, Tool>;

  constructor(model: GenerativeModel, tools: readonly Tool[], options: { readonly lexicalPrior?: number } = {}) {
    this.byId = new Map(tools.map((t) => [t.id, t]));
    const indexed = new Set(model.index.toolIds());
    const known = tools.filter((t) => indexed.has(t.id));
    this.known = new Set(known.map((t) => t.id));
    const unseen = tools.filter((t) => !indexed.has(t.id));
    this.unseen = unseen.length > 0 ? Bm25Index.fromTools(unseen) : undefined;
    this.retriever = new GenerativeRetriever(
      model,
      options.lexicalPrior === undefined ? {} : { lexicalPrior: LexicalPrior.fromTools(known, { weight: options.lexicalPrior }) },
    );
  }

  /** How many tools each search covers. */
  get coverage(): { toolgen: number; bm25: number } {
    return { toolgen: this.known.size, bm25: this.byId.size - this.known.size };
  }

  /**
   * The k best tools for `task`, best first. The model's search gives the event loop a turn between its steps and
   * stops when `signal` aborts (the client cancelled).
   */
  async find(task: string, k: number, signal?: AbortSignal): Promise<FoundTool[]> {
    const generated: FoundTool[] =
      this.known.size === 0
        ? []
        : (await this.retriever.rankAsync(task, k, { candidates: this.known, ...(signal === undefined ? {} : { signal }) })).map((r) => ({ tool: this.byId.get(r.toolId)!, source: 'toolgen', score: r.score, probability: Math.exp(r.score) }));
    const matched: FoundTool[] = this.unseen === undefined ? [] : this.unseen.rank(task, k).map((r) => ({ tool: this.byId.get(r.id)!, source: 'bm25', score: r.score }));
    const fused = [...generated.map((f, rank) => ({ f, rank })), ...matched.map((f, rank) => ({ f, rank }))];
    fused.sort((a, b) => a.rank - b.rank); // stable: on equal ranks the model's tool stays first
    return fused.slice(0, k).map(({ f }) => f);
  }
}
