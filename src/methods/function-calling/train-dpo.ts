/**
 * DPO after SFT, as "What Actually Improves LLM Tool Calling?" trains it: preference pairs whose chosen answer is the
 * gold call (the tokens SFT was taught) and whose rejected answer is one of the SFT model's own wrong answers — a
 * sample the BFCL checker rejects (reward.ts) — then the DPO objective with the SFT model as the reference
 * (train-policy.ts). Mining, as documented:
 * - `sampling.samples` answers per prompt are sampled from the SFT model (temperature > 0, seeded);
 * - the first `pairsPerPrompt` distinct rejected answers (by tokens, in sampling order) each make a pair;
 * - a prompt none of whose samples is wrong is skipped: the model already answers it, and a pair against a made-up
 *   wrong answer would teach what the model does not do; so are prompts that do not fit (train-policy.ts fcPrompts).
 * Validation pairs are mined the same way from the validation examples. The mined pairs are written to the run
 * directory (`dpo-pairs.json`) and read back when the run resumes, so a resumed run trains on the same pairs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DpoObjective, type PreferencePair } from '../../train/objectives/dpo.js';
import type { SftConfig } from '../../train/objectives/sft.js';
import { Trainer, type TrainResult } from '../../train/trainer.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { runCancellable, runToEnd, type Stepwise } from '../../util/steps.js';
import type { FcExample } from './data.js';
import { fcReward } from './reward.js';
import { fcPrompts, sampleAnswerSteps, saveFinalPolicy, startPolicy, type FcPolicyOptions, type FcPrompt } from './train-policy.js';
import { trainerRunOptions } from './train-sft.js';

export interface FcDpoOptions extends FcPolicyOptions {
  /** Trainer settings and batching (batchSize: pairs per micro-batch; maxLength; padId; seed). */
  readonly config: SftConfig;
  /** DPO's beta: small lets the policy move further from the SFT model. */
  readonly beta: number;
  /** Pairs per prompt at most, each with a distinct rejected answer (default 1). */
  readonly pairsPerPrompt?: number;
  /** Weight of the gold answers' per-token NLL added to the DPO loss (RPO; default 0, plain DPO as the study). */
  readonly nllWeight?: number;
}

/** What mining found in one split. */
export interface MinedPairs {
  readonly pairs: PreferencePair[];
  /** The example id and the rejected answer's text of each pair. */
  readonly sources: { readonly id: string; readonly rejected: string }[];
  readonly prompts: number;
  /** Prompts every sample of which the checker accepted: no pair. */
  readonly skippedAllCorrect: number;
  /** Examples whose prompt does not fit maxLength or the context. */
  readonly skippedTooLong: number;
  readonly sampled: number;
}

export interface FcDpoResult {
  readonly dpo: TrainResult;
  readonly train: MinedPairs;
  readonly validation: MinedPairs;
  readonly finalDir: string;
}

type MiningOptions = Pick<FcPolicyOptions, 'model' | 'tokenizer' | 'sampling' | 'render' | 'showProgress'>;

/** Pairs from the policy's own checker-rejected answers to `prompts` (the rules above). */
export function minePairs(o: MiningOptions, prompts: readonly FcPrompt[], stopTokens: readonly number[], seed: number, pairsPerPrompt?: number): Omit<MinedPairs, 'skippedTooLong'> {
  return runToEnd(minePairSteps(o, prompts, stopTokens, seed, pairsPerPrompt));
}

/** `minePairs`, pausing while it samples (sampleAnswerSteps), so that mining can be cancelled. */
function* minePairSteps(o: MiningOptions, prompts: readonly FcPrompt[], stopTokens: readonly number[], seed: number, pairsPerPrompt = 1): Stepwise<Omit<MinedPairs, 'skippedTooLong'>> {
  if (!Number.isInteger(pairsPerPrompt) || pairsPerPrompt < 1) throw new RangeError(`DPO mining: pairsPerPrompt must be a positive integer, got ${pairsPerPrompt}`);
  const groups = yield* sampleAnswerSteps(o, prompts, stopTokens, seed, 'mine');
  const pairs: PreferencePair[] = [];
  const sources: { id: string; rejected: string }[] = [];
  let skippedAllCorrect = 0;
  groups.forEach((group, p) => {
    const prompt = prompts[p]!;
    const seen = new Set<string>();
    for (const answer of group) {
      if (seen.size >= pairsPerPrompt || answer.tokens.length === 0) continue;
      const key = answer.tokens.join(',');
      if (seen.has(key) || fcReward(prompt.example, answer.text, { style: o.render.style }) === 1) continue;
      seen.add(key);
      pairs.push({ prompt: prompt.tokens, chosen: prompt.chosen, rejected: answer.tokens });
      sources.push({ id: prompt.example.id, rejected: answer.text });
    }
    if (seen.size === 0) skippedAllCorrect++;
  });
  return { pairs, sources, prompts: prompts.length, skippedAllCorrect, sampled: prompts.length * o.sampling.samples };
}

const PAIRS_FILE = 'dpo-pairs.json';

export async function trainFunctionCallingDpo(o: FcDpoOptions): Promise<FcDpoResult> {
  const started = startPolicy(o);
  const cached = o.run.file(PAIRS_FILE);
  let mined: { train: MinedPairs; validation: MinedPairs };
  if (existsSync(cached)) mined = JSON.parse(readFileSync(cached, 'utf8')) as { train: MinedPairs; validation: MinedPairs };
  else {
    // Aborting while sampling stops here, before any pair or training step is saved.
    const mine = async (examples: readonly FcExample[], seed: number): Promise<MinedPairs> => {
      const { prompts, tooLong } = fcPrompts(o, examples, o.config.maxLength, started.stopTokens);
      return { ...(await runCancellable(minePairSteps(o, prompts, started.stopTokens, seed, o.pairsPerPrompt), o.signal)), skippedTooLong: tooLong };
    };
    mined = { train: await mine(o.train, o.config.seed), validation: await mine(o.validation ?? [], o.config.seed + 1_000_003) };
    writeJsonAtomic(cached, mined);
  }
  if (mined.train.prompts === 0) throw new Error(`DPO: none of the ${o.train.length} training examples fits: raise maxLength (${o.config.maxLength}) or lower the answer's maxTokens (${o.sampling.maxTokens})`);
  if (mined.train.pairs.length === 0) {
    throw new Error(`DPO: no pair mined: the SFT model answered all ${mined.train.prompts} prompts right in every one of its ${o.sampling.samples} samples each (${mined.train.skippedTooLong} examples did not fit); sample more per prompt, raise the temperature, or use harder examples`);
  }
  const objective = new DpoObjective({
    model: o.model,
    train: mined.train.pairs,
    validation: mined.validation.pairs,
    settings: { batchSize: o.config.batchSize, maxLength: o.config.maxLength, padId: o.config.padId, seed: o.config.seed, beta: o.beta, nllWeight: o.nllWeight ?? 0 },
    reference: started.reference,
  });
  const dpo = await new Trainer({ model: o.model, objective, config: o.config }).trainAsync(trainerRunOptions(o));
  return { dpo, train: mined.train, validation: mined.validation, finalDir: saveFinalPolicy(o, started) };
}
