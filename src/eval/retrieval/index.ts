/** Retrieval evaluation: metrics and the harness that scores every retriever on every query. */
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
export {
  bm25Retriever,
  evaluateRetrieval,
  toolsByDomain,
  type EvaluateRetrievalOptions,
  type RetrievalReport,
  type RetrievalSetting,
  type Retriever,
} from './evaluate.js';
