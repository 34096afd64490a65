/**
 * Okapi BM25 over tool documents, with an inverted index so that a query touches only the postings of its terms.
 *
 *   score(D, Q) = sum over query tokens t of  idf(t) * tf(t,D) * (k1 + 1) / (tf(t,D) + k1 * (1 - b + b * |D| / avgdl))
 *   idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * The idf is the "+1 inside the log" variant (Lucene's): it stays positive even for a term in more than half of
 * the documents, where the original Robertson–Sparck Jones idf goes negative and would push such documents
 * down. A token repeated in the query counts once per repetition. |D| and avgdl are in tokens.
 */
import type { Tool } from '../tools/types.js';
import { tokenize, type TokenizeOptions } from './tokenize.js';

export interface Bm25Options extends TokenizeOptions {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation, 0 = none, 1 = full (default 0.75). */
  b?: number;
}

export interface SearchDocument {
  id: string;
  text: string;
}

export interface ScoredId {
  id: string;
  score: number;
}

interface Postings {
  docs: Int32Array;
  freqs: Int32Array;
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  private readonly tokenizeOptions: TokenizeOptions;
  private readonly ids: string[];
  private readonly lengths: Float64Array;
  private readonly averageLength: number;
  private readonly postings = new Map<string, Postings>();

  constructor(documents: readonly SearchDocument[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(this.k1 >= 0)) throw new RangeError(`bm25: k1 must be >= 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new RangeError(`bm25: b must be in [0, 1], got ${this.b}`);
    this.tokenizeOptions = { stopwords: options.stopwords ?? false };
    this.ids = documents.map((d) => d.id);
    if (new Set(this.ids).size !== this.ids.length) throw new Error('bm25: document ids must be unique');
    this.lengths = new Float64Array(documents.length);

    const building = new Map<string, { docs: number[]; freqs: number[] }>();
    let totalLength = 0;
    documents.forEach((doc, index) => {
      const tokens = tokenize(doc.text, this.tokenizeOptions);
      this.lengths[index] = tokens.length;
      totalLength += tokens.length;
      const counts = new Map<string, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [term, count] of counts) {
        let list = building.get(term);
        if (!list) building.set(term, (list = { docs: [], freqs: [] }));
        list.docs.push(index);
        list.freqs.push(count);
      }
    });
    this.averageLength = documents.length === 0 ? 0 : totalLength / documents.length;
    for (const [term, list] of building) this.postings.set(term, { docs: Int32Array.from(list.docs), freqs: Int32Array.from(list.freqs) });
  }

  /** An index over tools, each represented by `toolSearchText`. */
  static fromTools(tools: readonly Tool[], options: Bm25Options = {}): Bm25Index {
    return new Bm25Index(
      tools.map((t) => ({ id: t.id, text: toolSearchText(t) })),
      options,
    );
  }

  get size(): number {
    return this.ids.length;
  }

  /** The id of the document at `index`, the order of `scores`. */
  documentId(index: number): string {
    const id = this.ids[index];
    if (id === undefined) throw new RangeError(`bm25: no document at index ${index} (${this.ids.length} documents)`);
    return id;
  }

  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    const n = this.ids.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** BM25 score of every document (0 for those sharing no term with the query). */
  scores(query: string): Float64Array {
    const scores = new Float64Array(this.ids.length);
    for (const term of tokenize(query, this.tokenizeOptions)) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = this.idf(term);
      for (let i = 0; i < list.docs.length; i++) {
        const doc = list.docs[i]!;
        const tf = list.freqs[i]!;
        const norm = this.k1 * (1 - this.b + (this.b * this.lengths[doc]!) / this.averageLength);
        scores[doc]! += (idf * tf * (this.k1 + 1)) / (tf + norm);
      }
    }
    return scores;
  }

  /**
   * The k best documents with a positive score, best first; ties keep index order. With `candidates`, only those
   * ids compete (in-domain retrieval).
   */
  rank(query: string, k: number, options: { candidates?: ReadonlySet<string> } = {}): ScoredId[] {
    const scores = this.scores(query);
    const hits: number[] = [];
    for (let doc = 0; doc < scores.length; doc++) {
      if (scores[doc]! > 0 && (options.candidates === undefined || options.candidates.has(this.ids[doc]!))) hits.push(doc);
    }
    hits.sort((x, y) => scores[y]! - scores[x]! || x - y);
    return hits.slice(0, k).map((doc) => ({ id: this.ids[doc]!, score: scores[doc]! }));
  }
}

/**
 * The text BM25 indexes for a tool: its names, descriptions and parameter names/descriptions, without the field
 * labels of `toolDocument` (`Tool name:`, `Parameters:` ...), which add the same words to every document and
 * lower BM25 a little on every benchmark we measured (NDCG@1, seed 0: demo 0.651 vs 0.638, Seal-Tools 0.927 vs
 * 0.919, MetaTool 0.278 vs 0.274).
 */
export function toolSearchText(tool: Tool): string {
  const parts = [tool.name, tool.description];
  if (tool.group) parts.push(tool.group.name, tool.group.description ?? '');
  for (const [name, schema] of Object.entries(tool.parameters.properties)) parts.push(name, schema.description ?? '');
  return parts.filter((p) => p.length > 0).join('\n');
}
