/** Public API of toolken's retrieval evaluation: metrics, BM25 and the evaluation harness. */
export {
  averageMetrics,
  completenessAtK,
  DEFAULT_CUTOFFS,
  ndcgAtK,
  ndcgRetrievedAtK,
  queryMetrics,
  recallAtK,
  reciprocalRank,
  type Cutoffs,
  type MetricScores,
} from './metrics.js';
export { ENGLISH_STOPWORDS, tokenize, type TokenizeOptions } from './tokenize.js';
export { Bm25Index, toolSearchText, type Bm25Options, type ScoredId, type SearchDocument } from './bm25.js';
export {
  bm25Retriever,
  evaluateRetrieval,
  toolsByDomain,
  type EvaluateRetrievalOptions,
  type RetrievalReport,
  type RetrievalSetting,
  type Retriever,
} from './evaluate.js';
