/**
 * A ToolGen base model for a catalog that has no pretrained model to start from: a byte-level BPE tokenizer learned
 * from the catalog's own text and a small random decoder (`src/train/scratch.ts`). `toolken init` and the demo both
 * start here, so a user's catalog gets exactly the recipe the demo measures.
 */
import type { RetrievalQuery } from '../../data/types.js';
import { toolDocument } from '../../indexing/schemes.js';
import type { DecoderModel } from '../../models/decoder.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { Tool } from '../../tools/types.js';
import { scratchModel, trainScratchTokenizer, type ScratchModelOptions } from '../../train/scratch.js';
import { DEFAULT_AGENT_SYSTEM_PROMPT } from './examples.js';

/** The demo's model: 2 layers of 128, which trains its 129-tool catalog in minutes on 2 cores. */
export const SCRATCH_BASE_SIZE: ScratchModelOptions = {
  vocabSize: 2048, dim: 128, layers: 2, heads: 4, kvHeads: 2, hiddenDim: 256, maxPositions: 1024, seed: 0, projectionStd: 1 / Math.sqrt(128),
};

/**
 * What the tokenizer learns from: every tool's document, the training queries and their gold arguments (so values
 * the agent copies are few tokens), the agent's system prompt, and any further text (e.g. multi-step tasks).
 */
export function scratchTokenizerTexts(tools: readonly Tool[], queries: readonly RetrievalQuery[], extra: readonly string[] = []): string[] {
  return [
    ...tools.map(toolDocument),
    ...queries.map((q) => q.query),
    ...queries.flatMap((q) => (q.calls ?? []).map((c) => JSON.stringify(c.arguments))),
    DEFAULT_AGENT_SYSTEM_PROMPT,
    ...extra,
  ];
}

/** A tokenizer trained on `texts` and a random-weight decoder of `size` over its vocabulary. */
export function scratchBase(texts: readonly string[], size: ScratchModelOptions): { model: DecoderModel; tokenizer: Tokenizer } {
  const tokenizer = trainScratchTokenizer(texts, size.vocabSize);
  return { model: scratchModel(tokenizer, size), tokenizer };
}
