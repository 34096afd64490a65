/**
 * What the runs after SFT (DPO, reward-filtered fine-tuning, GRPO) share:
 * - the starting policy and its reference. The model given is the SFT model; LoRA adapters it carries (an SFT
 *   run's, loaded or still applied in-process) are merged into its weights first, so that with a fresh LoRA for the
 *   new run "adapters off" is exactly the SFT model, the reference the objectives compare with, at no memory cost.
 *   With full fine-tuning there are no adapters to switch off: the caller passes a frozen copy of the SFT model.
 * - the prompts: an example's conversation up to its last calling turn, rendered in the run's style exactly as SFT
 *   renders it (train-render.ts), the gold calls being that turn's labelled tokens up to the first stop token.
 * - sampling from the policy under the same stop tokens as the BFCL runner.
 * - the final save: LoRA as a PEFT adapter relative to the model the SFT adapter was trained on (the SFT adapter
 *   and the new one stacked into one adapter of their summed rank, lora.ts stackLoraUpdates), so `base +
 *   final/` is the trained policy; full fine-tuning as a model directory.
 */
import { bfclStopTokens } from '../../eval/bfcl/runner.js';
import { IGNORE_INDEX } from '../../models/decoder.js';
import { applyLora, loraUpdates, mergeLora, saveLoraUpdates, stackLoraUpdates, type LoraUpdate } from '../../models/lora.js';
import { saveModel } from '../../models/save.js';
import { ProgressBar } from '../../report/progress.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { sampleCompletions, type Completion, type CompletionSampling, type ReferencePolicy, type ScoringModel, type TokenizedPrompt } from '../../train/objectives/policy.js';
import { restoreBest } from '../../train/trainer.js';
import type { Stepwise } from '../../util/steps.js';
import type { FcExample } from './data.js';
import { targetTurn } from './reward.js';
import { tokenizeFcExample, type FcRenderOptions } from './train-render.js';
import type { FcRunInputs } from './train-sft.js';

/**
 * The options every run after SFT takes. `model` is the SFT model; it is changed in place (its LoRA adapters merged
 * into its weights, the new run's applied) and ends as the trained policy: give each run its own copy. `adapter` is
 * what the new run trains: a fresh LoRA on the SFT model, or every weight.
 */
export interface FcPolicyOptions extends FcRunInputs {
  /** Full fine-tuning: a frozen copy of the SFT model, the reference (required then; LoRA uses adapters off). */
  readonly reference?: ScoringModel;
  readonly sampling: FcSampling;
}

/** How the policy's own answers are sampled. */
export interface FcSampling {
  /** Answers per prompt: DPO's and reward filtering's N, GRPO's group size. */
  readonly samples: number;
  readonly temperature: number;
  readonly topP?: number;
  readonly topK?: number;
  /** Most tokens per answer. */
  readonly maxTokens: number;
}

/** A prompt the policy answers: the conversation up to the target turn, and the gold answer's tokens. */
export interface FcPrompt extends TokenizedPrompt {
  readonly example: FcExample;
  readonly tokens: readonly number[];
  /** The gold calls as SFT labels them, through the first stop token. */
  readonly chosen: readonly number[];
}

/** The policy ready to train: the reference to pass the objective, and the SFT adapter merged into it. */
export interface StartedPolicy {
  readonly reference: ReferencePolicy;
  readonly merged: ReadonlyMap<string, LoraUpdate>;
  readonly stopTokens: readonly number[];
}

/** Merges the SFT adapters, then applies the new run's LoRA (or unfreezes everything with a frozen reference). */
export function startPolicy(o: Pick<FcPolicyOptions, 'model' | 'tokenizer' | 'adapter' | 'reference'>): StartedPolicy {
  if (o.adapter.kind === 'full' && o.reference === undefined) {
    throw new Error('full fine-tuning after SFT needs a frozen copy of the SFT model as the reference (option reference); with LoRA the SFT model with the adapters off is the reference');
  }
  const merged = loraUpdates(o.model);
  if (merged.size > 0) mergeLora(o.model);
  let reference: ReferencePolicy = 'adapters-off';
  if (o.adapter.kind === 'lora') applyLora(o.model, o.adapter.lora);
  else {
    o.model.unfreeze();
    reference = o.reference!;
  }
  return { reference, merged, stopTokens: bfclStopTokens({ model: o.model, tokenizer: o.tokenizer, config: o.model.config }) };
}

