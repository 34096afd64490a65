/**
 * Text in, text out: encodes a prompt with the model's tokenizer, generates until an end-of-sequence token, a stop
 * string or the token limit, and returns the decoded continuation.
 */
import type { Tokenizer } from '../tokenizer/types.js';
import { generate, generateAsync, type AsyncGenerateOptions, type GenerateOptions, type GenerationResult, type SessionFactory } from './generate.js';

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
  const { ids, stopTokens } = promptAndStops(loaded, prompt, options);
  return generate(loaded.model, [ids], { ...options, stopTokens, decoder: loaded.tokenizer })[0]!;
}

function promptAndStops(loaded: TextModel, prompt: string | readonly number[], options: TextGenerationOptions): { ids: readonly number[]; stopTokens: number[] } {
  const { tokenizer } = loaded;
  const ids = typeof prompt === 'string' ? tokenizer.encode(prompt, { addBos: tokenizer.bosId !== undefined }) : prompt;
  return { ids, stopTokens: [...endOfSequenceIds(loaded), ...(options.stopTokens ?? [])] };
}

export type StreamTextOptions = Omit<AsyncGenerateOptions, 'decoder' | 'onText'>;

/**
 * The continuation of `prompt` as it is generated, in text chunks (whole characters; a stop string is never
 * shown). Between tokens the event loop runs; `signal.abort()` or leaving the loop early (`break`) stops the
 * generation at the next token.
 *
 *     for await (const chunk of streamText(loaded, 'Once upon a time', { maxTokens: 64 })) process.stdout.write(chunk);
 */
export async function* streamText(loaded: TextModel, prompt: string | readonly number[], options: StreamTextOptions = {}): AsyncGenerator<string, GenerationResult> {
  const { ids, stopTokens } = promptAndStops(loaded, prompt, options);
  const pending: string[] = [];
  let wake: (() => void) | null = null;
  let finished: { result?: GenerationResult; error?: unknown } | null = null;
  const local = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  generateAsync(loaded.model, [ids], {
    ...options, stopTokens, decoder: loaded.tokenizer, signal,
    onText: (text) => {
      pending.push(text);
      notify();
    },
  }).then(
    ([result]) => {
      finished = { result: result! };
      notify();
    },
    (error: unknown) => {
      finished = { error };
      notify();
    },
  );
  try {
    for (;;) {
      while (pending.length > 0) yield pending.shift()!;
      const end = finished as { result?: GenerationResult; error?: unknown } | null;
      if (end !== null) {
        if (end.result === undefined) throw end.error;
        return end.result;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    // A consumer that stops early ends the generation too.
    local.abort();
  }
}
