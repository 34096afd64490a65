/**
 * A tiny function-calling world for the DPO and RL tests: a few weather examples, a BPE tokenizer trained on their
 * text, a random model small enough to train in seconds, a short system prompt (the prompting style's default, the
 * leaderboard's, runs to hundreds of tokens), an SFT run that teaches the model the answers, and the adapter and
 * sampling the tests train on top of it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecoderModel } from '../../../models/decoder.js';
import type { ChatToolSpec } from '../../../tokenizer/chat-template.js';
import type { Tokenizer } from '../../../tokenizer/types.js';
import { defaultSftConfig, type SftConfig } from '../../../train/objectives/sft.js';
import { RunDirectory } from '../../../train/run-dir.js';
import { scratchModel, trainScratchTokenizer } from '../../../train/scratch.js';
import type { FcExample } from '../data.js';
import { styledConversation, type FcRenderOptions } from '../train-render.js';
import { trainFunctionCallingSft } from '../train-sft.js';

export const weatherTool: ChatToolSpec = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } },
};

/** Weather in `city` for `days` days, called with both arguments. */
export function weatherExample(city: string, days: number): FcExample {
  return {
    id: `weather/${city}`,
    source: `tiny:${city}`,
    tools: [weatherTool],
    messages: [
      { role: 'user', content: `Weather in ${city} for ${days} days?` },
      { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city, days } } }] },
    ],
  };
}

export const tinyExamples: readonly FcExample[] = [weatherExample('Paris', 3), weatherExample('Oslo', 2), weatherExample('Rome', 5), weatherExample('Lima', 4)];

export const tinyRender: FcRenderOptions = { style: 'prompting', systemPrompt: (tools) => `Call one of: ${tools.map((t) => t.function.name).join(', ')}` };

export function tinyTokenizer(): Tokenizer {
  const texts = tinyExamples.flatMap((e) => styledConversation(e, tinyRender).messages.map((m) => m.content));
  return trainScratchTokenizer([...texts, ...texts, ...texts], 320);
}

export function tinyModel(tokenizer: Tokenizer, seed = 1): DecoderModel {
  return scratchModel(tokenizer, { vocabSize: tokenizer.vocabSize, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions: 256, seed });
}

export const tinyConfig = (tokenizer: Tokenizer, overrides: Partial<SftConfig> = {}): SftConfig => ({
  ...defaultSftConfig, batchSize: 4, maxLength: 128, padId: tokenizer.eosId ?? 0, lr: 3e-2, warmup: 0, epochs: 1, checkpointEvery: 0, schedule: 'constant', ...overrides,
});

/** The LoRA adapter the DPO and RL tests train on the SFT model. */
export const tinyPolicyLora = { rank: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'v_proj'], seed: 3 };

/** How the DPO and RL tests sample the SFT model: 6 answers per prompt at temperature 1, each at most 24 tokens. */
export const tinySampling = { samples: 6, temperature: 1, maxTokens: 24 };

/** The tiny model after `epochs` of SFT on `train` (default: the tiny examples): LoRA (its adapters still applied) or every weight. */
export async function tinySftModel(tokenizer: Tokenizer, epochs: number, kind: 'lora' | 'full', lr: number, train: readonly FcExample[] = tinyExamples): Promise<{ model: DecoderModel; loss: number }> {
  const model = tinyModel(tokenizer);
  const run = RunDirectory.open(join(mkdtempSync(join(tmpdir(), 'toolken-tiny-sft-')), 'run'), { resume: false });
  const result = await trainFunctionCallingSft({
    model, tokenizer, train, render: tinyRender, run, showProgress: false,
    adapter: kind === 'full' ? { kind } : { kind, lora: { rank: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'down_proj', 'up_proj'], seed: 1 } },
    sft: tinyConfig(tokenizer, { epochs, lr }),
  });
  return { model, loss: result.sft.finalLoss };
}