/** The sampling settings of the objectives, with the runner's stop tokens and the tokenizer as decoder. */
export function completionSampling(o: Pick<FcPolicyOptions, 'sampling' | 'tokenizer'>, stopTokens: readonly number[]): CompletionSampling {
  const s = o.sampling;
  return {
    temperature: s.temperature,
    ...(s.topP !== undefined ? { topP: s.topP } : {}),
    ...(s.topK !== undefined ? { topK: s.topK } : {}),
    maxTokens: s.maxTokens,
    stopTokens,
    decoder: o.tokenizer,
  };
}

/** The prompt of an example: rendered as SFT renders it, cut before the target turn's labelled tokens. */
export function fcPrompt(tokenizer: Tokenizer, example: FcExample, render: FcRenderOptions, stopTokens: readonly number[]): FcPrompt {
  const turn = targetTurn(example);
  const upTo: FcExample = { ...example, messages: example.messages.slice(0, turn + 1) };
  const { inputIds, labels } = tokenizeFcExample(tokenizer, upTo, { style: render.style, ...(render.systemPrompt ? { systemPrompt: render.systemPrompt } : {}) });
  // The target turn is the last labelled run of tokens.
  let end = labels.length;
  while (end > 0 && labels[end - 1] === IGNORE_INDEX) end--;
  let start = end;
  while (start > 0 && labels[start - 1] !== IGNORE_INDEX) start--;
  const answer = Array.from(inputIds.slice(start, end));
  const stop = answer.findIndex((id) => stopTokens.includes(id));
  return { example, tokens: Array.from(inputIds.slice(0, start)), chosen: stop < 0 ? answer : answer.slice(0, stop + 1) };
}

/** The prompts of the examples that fit: the prompt within maxLength and, with an answer of maxTokens, the context. */
export function fcPrompts(o: Pick<FcPolicyOptions, 'model' | 'tokenizer' | 'render' | 'sampling'>, examples: readonly FcExample[], maxLength: number, stopTokens: readonly number[]): { prompts: FcPrompt[]; tooLong: number } {
  const all = examples.map((e) => fcPrompt(o.tokenizer, e, o.render, stopTokens));
  const fits = (p: FcPrompt): boolean => p.tokens.length < maxLength && p.tokens.length + o.sampling.maxTokens <= o.model.config.maxPositions;
  const prompts = all.filter(fits);
  return { prompts, tooLong: all.length - prompts.length };
}

/**
 * `samples` answers to every prompt from the policy as it is, a few prompts at a time, with a progress bar. It
 * pauses after each few prompts: run cancellably (util/steps.ts), a Ctrl-C is seen there instead of only once
 * every prompt has been sampled, which can take longer than the training after it.
 */
export function* sampleAnswerSteps(o: Pick<FcPolicyOptions, 'model' | 'sampling' | 'tokenizer' | 'showProgress'>, prompts: readonly FcPrompt[], stopTokens: readonly number[], seed: number, label: string): Stepwise<Completion[][]> {
  const perBatch = 8;
  const sampling = completionSampling(o, stopTokens);
  const bar = o.showProgress === false ? undefined : new ProgressBar({ total: prompts.length, label, unit: 'prompt' });
  const out: Completion[][] = [];
  for (let start = 0; start < prompts.length; start += perBatch) {
    const chunk = prompts.slice(start, start + perBatch);
    out.push(...sampleCompletions(o.model, chunk.map((p) => p.tokens), o.sampling.samples, sampling, seed + start));
    bar?.tick(chunk.length);
    yield;
  }
  bar?.finish();
  return out;
}

/** Restores the best checkpoint and writes `final/`: the stacked PEFT adapter (LoRA) or the model directory. */
export function saveFinalPolicy(o: Pick<FcPolicyOptions, 'model' | 'tokenizer' | 'adapter' | 'run' | 'baseModel'>, started: StartedPolicy): string {
  restoreBest(o.run, o.model);
  const finalDir = o.run.file('final');
  if (o.adapter.kind === 'full') {
    saveModel(o.model, o.tokenizer, finalDir);
    return finalDir;
  }
  const { lora } = o.adapter;
  const trained = loraUpdates(o.model);
  const baseModel = o.baseModel ?? '';
  if (started.merged.size === 0) saveLoraUpdates(trained, finalDir, { baseModel, alpha: lora.alpha, dropout: lora.dropout ?? 0, targetModules: lora.targetModules });
  else saveLoraUpdates(stackLoraUpdates(started.merged, trained), finalDir, { baseModel, dropout: lora.dropout ?? 0 });
  return finalDir;
}
