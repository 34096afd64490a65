/**
 * A small, fully deterministic SFT run used by the Trainer's resume tests: run as a child process so that the test can kill
 * it at an arbitrary moment. Usage: node --import tsx tiny-run.ts <run-dir> [--lora]. Prints "STEP <n> <loss>" per
 * step and "DONE <steps> resumed=<step|none> weights=<checksum>" at the end. With --lora only LoRA adapters with
 * dropout train, so resuming must also restore the dropout generator; with --average the final weights are a moving
 * average, so resuming must also restore the average.
 */
import { DecoderModel } from '../../models/decoder.js';
import { applyLora } from '../../models/lora.js';
import { parseHfConfig } from '../../models/config.js';
import { Rng } from '../../tensor/random.js';
import { IGNORE_INDEX } from '../batches.js';
import type { TokenizedExample } from '../batches.js';
import { RunDirectory } from '../run-dir.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../objectives/sft.js';
import { Trainer } from '../trainer.js';

export const tinyConfig = parseHfConfig({
  model_type: 'llama', vocab_size: 48, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, intermediate_size: 64, max_position_embeddings: 64, rms_norm_eps: 1e-5, tie_word_embeddings: false,
});

/** 20 examples: a 4-token "prompt" without loss, then a continuation that depends on it. */
export function tinyExamples(): TokenizedExample[] {
  const rng = new Rng(7);
  return Array.from({ length: 20 }, () => {
    const prompt = Array.from({ length: 4 }, () => 2 + rng.int(40));
    const answer = prompt.map((x) => ((x * 3) % 40) + 2);
    const inputIds = [1, ...prompt, ...answer];
    const labels = inputIds.map((x, i) => (i <= prompt.length ? IGNORE_INDEX : x));
    return { inputIds, labels };
  });
}

export const tinySftConfig: SftConfig = {
  ...defaultSftConfig, epochs: 3, batchSize: 4, gradAccumulation: 2, lr: 3e-3, warmup: 2, checkpointEvery: 2, seed: 11,
};

if (process.argv[1]?.endsWith('tiny-run.ts')) {
  const runDir = process.argv[2];
  if (runDir === undefined) throw new Error('usage: tiny-run.ts <run-dir>');
  const model = DecoderModel.random(tinyConfig, 3);
  if (process.argv.includes('--lora')) applyLora(model, { rank: 4, alpha: 8, dropout: 0.2, targetModules: ['q_proj', 'v_proj', 'down_proj'], seed: 1 });
  const run = RunDirectory.open(runDir, { resume: true });
  const averageDecay = process.argv.includes('--average') ? 0.8 : 0;
  const config = { ...tinySftConfig, averageDecay };
  const objective = new SftObjective({ model, train: tinyExamples(), settings: config });
  const result = new Trainer({ model, objective, config }).train({
    run, showProgress: false, onStep: (step, loss) => process.stdout.write(`STEP ${step} ${loss}\n`),
  });
  let checksum = 0;
  for (const [, p] of model.trainableParameters()) p.toArray().forEach((v, i) => (checksum += v * ((i % 7) + 1)));
  process.stdout.write(`DONE ${result.steps} resumed=${result.resumedFrom ?? 'none'} weights=${checksum}\n`);
}
