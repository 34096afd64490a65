import { CliError, type CliCommand, commandFlags } from '../args.js';
import { loadModel, ModelLoadError } from '../../models/load.js';
import { ModelConfigError } from '../../models/config.js';
import { CheckpointError } from '../../formats/errors.js';
import { HubError } from '../../formats/hub.js';
import { QuantizedDense, WeightMismatchError } from '../../models/decoder.js';
import { generateText } from '../../generate/text.js';
import { applyChatTemplate } from '../../tokenizer/chat-template.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { QUANTIZE_TYPES, type QuantizeType } from '../../tensor/quant.js';
import { modelLoadProgress } from '../load-progress.js';

const summary = 'Generate text from a model (Hugging Face directory, .gguf or llama2.c .bin); prints only the generated text.';

const flags = {
  model: { kind: 'string', help: 'model directory or checkpoint file', required: true },
  prompt: { kind: 'string', help: 'the prompt text', required: true },
  maxTokens: { kind: 'int', help: 'most tokens to generate', default: 128, min: 1 },
  temperature: { kind: 'number', help: 'sampling temperature; 0 is greedy', default: 0, min: 0 },
  topP: { kind: 'number', help: 'nucleus sampling threshold in (0, 1]', default: 1, min: 0, minExclusive: true, max: 1 },
  topK: { kind: 'int', help: 'sample among the k most likely tokens; 0 is all', default: 0, min: 0 },
  repetitionPenalty: { kind: 'number', help: 'penalty > 1 for tokens already present', default: 1, min: 0, minExclusive: true },
  seed: { kind: 'int', help: 'random seed for sampling', default: 0 },
  stop: { kind: 'string', help: 'stop string (repeatable)', repeat: true },
  chat: { kind: 'boolean', help: "wrap the prompt as a user turn in the model's chat template" },
  tokenizer: { kind: 'string', help: 'tokenizer file (default: the one with the model; llama2.c: tok*.bin beside it)' },
  quantize: {
    kind: 'string', choices: QUANTIZE_TYPES,
    help: "store the model's matrices on load as Q8_0 / Q4_0 blocks (int8 dot products), bf16 (half the bytes of fp32; bf16 dot products) or NF4 (QLoRA's 4-bit NormalFloat); a GGUF's own Q8_0 / Q4_0 / Q4_K / BF16 matrices are always kept as they are",
  },
} as const;

export const command: CliCommand = {
  summary,
  async run(argv) {
    const options = commandFlags(argv, 'generate', summary, flags);
    if (options === null) return 0;
    if (options.stop.some((s) => s.length === 0)) throw new CliError('--stop must not be empty');
    let loaded;
    try {
      // Generation never trains, so a checkpoint's quantized matrices stay quantized.
      const quantize = options.quantize as QuantizeType | undefined;
      loaded = await loadModel(options.model, {
        onProgress: modelLoadProgress(), keepQuantized: true, ...(quantize === undefined ? {} : { quantize }),
        ...(options.tokenizer === undefined ? {} : { tokenizer: options.tokenizer }),
      });
    } catch (err) {
      const userErrors = [ModelLoadError, ModelConfigError, CheckpointError, HubError, WeightMismatchError];
      if (userErrors.some((kind) => err instanceof kind)) throw new CliError((err as Error).message);
      throw err;
    }
    const q = loaded.model.layers[0]?.selfAttn.qProj;
    const weights = q instanceof QuantizedDense ? `, ${q.weight.type} weights` : '';
    process.stderr.write(`loaded ${options.model} (${loaded.source}, ${loaded.config.family}, ${loaded.config.layers} layers${weights})\n`);
    const { tokenizer, config } = loaded;
    const prompt = options.chat ? chatPrompt(tokenizer, options.prompt, options.model) : tokenizer.encode(options.prompt, { addBos: tokenizer.bosId !== undefined });
    if (prompt.length + options.maxTokens > config.maxPositions) {
      const room = config.maxPositions - prompt.length;
      throw new CliError(
        room < 1
          ? `--prompt is ${prompt.length} tokens, more than the ${config.maxPositions} positions ${options.model} holds; shorten it`
          : `--max-tokens ${options.maxTokens} does not fit: ${options.model} holds ${config.maxPositions} positions and the prompt takes ${prompt.length}, so the largest --max-tokens that works is ${room}`,
      );
    }
    const started = Date.now();
    let result;
    try {
      result = generateText(loaded, prompt, {
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        topP: options.topP,
        topK: options.topK,
        repetitionPenalty: options.repetitionPenalty,
        seed: options.seed,
        stopStrings: options.stop,
        onText: (text) => process.stdout.write(text),
      });
    } catch (err) {
      // Out-of-range sampling options and prompts longer than the model's context are the user's to fix.
      if (err instanceof RangeError) throw new CliError(err.message);
      throw err;
    }
    process.stdout.write('\n');
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`${result.tokens.length} tokens in ${seconds.toFixed(2)} s (${result.finishReason})\n`);
    return 0;
  },
};

/** The prompt as one user turn of the tokenizer's chat template, ready for the assistant's reply. */
function chatPrompt(tokenizer: Tokenizer, prompt: string, model: string): number[] {
  if (tokenizer.chatTemplate === undefined) throw new CliError(`--chat: ${model} has no chat template`);
  const special = (id: number | undefined): string => (id === undefined ? '' : (tokenizer.idToToken(id) ?? ''));
  const text = applyChatTemplate(tokenizer.chatTemplate, [{ role: 'user', content: prompt }], {
    addGenerationPrompt: true,
    bosToken: special(tokenizer.bosId),
    eosToken: special(tokenizer.eosId),
  });
  return tokenizer.encode(text);
}
