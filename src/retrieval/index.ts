/** Retrievers: BM25, the dense dual encoder and ToolGen's generative retriever, behind one `Retriever` interface. */
export type { Retriever } from './types.js';
export { ENGLISH_STOPWORDS, tokenize, type TokenizeOptions } from './tokenize.js';
export { Bm25Index, toolSearchText, type Bm25Options, type ScoredId, type SearchDocument } from './bm25.js';
export { DenseRetriever, defaultDenseOptions, textFeatures, type DenseRetrieverOptions } from './dense.js';
export {
  assistantTurnEnd,
  GenerativeRetriever,
  type FreeGeneration,
  type GenerativeModel,
  type GenerativeRetrieverOptions,
  type RankedTool,
} from './generative.js';
export { DEFAULT_PRIOR_SHARPNESS, LexicalPrior, type LexicalPriorOptions } from './lexical-prior.js';
