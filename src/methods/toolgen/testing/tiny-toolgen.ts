/**
 * For tests: an untrained ToolGen model small enough to build in milliseconds — a BPE tokenizer learned from the
 * tools' documents (and any further text), a one-layer decoder of width 32 and the tools as tokens. Trie-constrained
 * search still names only indexed tools from random weights, which is what most tests of the plumbing rely on.
 */
import type { IndexScheme } from '../../../indexing/schemes.js';
import { toolDocument } from '../../../tools/catalog.js';
import type { Tool } from '../../../tools/types.js';
import { scratchModel, trainScratchTokenizer } from '../../../train/scratch.js';
import { attachToolIndex, type ToolGenModel } from '../model.js';

export interface TinyToolGenOptions {
  /** Text the tokenizer learns besides the documents of `tools` (e.g. the test's queries). */
  readonly texts?: readonly string[];
  /** Tools whose documents the tokenizer learns (default: the indexed tools). */
  readonly documented?: readonly Tool[];
  readonly vocabSize?: number;
  readonly maxPositions?: number;
  readonly seed?: number;
  readonly scheme?: IndexScheme;
}

export async function tinyToolGen(tools: readonly Tool[], o: TinyToolGenOptions = {}): Promise<ToolGenModel> {
  const vocabSize = o.vocabSize ?? 400;
  const tokenizer = trainScratchTokenizer([...(o.documented ?? tools).map(toolDocument), ...(o.texts ?? [])], vocabSize);
  const model = scratchModel(tokenizer, { vocabSize, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions: o.maxPositions ?? 512, seed: o.seed ?? 1 });
  return attachToolIndex(model, tokenizer, tools, o.scheme ?? 'atomic');
}
