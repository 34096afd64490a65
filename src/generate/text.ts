/**
 * Text in, text out: encodes a prompt with the model's tokenizer, generates until an end-of-sequence token, a stop
 * string or the token limit, and returns the decoded continuation.
 */
import type { Tokenizer } from '../tokenizer/types.js';
import { generate, type GenerateOptions, type GenerationResult, type SessionFactory } from './generate.js';

export interface TextModel {
  readonly model: SessionFactory;
  readonly tokenizer: Tokenizer;
  /** End-of-sequence ids from the model's configuration (generation_config.json included). */
  readonly config: { readonly eosTokenIds: readonly number[] };
}

export type TextGenerationOptions = Omit<GenerateOptions, 'decoder'>;

/** The ids generation stops on: the config's eos ids and the tokenizer's own eos. */
export function endOfSequenceIds(loaded: TextModel): number[] {
  const ids = new Set(loaded.config.eosTokenIds);
  if (loaded.tokenizer.eosId !== undefined) ids.add(loaded.tokenizer.eosId);
  return [...ids];
}

/**
 * Generates a continuation of `prompt` (text, encoded with BOS when the tokenizer has one; or ready token ids,
 * e.g. a rendered chat).
 */
export function generateText(loaded: TextModel, prompt: string | readonly number[], options: TextGenerationOptions = {}): GenerationResult {
  const { tokenizer } = loaded;
  const ids = typeof prompt === 'string' ? tokenizer.encode(prompt, { addBos: tokenizer.bosId !== undefined }) : prompt;
  const stopTokens = [...endOfSequenceIds(loaded), ...(options.stopTokens ?? [])];
  return generate(loaded.model, [ids], { ...options, stopTokens, decoder: tokenizer })[0]!;
}
