/**
 * Vocabulary expansion for tool tokens (ToolGen, ToolkenGPT): new tokens join the tokenizer, and the input
 * embedding and LM head gain one row each. A new input row starts as the mean of the embeddings of the sub-tokens
 * its description text splits into (ToolGen initialises a tool token from the tool's name), so the model begins
 * with a sensible meaning for it; rows of existing tokens are untouched, so their logits do not change.
 */
import type { Tokenizer } from '../tokenizer/types.js';
import type { DecoderConfig } from './config.js';
import type { RowRange } from '../nn/parameter.js';
import { DecoderModel } from './decoder.js';

export interface NewToken {
  /** The token's text in the vocabulary, e.g. `<<get_weather>>`. */
  readonly token: string;
  /** Text whose sub-token embeddings are averaged into the new row, e.g. `get weather`. */
  readonly initText: string;
}

export interface VocabularyExpansion {
  readonly model: DecoderModel;
  /** The ids of the new tokens, in the order given. */
  readonly tokenIds: number[];
  /** The rows of the embedding (and LM head) holding the new tokens. */
  readonly newRows: RowRange;
}

/**
 * Adds `tokens` to `tokenizer` (in place, as special tokens so each stays one unit) and returns a model whose
 * embedding and LM head cover them. The vocabulary grows only as far as needed: checkpoints that pad their
 * embedding past the tokenizer's size (Qwen) reuse padding rows for the first new ids.
 */
export function expandVocabulary(model: DecoderModel, tokenizer: Tokenizer, tokens: readonly NewToken[]): VocabularyExpansion {
  const { config } = model;
  // Sub-token ids are taken before the new tokens exist, so a name never encodes to its own new token.
  const sources = tokens.map(({ token, initText }) => {
    const ids = tokenizer.encode(initText);
    if (ids.length === 0) throw new RangeError(`new token "${token}": its init text ${JSON.stringify(initText)} encodes to no tokens`);
    return ids;
  });
  const tokenIds = tokenizer.addTokens(tokens.map((t) => t.token), { special: true });
  const vocabSize = Math.max(config.vocabSize, ...tokenIds.map((id) => id + 1));
  const grown: DecoderConfig = { ...config, vocabSize };

  const tensors = new Map(model.tensors().map((t) => [t.name, t.data] as const));
  const rowNames = config.tieWordEmbeddings ? ['model.embed_tokens.weight'] : ['model.embed_tokens.weight', 'lm_head.weight'];
  for (const name of rowNames) {
    const old = tensors.get(name)!;
    const table = new Float32Array(vocabSize * config.dim);
    table.set(old);
    tokenIds.forEach((id, i) => meanOfRows(table, sources[i]!, config.dim, id));
    tensors.set(name, table);
  }
  const start = Math.min(...tokenIds);
  const newRows = { start, end: Math.max(...tokenIds) + 1 };
  if (new Set(tokenIds).size !== tokens.length || newRows.end - start !== tokens.length) {
    throw new Error(`the tokenizer gave the new tokens ids ${tokenIds.join(', ')}; expected ${tokens.length} distinct consecutive ids`);
  }
  return { model: new DecoderModel(grown, tensors, model.backend), tokenIds, newRows };
}

/**
 * Makes the new tokens' rows of the embedding and LM head trainable and nothing else of them (the base rows stay
 * as they are). Combine with `applyLora` (which freezes the rest first) or call on a frozen model.
 */
export function trainNewTokenRows(model: DecoderModel, rows: RowRange): void {
  for (const weight of new Set([model.embedTokens, model.outputWeight])) {
    weight.frozen = false;
    weight.trainableRows = rows;
  }
}

/** table[target] = mean of table[rows], rows of width dim. */
function meanOfRows(table: Float32Array, rows: readonly number[], dim: number, target: number): void {
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j]! += table[r * dim + j]!;
  for (let j = 0; j < dim; j++) table[target * dim + j] = mean[j]! / rows.length;
}
