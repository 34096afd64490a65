/**
 * Reinforcement learning after SFT with the AST reward (reward.ts), in two forms:
 * - `filtered`: reward-filtered fine-tuning, the study's RL variant: `sampling.samples` answers per prompt from the
 *   SFT model, those the BFCL checker accepts kept (each distinct one once), and the SFT objective trained on them
 *   (loss on the answer only). The kept answers are written to the run directory (`filtered.json`) and read back
 *   when the run resumes. Validation is the SFT loss on the validation examples' gold answers.
 * - `grpo`: GRPO (the study did not have it): each step samples a group of `sampling.samples` answers per prompt from
 *   the current policy, rewards them (0/1, or with partial credit), normalises within the group and takes the
 *   clipped policy-gradient step with a KL penalty toward the SFT model (train/objectives/grpo.ts). Validation is the
 *   mean reward on the validation prompts. Sampling seeds follow the run's place, so a resumed run continues exactly.
 * Both start from the SFT model with its reference as train-policy.ts sets it up, and end with `final/` there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { IGNORE_INDEX } from '../../models/decoder.js';
import type { TokenizedExample } from '../../train/batches.js';
import { GrpoObjective } from '../../train/objectives/grpo.js';
import type { Objective } from '../../train/objective.js';
import { rewardFilteredExamplesAsync } from '../../train/objectives/reward-filtered.js';
import { SftObjective, type SftConfig } from '../../train/objectives/sft.js';
import { Trainer, type TrainResult } from '../../train/trainer.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { fcReward } from './reward.js';
import { completionSampling, fcPrompts, saveFinalPolicy, startPolicy, type FcPolicyOptions, type FcPrompt } from './train-policy.js';
import { tokenizeFcExample } from './train-render.js';
import { trainerRunOptions } from './train-sft.js';

export const FC_RL_METHODS = ['filtered', 'grpo'] as const;
export type FcRlMethod = (typeof FC_RL_METHODS)[number];

/** GRPO's own settings. */
export interface FcGrpoSettings {
  /** KL coefficient toward the SFT model (DeepSeekMath: 0.04). */
  readonly beta: number;
  /** The ratio clip of the surrogate (0.2). */
  readonly clipRange: number;
  /** Reward rejected answers by reward.ts's partial-credit rules. */
  readonly partialCredit: boolean;
}

export const defaultGrpoSettings: FcGrpoSettings = { beta: 0.04, clipRange: 0.2, partialCredit: false };

export interface FcRlOptions extends FcPolicyOptions {
  readonly method: FcRlMethod;
  /** Trainer settings and batching (batchSize: examples, or GRPO prompts, per micro-batch; maxLength; padId; seed). */
  readonly config: SftConfig;
  readonly grpo?: FcGrpoSettings;
}

/** What reward filtering kept. */
export interface FilteredAnswers {
  readonly examples: TokenizedExample[];
  /** Prompts with at least one accepted sample. */
  readonly promptsPassed: number;
  readonly accepted: number;
  readonly sampled: number;
}

export interface FcRlResult {
  readonly train: TrainResult;
  readonly prompts: number;
  /** Examples whose prompt does not fit maxLength or the context. */
  readonly skippedTooLong: number;
  /** `filtered`: what sampling kept. */
  readonly filtered?: FilteredAnswers;
  readonly finalDir: string;
}

const FILTERED_FILE = 'filtered.json';

async function filteredAnswers(o: FcRlOptions, prompts: readonly FcPrompt[], stopTokens: readonly number[]): Promise<FilteredAnswers> {
  const cached = o.run.file(FILTERED_FILE);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as FilteredAnswers;
  // Aborting while sampling stops here, before anything is kept or trained.
  const found = await rewardFilteredExamplesAsync({
    model: o.model,
    prompts,
    accept: (p, text) => fcReward(p.example, text, { style: o.render.style }) === 1,
    samples: o.sampling.samples,
    sampling: completionSampling(o, stopTokens),
    seed: o.config.seed,
    ...(o.showProgress !== undefined ? { showProgress: o.showProgress } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
  const result: FilteredAnswers = {
    examples: found.examples,
    promptsPassed: found.passes.filter((n) => n > 0).length,
    accepted: found.passes.reduce((a, b) => a + b, 0),
    sampled: found.sampled,
  };
  writeJsonAtomic(cached, result);
  return result;
}

export async function trainFunctionCallingRl(o: FcRlOptions): Promise<FcRlResult> {
  const started = startPolicy(o);
  const { prompts, tooLong } = fcPrompts(o, o.train, o.config.maxLength, started.stopTokens);
  if (prompts.length === 0) throw new Error(`RL: none of the ${o.train.length} training examples fits: raise maxLength (${o.config.maxLength}) or lower the answer's maxTokens (${o.sampling.maxTokens})`);
  const runTrainer = <Batch>(objective: Objective<Batch>): Promise<TrainResult> =>
    new Trainer({ model: o.model, objective, config: o.config }).trainAsync(trainerRunOptions(o));
  let train: TrainResult;
  let filtered: FilteredAnswers | undefined;
  if (o.method === 'filtered') {
    filtered = await filteredAnswers(o, prompts, started.stopTokens);
    if (filtered.examples.length === 0) {
      throw new Error(`reward filtering: none of the ${filtered.sampled} sampled answers passed the BFCL checker, so there is nothing to train on; sample more per prompt, raise the temperature, or start from a stronger (SFT) model`);
    }
    const validation = (o.validation ?? [])
      .map((e) => tokenizeFcExample(o.tokenizer, e, { ...o.render, maxLength: o.config.maxLength }))
      .filter((e) => e.labels.some((l) => l !== IGNORE_INDEX));
    train = await runTrainer(new SftObjective({ model: o.model, train: filtered.examples, validation, settings: o.config }));
  } else {
    const grpo = o.grpo ?? defaultGrpoSettings;
    const validation = fcPrompts(o, o.validation ?? [], o.config.maxLength, started.stopTokens).prompts;
    train = await runTrainer(new GrpoObjective<FcPrompt>({
      model: o.model,
      prompts,
      validation,
      reward: (p, text) => fcReward(p.example, text, { style: o.render.style, partialCredit: grpo.partialCredit }),
      settings: {
        batchSize: o.config.batchSize, groupSize: o.sampling.samples, sampling: completionSampling(o, started.stopTokens),
        beta: grpo.beta, clipRange: grpo.clipRange, advantageEpsilon: 1e-4, padId: o.config.padId, seed: o.config.seed,
      },
      reference: started.reference,
    }));
  }
  return { train, prompts: prompts.length, skippedTooLong: tooLong, ...(filtered ? { filtered } : {}), finalDir: saveFinalPolicy(o, started) };
}
