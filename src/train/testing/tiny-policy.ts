/**
 * A tiny LoRA policy for the preference and RL objectives' tests, and log-probs computed apart from the training
 * path (a float64 log-softmax of the generation path's full logits) to check them against.
 */
import { DecoderModel } from '../../models/decoder.js';
import type { DecoderConfig } from '../../models/config.js';
import { applyLora, LoraProjection } from '../../models/lora.js';

export const tinyPolicyConfig: DecoderConfig = {
  family: 'llama', vocabSize: 12, dim: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, hiddenDim: 24, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 32, bosTokenId: 1, eosTokenIds: [2],
};

/**
 * A random model with LoRA adapters on every projection; with `perturb` their B matrices are non-zero, so the policy
 * already differs from its reference (adapters off), as after some training.
 */
export function tinyLoraPolicy(seed: number, perturb: boolean): DecoderModel {
  const model = DecoderModel.random(tinyPolicyConfig, seed, 0.3);
  applyLora(model, { rank: 2, alpha: 4, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], seed });
  if (perturb) {
    let k = seed;
    model.mapProjections((_, p) => {
      if (p instanceof LoraProjection) {
        const data = p.loraB.backend.download(p.loraB.storage);
        for (let i = 0; i < p.loraB.size; i++) data[i] = 0.2 * Math.sin(++k);
      }
      return p;
    });
  }
  return model;
}

/** log p(completion | prompt) from the generation path's logits, summed in float64. */
export function directLogProb(model: DecoderModel, prompt: readonly number[], completion: readonly number[]): number {
  return directTokenLogProbs(model, prompt, completion).reduce((a, b) => a + b, 0);
}

/** log p(completion[i] | prompt, completion[..i]) for each i, in float64 from the generation path's logits. */
export function directTokenLogProbs(model: DecoderModel, prompt: readonly number[], completion: readonly number[]): number[] {
  const sequence = [...prompt, ...completion];
  const logits = model.logitsAt(sequence);
  const vocab = model.outputSize;
  return completion.map((token, i) => {
    const row = logits.subarray((prompt.length + i - 1) * vocab, (prompt.length + i) * vocab);
    const max = Math.max(...row);
    return row[token]! - max - Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  });
}
