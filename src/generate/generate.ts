/**
 * The generation loop: prefill each prompt into its own slot of a KV cache, then decode all unfinished sequences
 * together, one token per sequence per step. Sequences keep their own positions (no padding), so prompts of any
 * lengths batch together and finish independently.
 */
import { Sampler, type SamplingOptions } from './sampling.js';
import { StopStringMatcher, TextStream, type TokenDecoder } from './stop.js';
import type { SessionFactory } from '../models/session.js';
import { runCancellable, runToEnd, type Stepwise } from '../util/steps.js';

export type { DecoderSession, ForkableSession, SessionFactory } from '../models/session.js';

/** Sees the full logits vector of a sequence before sampling and may mask or bias it in place. */
export type LogitsHook = (logits: Float32Array, generated: readonly number[], sequenceIndex: number) => void;

export type FinishReason = 'eos' | 'stop-string' | 'length';

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens per sequence (default 128). */
  readonly maxTokens?: number;
  /** Token ids that end a sequence (not included in the output). */
  readonly stopTokens?: readonly number[];
  /** Strings that end a sequence; the text before them is kept. Needs `decoder`. */
  readonly stopStrings?: readonly string[];
  /** Turns tokens into text for stop strings, `onText` and the result's `text`. */
  readonly decoder?: TokenDecoder;
  readonly logitsHook?: LogitsHook;
  /** Called with each sampled token as soon as it is chosen. */
  readonly onToken?: (token: number, sequenceIndex: number) => void;
  /** Called with newly completed text (stop strings already removed); needs `decoder`. */
  readonly onText?: (text: string, sequenceIndex: number) => void;
}

export interface GenerationResult {
  /** The generated tokens (a stop token is not included). */
  readonly tokens: number[];
  /** The generated text up to any stop string ('' without a decoder). */
  readonly text: string;
  readonly finishReason: FinishReason;
}

/** One sequence's state through the loop. */
class SequenceState {
  readonly tokens: number[] = [];
  text = '';
  finish: FinishReason | null = null;
  private readonly stream: TextStream | null;
  private readonly stops: StopStringMatcher | null;

  constructor(
    readonly index: number,
    readonly prompt: readonly number[],
    options: GenerateOptions,
  ) {
    this.stream = options.decoder ? new TextStream(options.decoder) : null;
    this.stops = options.decoder && options.stopStrings?.length ? new StopStringMatcher(options.stopStrings) : null;
  }

  /** Records a sampled token; returns the newly emittable text. */
  accept(token: number, stopTokens: ReadonlySet<number>, maxTokens: number): string {
    let piece: string;
    if (stopTokens.has(token)) {
      this.finish = 'eos';
      piece = this.heldBack();
    } else {
      this.tokens.push(token);
      piece = this.stream?.push(token) ?? '';
      if (this.stops) {
        piece = this.stops.push(piece);
        if (this.stops.stopped) this.finish = 'stop-string';
      }
      if (this.finish === null && this.tokens.length >= maxTokens) {
        this.finish = 'length';
        piece += this.heldBack();
      }
    }
    this.text += piece;
    return piece;
  }

  /** At the end: text the stream and the stop-string matcher were still holding back. */
  private heldBack(): string {
    const piece = this.stream?.flush() ?? '';
    return this.stops ? this.stops.push(piece) + this.stops.flush() : piece;
  }
}

/**
 * Generates a continuation of every prompt. Returns one result per prompt, in order.
 */
export function generate(model: SessionFactory, prompts: readonly (readonly number[])[], options: GenerateOptions = {}): GenerationResult[] {
  return runToEnd(generationSteps(model, prompts, options));
}

export interface AsyncGenerateOptions extends GenerateOptions {
  /** Stops generation between tokens; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * `generate` that gives the event loop a turn after every token and can be cancelled: a server or UI stays
 * responsive while a long generation runs, and `signal.abort()` ends it at the next token.
 */
export function generateAsync(model: SessionFactory, prompts: readonly (readonly number[])[], options: AsyncGenerateOptions = {}): Promise<GenerationResult[]> {
  return runCancellable(generationSteps(model, prompts, options), options.signal);
}

/** The generation loop, pausing after the prefill and after every decode step. */
function* generationSteps(model: SessionFactory, prompts: readonly (readonly number[])[], options: GenerateOptions): Stepwise<GenerationResult[]> {
  const maxTokens = options.maxTokens ?? 128;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`);
  if (options.stopStrings?.length && !options.decoder) throw new Error('stop strings need a decoder (a tokenizer) to see the text');
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new RangeError(`prompt ${i} is empty: generation needs at least one token (e.g. BOS)`);
  });
  const capacity = Math.max(...prompts.map((p) => p.length)) + maxTokens;
  const session = model.createSession(prompts.length, capacity);
  const sampler = new Sampler(options);
  const stopTokens = new Set(options.stopTokens ?? []);
  const states = prompts.map((p, i) => new SequenceState(i, p, options));
  const { vocabSize } = session;

  const choose = (state: SequenceState, logits: Float32Array): void => {
    options.logitsHook?.(logits, state.tokens, state.index);
    const token = sampler.sample(logits, options.repetitionPenalty ? [...state.prompt, ...state.tokens] : state.tokens);
    options.onToken?.(token, state.index);
    const piece = state.accept(token, stopTokens, maxTokens);
    if (piece.length > 0) options.onText?.(piece, state.index);
  };

  for (const state of states) choose(state, session.prefill(state.index, state.prompt));
  for (;;) {
    yield;
    const active = states.filter((s) => s.finish === null);
    if (active.length === 0) break;
    const logits = session.decode(
      active.map((s) => s.index),
      active.map((s) => s.tokens[s.tokens.length - 1]!),
    );
    active.forEach((state, row) => choose(state, logits.subarray(row * vocabSize, (row + 1) * vocabSize)));
  }
  return states.map((s) => ({ tokens: s.tokens, text: s.text, finishReason: s.finish! }));
}
