export { applyMask, keepOnly, logSumExp, type LogitsProcessor } from './logits-processor.js';
export { ToolTrie, type ToolTrieNode } from './tool-trie.js';
export type { DecoderSession, DecoderStep } from './decoder-session.js';
export { searchTools, searchToolsAsync, type ToolCandidate, type ToolPrior, type ToolSearchOptions } from './beam-search.js';
export { priorProcessor, TriePrior } from './trie-prior.js';
export {
  compileSchema,
  numberCompletionBytes,
  UnsupportedSchemaError,
  type JsonLimits,
  type NumberProgress,
  type SchemaNode,
} from './json-schema-nodes.js';
export { JsonAutomaton, type JsonState } from './json-automaton.js';
export { VocabularyTrie } from './vocabulary-trie.js';
export { StringTokenClasses } from './string-tokens.js';
export { JsonTokenMasker } from './json-token-mask.js';
export { decodeJson, jsonLogitsProcessor, type JsonDecodeResult } from './json-decode.js';
export { readByteLevelVocabulary } from './byte-level-vocabulary.js';
export { copyBudget, copyCandidates, withCopiedValues, type CopyCandidates, type CopyOptions } from './copy-values.js';
