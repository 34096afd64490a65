/**
 * Group Relative Policy Optimization (Shao et al., 2024, DeepSeekMath §4.1) as a Trainer objective. Each
 * micro-batch is a few prompts; for each, a group of G completions is sampled from the current policy and scored by
 * the caller's reward; a completion's advantage is its group-normalised reward (r - mean) / (std + eps), shared by
 * all its tokens; the loss is the negated per-token objective
 *
 *   J = 1/G sum_i 1/|o_i| sum_t [ min(rho_it A_i, clip(rho_it, 1 - e, 1 + e) A_i) - beta KL_it ],
 *   rho_it = pi(o_it) / pi_old(o_it),  KL_it = pi_ref / pi - log(pi_ref / pi) - 1   (the k3 estimator, >= 0),
 *
 * averaged over the micro-batch's prompts. Choices, as documented here:
 * - One policy update per sampled group (DeepSeekMath's mu = 1, TRL's default), so pi_old is the policy at sampling
 *   time: rho = exp(log pi - stop_gradient(log pi)) is 1 in value and the clip never binds, but its gradient is
 *   the policy gradient A grad log pi. grpoLoss takes pi_old separately, so the clipped form is the one tested.
 * - std is the group's sample standard deviation (n - 1, as TRL); a group whose rewards are all equal has advantage
 *   0 and trains only through the KL term.
 * - The reference is the policy with its LoRA adapters off, or a frozen copy (policy.ts), in evaluation mode.
 * - Completions are sampled in evaluation mode (no dropout) with a seed derived from the run's seed and the
 *   batch's place in the run, so a resumed run samples what the uninterrupted one would have.
 */
import { mul, scale, sub, add } from '../../tensor/ops/elementwise.js';
import { sum } from '../../tensor/ops/reduce.js';
import { exp, neg, relu } from '../../tensor/ops/unary.js';
import { tidy } from '../../tensor/scope.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { IGNORE_INDEX, epochOrder, makeBatches } from '../batches.js';
import type { Evaluation, Objective, ObjectiveLoss } from '../objective.js';
import { completionExample, sampleCompletions, underReference, type Completion, type CompletionSampling, type ReferencePolicy, type SamplingPolicy, type TokenizedPrompt } from './policy.js';

/** The caller's reward of one completion (e.g. 1 when the BFCL checker accepts the call, else 0). */
export type RewardFunction<P extends TokenizedPrompt> = (prompt: P, completionText: string, completion: Completion) => number;

export interface GrpoSettings {
  /** Prompts per micro-batch. */
  readonly batchSize: number;
  /** Completions sampled per prompt (G >= 2: advantages compare a completion with its group). */
  readonly groupSize: number;
  readonly sampling: CompletionSampling;
  /** KL coefficient toward the reference (DeepSeekMath: 0.04). */
  readonly beta: number;
  /** The ratio clip e of the surrogate (0.2). */
  readonly clipRange: number;
  /** Added to the group's standard deviation before dividing (1e-4). */
  readonly advantageEpsilon: number;
  readonly padId: number;
  /** Seeds the prompt order of each epoch and the sampling. */
  readonly seed: number;
}

export interface GrpoObjectiveOptions<P extends TokenizedPrompt> {
  readonly model: SamplingPolicy;
  readonly prompts: readonly P[];
  readonly reward: RewardFunction<P>;
  /** Held-out prompts: validation logs their mean reward over a group of samples and scores by it. */
  readonly validation?: readonly P[];
  readonly settings: GrpoSettings;
  /** Default: the policy with its adapters off. */
  readonly reference?: ReferencePolicy;
}

/** A micro-batch: which prompts, and where in the run (which fixes its sampling seed). */
export interface GrpoBatch {
  readonly epoch: number;
  readonly index: number;
  readonly prompts: readonly number[];
}

