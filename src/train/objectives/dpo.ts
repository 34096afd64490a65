/**
 * Direct Preference Optimization (Rafailov et al., 2023) as a Trainer objective. For a prompt x with a chosen
 * completion y+ and a rejected one y-, the implicit reward of a completion is r(y) = beta (log pi(y|x) - log
 * pi_ref(y|x)) and the loss is -log sigmoid(r(y+) - r(y-)), averaged over the pairs of a micro-batch. The
 * reference pi_ref is the policy with its LoRA adapters off or a frozen copy (policy.ts); its log-probs carry no
 * gradient. Each micro-batch is one padded batch holding its pairs' chosen rows, then their rejected rows. With
 * `nllWeight` w > 0 the loss adds w times the chosen completions' per-token negative log-likelihood (RPO).
 */
import { add, mul, scale, sub } from '../../tensor/ops/elementwise.js';
import { mean } from '../../tensor/ops/reduce.js';
import { exp, log, neg, relu } from '../../tensor/ops/unary.js';
import { slice } from '../../tensor/ops/layout.js';
import { tidy } from '../../tensor/scope.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { IGNORE_INDEX, epochOrder, makeBatches, type TrainBatch } from '../batches.js';
import type { Evaluation, Objective, ObjectiveLoss } from '../objective.js';
import { completionExample, underReference, type PolicyModel, type ReferencePolicy } from './policy.js';

/** One preference: a prompt and two completions of it, as token ids. */
export interface PreferencePair {
  readonly prompt: readonly number[];
  readonly chosen: readonly number[];
  readonly rejected: readonly number[];
}

export interface DpoSettings {
  /** Pairs per micro-batch. */
  readonly batchSize: number;
  /** Longer prompt + completion sequences are truncated to this many positions. */
  readonly maxLength: number;
  readonly padId: number;
  /** Seeds the order of the pairs in each epoch. */
  readonly seed: number;
  /** The strength of the pull toward the reference (the KL coefficient): small beta lets the policy move further. */
  readonly beta: number;
  /**
   * Weight of the chosen completions' negative log-likelihood, per token and averaged over the pairs, added to the
   * loss (RPO, Pang et al. 2024): DPO alone can lower the chosen completions' likelihood along with the rejected
   * ones', which this term holds up. Default 0: plain DPO.
   */
  readonly nllWeight?: number;
}

export const defaultDpoSettings: DpoSettings = { batchSize: 4, maxLength: 512, padId: 0, seed: 0, beta: 0.1 };

export interface DpoObjectiveOptions {
  readonly model: PolicyModel;
  readonly train: readonly PreferencePair[];
  /** Held-out pairs: validation logs their loss, margin and accuracy and scores by the accuracy. */
  readonly validation?: readonly PreferencePair[];
  readonly settings: DpoSettings;
  /** Default: the policy with its adapters off. */
  readonly reference?: ReferencePolicy;
}

/** A micro-batch: `pairs` chosen rows followed by their `pairs` rejected rows. */
export interface DpoBatch extends TrainBatch {
  readonly pairs: number;
}

/** The DPO loss of a micro-batch and what it logs. */
export interface DpoTerms {
  readonly loss: Tensor;
  /** Mean of beta (log-ratio of chosen) - beta (log-ratio of rejected). */
  readonly margin: number;
  /** Share of pairs whose chosen reward exceeds the rejected one. */
  readonly accuracy: number;
  readonly chosenReward: number;
  readonly rejectedReward: number;
}

/** A micro-batch's terms: the DPO terms (loss with the NLL term when weighted) and the chosen completions' NLL. */
export interface DpoBatchTerms extends DpoTerms {
  /** The chosen completions' per-token negative log-likelihood under the policy, averaged over the pairs. */
  readonly chosenNll: number;
}

/**
 * log sigmoid(z) = min(z, 0) - log(1 + exp(-|z|)), which neither overflows nor takes log 0. min(z, 0) is written
 * z - relu(z) and |z| as 2 relu(z) - z so that the kinks' one-sided derivatives cancel: the gradient is
 * sigmoid(-z) everywhere, 1/2 at z = 0, where every DPO run starts (policy = reference).
 */
export function logSigmoid(z: Tensor): Tensor {
  const positive = relu(z);
  const magnitude = sub(scale(positive, 2), z);
  return sub(sub(z, positive), log(add(exp(neg(magnitude)), 1)));
}

/**
 * The DPO loss from the policy's per-sequence log-probs (chosen then rejected, shape (2 pairs), with gradient) and
 * the reference's (the same layout, constants).
 */
export function dpoTerms(policyLogProbs: Tensor, referenceLogProbs: Float32Array, pairs: number, beta: number): DpoTerms {
  const ratios = sub(policyLogProbs, tensor(referenceLogProbs, [2 * pairs]));
  const rewards = scale(ratios, beta);
  const margins = sub(slice(rewards, 0, 0, pairs), slice(rewards, 0, pairs, 2 * pairs));
  const loss = neg(mean(logSigmoid(margins)));
  const r = rewards.toArray();
  let margin = 0;
  let wins = 0;
  let chosenReward = 0;
  let rejectedReward = 0;
  for (let i = 0; i < pairs; i++) {
    const d = r[i]! - r[pairs + i]!;
    margin += d / pairs;
    if (d > 0) wins++;
    chosenReward += r[i]! / pairs;
    rejectedReward += r[pairs + i]! / pairs;
  }
  return { loss, margin, accuracy: wins / pairs, chosenReward, rejectedReward };
}

