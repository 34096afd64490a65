export type { TokenVocabulary, TokenByteTable } from './vocabulary.js';
export { tfidfEmbedder, type Embedder } from './embedder.js';
export { kmeans, type KMeansOptions } from './kmeans.js';
export {
  INDEX_SCHEMES,
  atomicToken,
  hierarchicalPaths,
  indexTexts,
  semanticNames,
  spacedDigits,
  toolDocument,
  type HierarchicalOptions,
  type IndexScheme,
} from './schemes.js';
export {
  ToolIndex,
  TOOL_INDEX_FORMAT,
  TOOL_INDEX_VERSION,
  type NewToolToken,
  type TokenSequence,
  type ToolIndexFile,
} from './tool-index.js';
