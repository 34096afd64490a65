/**
 * Reward-filtered (rejection-sampling) fine-tuning, as "What Actually Improves LLM Tool Calling?" trains its RL
 * variant: sample N completions of every prompt from the current policy, keep those the caller's check accepts
 * (the BFCL checker's passes), and train on them with the supervised objective (sft.ts), its batching included.
 * Distinct passes of a prompt are kept once each (an identical completion sampled twice would otherwise count
 * twice); pass `keepDuplicates` to weigh a prompt's passes by how often they were sampled.
 */
import { ProgressBar } from '../../report/progress.js';
import type { TokenizedExample } from '../batches.js';
import { completionExample, sampleCompletions, type Completion, type CompletionSampling, type SamplingPolicy, type TokenizedPrompt } from './policy.js';
import { SftObjective, type LanguageModel, type SftSettings } from './sft.js';
import { runCancellable, runToEnd, type Stepwise } from '../../util/steps.js';

/** The caller's verdict on one completion (e.g. the BFCL checker accepts the call). */
export type AcceptFunction<P extends TokenizedPrompt> = (prompt: P, completionText: string, completion: Completion) => boolean;

export interface RewardFilterOptions<P extends TokenizedPrompt> {
  readonly model: SamplingPolicy;
  readonly prompts: readonly P[];
  readonly accept: AcceptFunction<P>;
  /** Completions sampled per prompt (the study's N). */
  readonly samples: number;
  readonly sampling: CompletionSampling;
  readonly seed: number;
  /** Prompts sampled together (their N completions share one KV cache); default 8. */
  readonly promptsPerBatch?: number;
  /** Keep a pass sampled k times k times (default: once). */
  readonly keepDuplicates?: boolean;
  readonly showProgress?: boolean;
}

export interface FilteredExamples {
  /** The kept completions as SFT examples (loss on the completion only), prompt by prompt. */
  readonly examples: TokenizedExample[];
  /** passes[p]: how many of prompt p's samples the check accepted (duplicates included). */
  readonly passes: number[];
  readonly sampled: number;
}

/** Samples, checks and keeps; the result says how many passed per prompt. */
export function rewardFilteredExamples<P extends TokenizedPrompt>(o: RewardFilterOptions<P>): FilteredExamples {
  return runToEnd(rewardFilteredSteps(o));
}

/**
 * `rewardFilteredExamples` with an event-loop turn after each batch of prompts, cancellable: when `signal` aborts,
 * sampling stops after the batch in progress and the promise rejects with the signal's reason.
 */
export function rewardFilteredExamplesAsync<P extends TokenizedPrompt>(o: RewardFilterOptions<P> & { readonly signal?: AbortSignal }): Promise<FilteredExamples> {
  return runCancellable(rewardFilteredSteps(o), o.signal);
}

function* rewardFilteredSteps<P extends TokenizedPrompt>(o: RewardFilterOptions<P>): Stepwise<FilteredExamples> {
  const perBatch = o.promptsPerBatch ?? 8;
  if (!Number.isInteger(perBatch) || perBatch < 1) throw new RangeError(`reward filtering: promptsPerBatch must be a positive integer, got ${perBatch}`);
  o.prompts.forEach((p, i) => { if (p.tokens.length === 0) throw new Error(`reward filtering: prompt ${i} is empty (it needs at least one token, e.g. BOS)`); });
  const bar = o.showProgress === false ? undefined : new ProgressBar({ total: o.prompts.length, label: 'sample', unit: 'prompt' });
  const examples: TokenizedExample[] = [];
  const passes: number[] = [];
  for (let start = 0; start < o.prompts.length; start += perBatch) {
    const chunk = o.prompts.slice(start, start + perBatch);
    const groups = sampleCompletions(o.model, chunk.map((p) => p.tokens), o.samples, o.sampling, o.seed + start);
    groups.forEach((group, i) => {
      const seen = new Set<string>();
      let passed = 0;
      for (const completion of group) {
        if (!o.accept(chunk[i]!, completion.text, completion)) continue;
        passed++;
        const key = completion.tokens.join(',');
        if (!o.keepDuplicates && seen.has(key)) continue;
        seen.add(key);
        examples.push(completionExample(completion.prompt, completion.tokens));
      }
      passes.push(passed);
    });
    bar?.tick(chunk.length, { kept: examples.length });
    yield;
  }
  bar?.finish({ kept: examples.length });
  return { examples, passes, sampled: o.prompts.length * o.samples };
}

export interface RewardFilteredObjectiveOptions<P extends TokenizedPrompt> extends RewardFilterOptions<P> {
  readonly model: SamplingPolicy & LanguageModel;
  readonly settings: SftSettings;
  readonly validation?: readonly TokenizedExample[];
}

/** Samples and filters, then returns the SFT objective over the kept completions (and what was kept). */
export function rewardFilteredObjective<P extends TokenizedPrompt>(o: RewardFilteredObjectiveOptions<P>): { objective: SftObjective; filtered: FilteredExamples } {
  const filtered = rewardFilteredExamples(o);
  if (filtered.examples.length === 0) {
    throw new Error(`reward filtering: none of the ${filtered.sampled} sampled completions passed the check, so there is nothing to train on; sample more per prompt, raise the temperature, or start from a stronger (SFT) model`);
  }
  return { objective: new SftObjective({ model: o.model, train: filtered.examples, ...(o.validation ? { validation: o.validation } : {}), settings: o.settings }), filtered };
}
