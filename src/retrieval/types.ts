/** What every retriever offers: a ranked list of tool ids for a query. */
import type { RetrievalQuery } from '../data/types.js';

export interface Retriever {
  /** The best k tool ids for the query, best first, drawn from `candidates` when given. */
  retrieve(query: RetrievalQuery, k: number, candidates?: ReadonlySet<string>): Promise<string[]> | string[];
}