/** (r - mean) / (std + eps) within each consecutive group of `groupSize` rewards (std with n - 1). */
export function groupAdvantages(rewards: readonly number[], groupSize: number, epsilon: number): number[] {
  if (!Number.isInteger(groupSize) || groupSize < 2) throw new RangeError(`GRPO: the group size must be an integer >= 2, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) throw new RangeError(`GRPO: ${rewards.length} rewards do not form groups of ${groupSize}`);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const mean = group.reduce((a, b) => a + b, 0) / groupSize;
    const std = Math.sqrt(group.reduce((a, r) => a + (r - mean) ** 2, 0) / (groupSize - 1));
    for (const r of group) out.push((r - mean) / (std + epsilon));
  }
  return out;
}

/** Per-token inputs of grpoLoss, aligned with the policy's token log-probs. */
export interface GrpoTokens {
  /** log pi_old of each token (the sampling policy's). */
  readonly old: Float32Array;
  /** log pi_ref of each token. */
  readonly reference: Float32Array;
  /** The advantage of each token's completion. */
  readonly advantages: Float32Array;
  /** Each token's weight in the mean: 1 / (|o_i| * completions). */
  readonly weights: Float32Array;
}

export interface GrpoTerms {
  /** -J: the scalar to minimise. */
  readonly loss: Tensor;
  /** The weighted mean of the per-token k3 KL estimate. */
  readonly kl: number;
  /** The weighted share of tokens whose ratio the clip held at 1 - e or 1 + e. */
  readonly clipFraction: number;
}

/** clamp(x, lo, hi) = lo + relu(x - lo) - relu(x - hi), differentiable inside the range. */
function clamp(x: Tensor, lo: number, hi: number): Tensor {
  return sub(add(relu(sub(x, lo)), lo), relu(sub(x, hi)));
}

/** min(a, b) = a - relu(a - b). */
function minimum(a: Tensor, b: Tensor): Tensor {
  return sub(a, relu(sub(a, b)));
}

/** The GRPO loss -J from the policy's token log-probs (with gradient) and the per-token constants. */
export function grpoLoss(logProbs: Tensor, tokens: GrpoTokens, o: { readonly beta: number; readonly clipRange: number }): GrpoTerms {
  const n = logProbs.size;
  const constant = (values: Float32Array): Tensor => tensor(values, [n]);
  const advantages = constant(tokens.advantages);
  const ratio = exp(sub(logProbs, constant(tokens.old)));
  const surrogate = minimum(mul(ratio, advantages), mul(clamp(ratio, 1 - o.clipRange, 1 + o.clipRange), advantages));
  const refMinusPolicy = sub(constant(tokens.reference), logProbs);
  const kl = sub(sub(exp(refMinusPolicy), refMinusPolicy), 1);
  const loss = neg(sum(mul(sub(surrogate, scale(kl, o.beta)), constant(tokens.weights))));
  const klValues = kl.toArray();
  const ratios = ratio.toArray();
  let klMean = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const w = tokens.weights[i]!;
    klMean += w * klValues[i]!;
    if (ratios[i]! < 1 - o.clipRange || ratios[i]! > 1 + o.clipRange) clipped += w;
  }
  const total = tokens.weights.reduce((a, b) => a + b, 0);
  return { loss, kl: klMean / total, clipFraction: clipped / total };
}

function checkSettings(s: GrpoSettings): void {
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1) throw new Error(`GRPO config: batchSize must be a positive integer, got ${s.batchSize}`);
  if (!Number.isInteger(s.groupSize) || s.groupSize < 2) throw new Error(`GRPO config: groupSize must be an integer >= 2 (advantages compare completions of one prompt), got ${s.groupSize}`);
  if (!(s.beta >= 0)) throw new Error(`GRPO config: beta must be >= 0, got ${s.beta}`);
  if (!(s.clipRange > 0 && s.clipRange < 1)) throw new Error(`GRPO config: clipRange must be in (0, 1), got ${s.clipRange}`);
  if (!(s.advantageEpsilon > 0)) throw new Error(`GRPO config: advantageEpsilon must be > 0, got ${s.advantageEpsilon}`);
}

export class GrpoObjective<P extends TokenizedPrompt> implements Objective<GrpoBatch> {
  private readonly model: SamplingPolicy;
  private readonly prompts: readonly P[];
  private readonly validation: readonly P[];
  private readonly reward: RewardFunction<P>;
  private readonly settings: GrpoSettings;
  private readonly reference: ReferencePolicy;

  constructor(o: GrpoObjectiveOptions<P>) {
    checkSettings(o.settings);
    if (o.prompts.length === 0) throw new Error('GRPO: no training prompt');
    for (const [what, list] of [['training', o.prompts], ['validation', o.validation ?? []]] as const) {
      list.forEach((p, i) => { if (p.tokens.length === 0) throw new Error(`GRPO ${what} prompt ${i} is empty (it needs at least one token, e.g. BOS)`); });
    }
    this.model = o.model;
    this.prompts = o.prompts;
    this.validation = o.validation ?? [];
    this.reward = o.reward;
    this.settings = o.settings;
    this.reference = o.reference ?? 'adapters-off';
  }

  batches(epoch: number): GrpoBatch[] {
    const order = epochOrder(this.prompts.length, this.settings.seed, epoch);
    const out: GrpoBatch[] = [];
    for (let b = 0; b < order.length; b += this.settings.batchSize) out.push({ epoch, index: out.length, prompts: order.slice(b, b + this.settings.batchSize) });
    return out;
  }

  weight(batch: GrpoBatch): number {
    return batch.prompts.length;
  }

  /** The prompt tokens prefilled for the group (completions are not known before sampling). */
  tokens(batch: GrpoBatch): number {
    return batch.prompts.reduce((a, p) => a + this.prompts[p]!.tokens.length, 0) * this.settings.groupSize;
  }

  /** Samples each prompt's group and scores it: rewards[p][k] is completion k of prompt p. */
  private sampleAndScore(prompts: readonly P[], seed: number): { completions: Completion[][]; rewards: number[][] } {
    const completions = sampleCompletions(this.model, prompts.map((p) => p.tokens), this.settings.groupSize, this.settings.sampling, seed);
    const rewards = completions.map((group, p) => group.map((c) => {
      const r = this.reward(prompts[p]!, c.text, c);
      if (!Number.isFinite(r)) throw new Error(`GRPO: the reward of a completion of prompt ${p} is ${r}; rewards must be finite numbers`);
      return r;
    }));
    return { completions, rewards };
  }

  loss(b: GrpoBatch): ObjectiveLoss {
    const { groupSize, advantageEpsilon, padId, seed, beta, clipRange } = this.settings;
    const prompts = b.prompts.map((i) => this.prompts[i]!);
    // Any fixed injective-enough mix of the run's seed and the batch's place in the run.
    const { completions, rewards } = this.sampleAndScore(prompts, seed * 1_000_003 + b.epoch * 10_007 + b.index);
    const flat = completions.flat();
    const advantages = groupAdvantages(rewards.flat(), groupSize, advantageEpsilon);
    const examples = flat.map((c) => completionExample(c.prompt, c.tokens));
    const maxLength = Math.max(...examples.map((e) => e.inputIds.length));
    const [batch] = makeBatches(examples, examples.map((_, i) => i), { batchSize: examples.length, maxLength, packing: false, padId });
    const { inputIds, targets, t } = batch!;
    const rows = batch!.batch;
    const logProbs = this.model.tokenLogProbs(inputIds, targets, rows, t);
    const reference = underReference(this.model, this.reference, (m) => tidy(() => m.tokenLogProbs(inputIds, targets, rows, t).toArray()));
    const n = logProbs.size;
    const tokenAdvantages = new Float32Array(n);
    const weights = new Float32Array(n);
    let j = 0;
    for (let i = 0; i < targets.length; i++) {
      if (targets[i] === IGNORE_INDEX) continue;
      const row = Math.floor(i / t);
      tokenAdvantages[j] = advantages[row]!;
      weights[j] = 1 / (flat[row]!.tokens.length * rows);
      j++;
    }
    const terms = grpoLoss(logProbs, { old: logProbs.toArray(), reference, advantages: tokenAdvantages, weights }, { beta, clipRange });
    const all = rewards.flat();
    const rewardMean = all.reduce((a, r) => a + r, 0) / all.length;
    return {
      loss: terms.loss,
      metrics: {
        reward_mean: rewardMean,
        reward_std: Math.sqrt(all.reduce((a, r) => a + (r - rewardMean) ** 2, 0) / all.length),
        kl: terms.kl,
        clip_fraction: terms.clipFraction,
        completion_tokens: flat.reduce((a, c) => a + c.tokens.length, 0) / flat.length,
      },
    };
  }

  /** The mean reward of a group of samples per validation prompt (a fixed seed), scored by it; undefined without them. */
  validate(): Evaluation | undefined {
    if (this.validation.length === 0) return undefined;
    const rewards = this.meanReward(this.validation);
    return { metrics: { val_reward: rewards }, score: rewards };
  }

  /** The mean reward of groupSize completions of each prompt, sampled with the run's seed. */
  meanReward(prompts: readonly P[]): number {
    const all = this.sampleAndScore(prompts, this.settings.seed).rewards.flat();
    return all.reduce((a, r) => a + r, 0) / all.length;
  }
}
