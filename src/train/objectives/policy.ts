/**
 * What the preference and reinforcement objectives (DPO, GRPO, reward-filtered fine-tuning) share: the policy they
 * train, the reference policy they compare it with, completions sampled from the policy, and a completion turned
 * into a tokenized example whose loss falls on the completion only.
 */
import { generate, type GenerateOptions } from '../../generate/generate.js';
import type { SessionFactory } from '../../models/session.js';
import type { TokenDecoder } from '../../generate/stop.js';
import { noGrad } from '../../tensor/autograd.js';
import type { Tensor } from '../../tensor/tensor.js';
import { IGNORE_INDEX, type TokenizedExample } from '../batches.js';
import type { TrainableModel } from '../objective.js';

/** A model that scores given target tokens (DecoderModel is one). */
export interface ScoringModel {
  /** Per-sequence sums of log p(target) over positions whose target is not IGNORE_INDEX: shape (batch). */
  sequenceLogProbs(inputIds: Int32Array, targets: Int32Array, batch: number, t: number): Tensor;
  /** log p(target) at each position whose target is not IGNORE_INDEX, in row-major order. */
  tokenLogProbs(inputIds: Int32Array, targets: Int32Array, batch: number, t: number): Tensor;
}

/** The policy a preference or RL objective trains: trainable, scoring, and able to switch its LoRA adapters off. */
export interface PolicyModel extends TrainableModel, ScoringModel {
  withAdaptersDisabled<T>(fn: () => T): T;
  /** Whether the model is in training mode (dropout on). */
  readonly training: boolean;
  train(on: boolean): unknown;
}

/** Runs `fn` with the policy in evaluation mode, then restores the mode it was in (training or not). */
function evaluating<T>(policy: PolicyModel, fn: () => T): T {
  const was = policy.training;
  policy.train(false);
  try {
    return fn();
  } finally {
    policy.train(was);
  }
}

/** A policy that also generates (GRPO and reward-filtered fine-tuning sample from it). */
export interface SamplingPolicy extends PolicyModel, SessionFactory {}

/**
 * The reference policy: 'adapters-off' is the policy itself with its LoRA adapters switched off (no copy of the
 * base weights; with full fine-tuning there are no adapters and the reference would be the policy itself, so pass
 * a frozen copy instead); a ScoringModel is a frozen copy, never trained.
 */
export type ReferencePolicy = 'adapters-off' | ScoringModel;

/** Runs `score` on the reference policy, in evaluation mode (no dropout) and without gradients. */
export function underReference<T>(policy: PolicyModel, reference: ReferencePolicy, score: (model: ScoringModel) => T): T {
  return noGrad(() => evaluating(policy, () => (reference === 'adapters-off' ? policy.withAdaptersDisabled(() => score(policy)) : score(reference))));
}

/** A prompt the RL objectives sample from: its tokens, plus whatever the caller's reward needs (a question, its functions). */
export interface TokenizedPrompt {
  readonly tokens: readonly number[];
}

/** A prompt and one completion, as token ids. */
export interface Completion {
  readonly prompt: readonly number[];
  /** The sampled tokens, ending with the end-of-sequence token when the policy chose to stop. */
  readonly tokens: readonly number[];
  /** The completion's text, without the end-of-sequence token. */
  readonly text: string;
}

/** Sampling settings of the objectives that generate. */
export interface CompletionSampling {
  /** Sampling temperature (> 0: the policy's own distribution is what the objectives need). */
  readonly temperature: number;
  readonly topK?: number;
  readonly topP?: number;
  /** Most tokens per completion. */
  readonly maxTokens: number;
  /** End-of-sequence ids: they end a completion and are part of it (the policy chose to stop). */
  readonly stopTokens: readonly number[];
  /** Turns completion tokens into the text the reward or the checker reads. */
  readonly decoder: TokenDecoder;
}

/**
 * `count` completions of every prompt, sampled from `policy` in evaluation mode with generator seed `seed`: result[p]
 * holds prompt p's, in sampling order. The same weights and seed give the same completions.
 */
export function sampleCompletions(policy: SamplingPolicy, prompts: readonly (readonly number[])[], count: number, sampling: CompletionSampling, seed: number): Completion[][] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`completions per prompt must be a positive integer, got ${count}`);
  if (!(sampling.temperature > 0)) throw new RangeError(`sampling temperature must be > 0 (the objectives need the policy's distribution), got ${sampling.temperature}`);
  const repeated = prompts.flatMap((p) => Array.from({ length: count }, () => p));
  const lastToken: number[] = [];
  const options: GenerateOptions = {
    temperature: sampling.temperature,
    ...(sampling.topK === undefined ? {} : { topK: sampling.topK }),
    ...(sampling.topP === undefined ? {} : { topP: sampling.topP }),
    maxTokens: sampling.maxTokens,
    stopTokens: sampling.stopTokens,
    decoder: sampling.decoder,
    seed,
    onToken: (token, sequence) => { lastToken[sequence] = token; },
  };
  const results = noGrad(() => evaluating(policy, () => generate(policy, repeated, options)));
  return prompts.map((prompt, p) => results.slice(p * count, (p + 1) * count).map((r, k) => ({
    prompt,
    tokens: r.finishReason === 'eos' ? [...r.tokens, lastToken[p * count + k]!] : r.tokens,
    text: r.text,
  })));
}

/** prompt + completion as a training example whose labels cover the completion only. */
export function completionExample(prompt: readonly number[], completion: readonly number[]): TokenizedExample {
  const inputIds = [...prompt, ...completion];
  return { inputIds, labels: inputIds.map((id, i) => (i < prompt.length ? IGNORE_INDEX : id)) };
}