function checkSettings(s: DpoSettings): void {
  for (const k of ['batchSize', 'maxLength'] as const) {
    const v = s[k];
    if (!Number.isInteger(v) || v < 1) throw new Error(`DPO config: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (!(s.beta > 0)) throw new Error(`DPO config: beta must be > 0, got ${s.beta}`);
  if (!((s.nllWeight ?? 0) >= 0)) throw new Error(`DPO config: nllWeight must be >= 0, got ${s.nllWeight}`);
}

function checkPairs(pairs: readonly PreferencePair[], maxLength: number, what: string): void {
  pairs.forEach((p, i) => {
    if (p.prompt.length === 0) throw new Error(`DPO ${what} pair ${i}: the prompt is empty (it needs at least one token, e.g. BOS)`);
    if (p.prompt.length > maxLength) throw new Error(`DPO ${what} pair ${i}: the prompt has ${p.prompt.length} tokens, so maxLength ${maxLength} leaves none of the completions; raise maxLength or shorten the prompt`);
    for (const side of ['chosen', 'rejected'] as const) {
      if (p[side].length === 0) throw new Error(`DPO ${what} pair ${i}: the ${side} completion is empty`);
    }
  });
}

export class DpoObjective implements Objective<DpoBatch> {
  private readonly model: PolicyModel;
  private readonly pairs: readonly PreferencePair[];
  private readonly validation: readonly PreferencePair[];
  private readonly settings: DpoSettings;
  private readonly reference: ReferencePolicy;

  constructor(o: DpoObjectiveOptions) {
    checkSettings(o.settings);
    if (o.train.length === 0) throw new Error('DPO: no training pair');
    checkPairs(o.train, o.settings.maxLength, 'training');
    checkPairs(o.validation ?? [], o.settings.maxLength, 'validation');
    this.model = o.model;
    this.pairs = o.train;
    this.validation = o.validation ?? [];
    this.settings = o.settings;
    this.reference = o.reference ?? 'adapters-off';
  }

  batches(epoch: number): DpoBatch[] {
    const order = epochOrder(this.pairs.length, this.settings.seed, epoch);
    const out: DpoBatch[] = [];
    for (let b = 0; b < order.length; b += this.settings.batchSize) {
      out.push(this.batchOf(order.slice(b, b + this.settings.batchSize).map((i) => this.pairs[i]!)));
    }
    return out;
  }

  private batchOf(pairs: readonly PreferencePair[]): DpoBatch {
    const examples = [...pairs.map((p) => completionExample(p.prompt, p.chosen)), ...pairs.map((p) => completionExample(p.prompt, p.rejected))];
    const { maxLength, padId } = this.settings;
    const [batch] = makeBatches(examples, examples.map((_, i) => i), { batchSize: examples.length, maxLength, packing: false, padId });
    return { ...batch!, pairs: pairs.length };
  }

  weight(batch: DpoBatch): number {
    return batch.pairs;
  }

  tokens(batch: DpoBatch): number {
    return batch.batch * batch.t;
  }

  /** The loss and metrics of a micro-batch under the current weights (training or validation). */
  terms(b: DpoBatch): DpoBatchTerms {
    const reference = underReference(this.model, this.reference, (m) => tidy(() => m.sequenceLogProbs(b.inputIds, b.targets, b.batch, b.t).toArray()));
    const policy = this.model.sequenceLogProbs(b.inputIds, b.targets, b.batch, b.t);
    const terms = dpoTerms(policy, reference, b.pairs, this.settings.beta);
    // The chosen rows come first; each one's log-prob over its number of target tokens is its per-token mean.
    const perToken = new Float32Array(b.pairs);
    for (let row = 0; row < b.pairs; row++) {
      let n = 0;
      for (let i = row * b.t; i < (row + 1) * b.t; i++) if (b.targets[i] !== IGNORE_INDEX) n++;
      perToken[row] = 1 / Math.max(1, n);
    }
    const nll = neg(mean(mul(slice(policy, 0, 0, b.pairs), tensor(perToken, [b.pairs]))));
    const weight = this.settings.nllWeight ?? 0;
    return { ...terms, loss: weight > 0 ? add(terms.loss, scale(nll, weight)) : terms.loss, chosenNll: nll.item() };
  }

  loss(b: DpoBatch): ObjectiveLoss {
    const { loss, margin, accuracy, chosenReward, rejectedReward, chosenNll } = this.terms(b);
    return { loss, metrics: { reward_margin: margin, reward_accuracy: accuracy, reward_chosen: chosenReward, reward_rejected: rejectedReward, chosen_nll: chosenNll } };
  }

  /** Pair-mean loss, margin and accuracy on the validation pairs, scored by the accuracy; undefined without them. */
  validate(): Evaluation | undefined {
    if (this.validation.length === 0) return undefined;
    let loss = 0;
    let margin = 0;
    let accuracy = 0;
    const n = this.validation.length;
    for (let i = 0; i < n; i += this.settings.batchSize) {
      const batch = this.batchOf(this.validation.slice(i, i + this.settings.batchSize));
      tidy(() => {
        const t = this.terms(batch);
        const share = batch.pairs / n;
        loss += t.loss.item() * share;
        margin += t.margin * share;
        accuracy += t.accuracy * share;
      });
    }
    return { metrics: { val_loss: loss, val_reward_margin: margin, val_reward_accuracy: accuracy }, score: accuracy };
  }
}
