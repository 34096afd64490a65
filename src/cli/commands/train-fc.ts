/**
 * `toolken train sft|dpo|rl`: function-calling fine-tuning (src/methods/function-calling) on checked examples into a
 * resumable run directory. SFT trains a model; DPO and RL (reward-filtered or GRPO) start from an SFT model — a
 * model directory, or the PEFT adapter directory `train sft` writes to final/ — and train LoRA (PEFT adapter in
 * final/) or every weight. The data, split, adapter and trainer flags are shared by the three.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic, writeFileAtomic } from '../../util/fs.js';
import type { LoadedModel } from '../../models/load.js';
import { loadLoraAdapter, readLoraConfig } from '../../models/lora.js';
import { checkExamples, type CheckedExamples } from '../../methods/function-calling/data-check.js';
import { loadDataSource } from '../../methods/function-calling/data-sources.js';
import { splitFcExamples, splitManifest, type FcSplit } from '../../methods/function-calling/splits.js';
import type { FcPolicyOptions, FcSampling } from '../../methods/function-calling/train-policy.js';
import { FC_STYLES, type FcStyle } from '../../methods/function-calling/train-render.js';
import { trainFunctionCallingDpo } from '../../methods/function-calling/train-dpo.js';
import { FC_RL_METHODS, trainFunctionCallingRl, type FcRlMethod } from '../../methods/function-calling/train-rl.js';
import { DEFAULT_LORA_TARGETS, trainFunctionCallingSft, type FcAdapter } from '../../methods/function-calling/train-sft.js';
import type { SftConfig } from '../../train/objectives/sft.js';
import type { RunDirectory } from '../../train/run-dir.js';
import type { TrainResult } from '../../train/trainer.js';
import { CliCommand, CliError, commandFlags, type ParsedFlags } from '../args.js';
import { checkFraction, checkPositive, openRunDirectory, sftConfigFromFlags, trainInRun, TRAINER_FLAGS } from './train-flags.js';
import { readModelFlag, userInput, userInputAsync } from './toolgen-inputs.js';
import { interruptible } from '../interrupt.js';
import { QUANTIZE_TYPES, type QuantizeType } from '../../tensor/quant.js';

const DATA_FLAGS = {
  data: { kind: 'string', repeat: true, help: 'training data, repeatable: bfcl:DIR[:CATEGORY,...], seal-tools:DIR, api-bank:DIR, toolalpaca:FILE, demo[:PER_TOOL], or a JSON-lines file of {"messages", "tools"} examples' },
  out: { kind: 'string', required: true, help: 'run directory (config, split.json, data-failures.txt, metrics.jsonl, checkpoints, final/)' },
  style: { kind: 'string', choices: FC_STYLES, default: 'fc', help: 'fc: tools through the chat template, calls as its tool_calls; prompting: tools in a system prompt, calls in Python syntax' },
  valFraction: { kind: 'number', default: 0.05, help: 'share of the examples held out for validation and the best checkpoint' },
  testFraction: { kind: 'number', default: 0.2, help: 'share of the BFCL examples held out as the test split (never trained on; ids in split.json)' },
  rejectInvalid: { kind: 'boolean', help: 'refuse the data when an example fails the BFCL checker (default: skip it and report it)' },
} as const;

const ADAPTER_FLAGS = {
  loraRank: { kind: 'int', default: 8, help: 'LoRA rank' },
  loraAlpha: { kind: 'number', help: 'LoRA alpha (the update is scaled by alpha / rank; default: 2 x rank)' },
  loraDropout: { kind: 'number', default: 0, help: 'dropout on the adapters\' input while training, in [0, 1)' },
  loraTargets: { kind: 'list', default: [...DEFAULT_LORA_TARGETS], help: 'projections LoRA wraps (comma-separated module names)' },
  full: { kind: 'boolean', help: 'full fine-tuning instead of LoRA (final/ is then a model directory)' },
} as const;

const QUANTIZE_FLAG = {
  quantize: {
    kind: 'string', choices: QUANTIZE_TYPES,
    help: 'QLoRA: keep the frozen base in Q8_0 / Q4_0 blocks, bf16, or NF4 (QLoRA\'s 4-bit NormalFloat, 64-value blocks with an fp32 absmax) (a GGUF\'s own Q8_0 / Q4_0 / Q4_K / BF16 matrices stay as they are), the LoRA adapters train in fp32 over it',
  },
} as const;

/** The flags of the runs after SFT: the SFT model and sampling the policy's own answers. */
const POLICY_FLAGS = {
  model: { kind: 'string', required: true, help: 'the SFT model: a model directory, or the PEFT adapter directory `toolken train sft` writes (its final/)' },
  base: { kind: 'string', help: 'with an adapter --model: its base model (default: the adapter\'s base_model_name_or_path)' },
  samples: { kind: 'int', default: 4, min: 1, help: 'answers sampled per prompt (DPO and reward filtering: N; GRPO: the group size, at least 2)' },
  temperature: { kind: 'number', default: 1, min: 0, minExclusive: true, help: 'sampling temperature of the policy\'s answers' },
  topP: { kind: 'number', min: 0, minExclusive: true, max: 1, help: 'nucleus sampling of the answers (default: off)' },
  maxTokens: { kind: 'int', default: 128, min: 1, help: 'most tokens per sampled answer' },
} as const;

type DataFlags = ParsedFlags<typeof DATA_FLAGS>;
type AdapterFlags = ParsedFlags<typeof ADAPTER_FLAGS>;
type PolicyFlags = ParsedFlags<typeof POLICY_FLAGS>;

/** Checks the adapter flags (before anything loads) and turns them into what trains. */
function adapterFromFlags(f: AdapterFlags & { seed: number }, argv: readonly string[]): FcAdapter {
  checkFraction('lora-dropout', f.loraDropout);
  checkPositive('lora-rank', f.loraRank);
  if (f.loraAlpha !== undefined) checkPositive('lora-alpha', f.loraAlpha);
  if (f.full && (f.loraAlpha !== undefined || argv.some((a) => a.startsWith('--lora-')))) throw new CliError('--full trains every weight: drop the --lora-* flags');
  if (!f.full && f.loraTargets.length === 0) throw new CliError('--lora-targets: name at least one projection');
  return f.full
    ? { kind: 'full' }
    : { kind: 'lora', lora: { rank: f.loraRank, alpha: f.loraAlpha ?? 2 * f.loraRank, dropout: f.loraDropout, targetModules: f.loraTargets, seed: f.seed } };
}

/** The data flags' examples, checked by the BFCL checker and split; what was skipped is reported on stderr. */
function trainingData(f: DataFlags & { seed: number }): { checked: CheckedExamples; split: FcSplit; total: number } {
  if (f.data.length === 0) throw new CliError('give --data (bfcl:DIR, seal-tools:DIR, api-bank:DIR, toolalpaca:FILE, demo or a JSON-lines file; repeatable)');
  checkFraction('val-fraction', f.valFraction);
  checkFraction('test-fraction', f.testFraction);
  const examples = f.data.flatMap((spec) => userInput(`--data ${spec}`, () => loadDataSource(spec, f.seed)));
  const checked = userInput('--data', () => checkExamples(examples, f.rejectInvalid ? 'reject' : 'skip'));
  for (const line of checked.failures.slice(0, 5)) process.stderr.write(`skipped ${line}\n`);
  if (checked.failures.length > 0) process.stderr.write(`skipped ${checked.failures.length} of ${examples.length} examples that fail the BFCL checker (all listed in ${f.out}/data-failures.txt)\n`);
  const split = userInput('--data', () => splitFcExamples(checked.passed, { seed: f.seed, validation: f.valFraction, test: f.testFraction }));
  if (split.train.length === 0) throw new CliError('no training example left after the checker and the split');
  process.stderr.write(`examples: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} BFCL test (held out)${split.dropped.length > 0 ? `, ${split.dropped.length} dropped as test questions` : ''}\n`);
  return { checked, split, total: examples.length };
}

/** The run's record of its data: the --data values (files resolved) and the flags that shape the split. */
const dataConfig = (f: DataFlags) => ({
  data: f.data.map((d) => (d.includes(':') || d === 'demo' ? d : resolve(d))), style: f.style, valFraction: f.valFraction, testFraction: f.testFraction, rejectInvalid: f.rejectInvalid,
});

function writeDataFiles(run: RunDirectory, data: { checked: CheckedExamples; split: FcSplit }): void {
  writeJsonAtomic(run.file('split.json'), splitManifest(data.split));
  writeFileAtomic(run.file('data-failures.txt'), data.checked.failures.map((l) => l + '\n').join(''));
}

/**
 * Runs training so that the first Ctrl-C stops it at the next step with a checkpoint and exits 130 saying how to
 * resume (as the ToolGen stages do); library errors about the input become one-line CLI errors, and a run that fails
 * before it recorded anything leaves no run directory behind.
 */
function interruptibleRun<T>(run: RunDirectory, out: string, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const resumeHint = `a checkpoint of the last step is in ${out}; run the same command with --resume to continue from it`;
  return trainInRun(run, () => interruptible(resumeHint, (signal) => userInputAsync(what, () => work(signal))));
}

function reportTraining(what: string, result: TrainResult, started: number, finalDir: string): void {
  const best = result.best ? `, best step ${result.best.step} (score ${result.best.score.toFixed(4)})` : '';
  process.stderr.write(`${what}: ${result.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${result.finalLoss.toFixed(4)}${best}\n`);
  process.stdout.write(finalDir + '\n');
}

const sftFlags = {
  model: { kind: 'string', required: true, help: 'model directory or Hugging Face id (a Qwen2.5 / Llama-3.2 checkpoint, or one `toolken init` made)' },
  ...DATA_FLAGS,
  ...ADAPTER_FLAGS,
  ...QUANTIZE_FLAG,
  ...TRAINER_FLAGS,
} as const;

const sftSummary = 'Fine-tune a model to call functions (SFT, loss on the assistant\'s calls only) into a run directory';

export const sftCommand: CliCommand = {
  summary: sftSummary,
  async run(argv) {
    const f = commandFlags(argv, 'train sft', sftSummary + '.', sftFlags);
    if (f === null) return 0;
    const sft = sftConfigFromFlags(f);
    const adapter = adapterFromFlags(f, argv);
    const quantize = f.quantize as QuantizeType | undefined;
    if (quantize !== undefined && adapter.kind === 'full') throw new CliError('--quantize freezes the base in quantized blocks, which --full would train: drop one of them');
    const data = trainingData(f);
    const loaded = await readModelFlag(f.model, '--model', quantize === undefined ? {} : { keepQuantized: true, quantize });
    const run = openRunDirectory(f.out, f.resume, { method: 'sft', model: f.model, ...dataConfig(f), adapter, sft, ...(quantize === undefined ? {} : { quantize }) });
    writeDataFiles(run, data);
    const started = performance.now();
    const result = await interruptibleRun(run, f.out, 'train sft', (signal) =>
      trainFunctionCallingSft({
        model: loaded.model, tokenizer: loaded.tokenizer, train: data.split.train, validation: data.split.validation,
        render: { style: f.style as FcStyle }, adapter, sft: { ...sft, padId: loaded.tokenizer.eosId ?? 0 }, run, baseModel: f.model, signal,
      }),
    );
    if (result.truncatedExamples > 0) process.stderr.write(`left out ${result.truncatedExamples} training examples whose answer lies beyond --max-length ${sft.maxLength}\n`);
    reportTraining('sft', result.sft, started, result.finalDir);
    return 0;
  },
};

/** The SFT model of --model: a model directory, or a PEFT adapter directory loaded onto its base. */
async function readSftModel(f: PolicyFlags): Promise<{ loaded: LoadedModel; baseModel: string }> {
  const isAdapter = existsSync(join(f.model, 'adapter_config.json'));
  if (!isAdapter) {
    if (f.base !== undefined) throw new CliError(`--base is for an adapter --model; ${f.model} has no adapter_config.json`);
    return { loaded: await readModelFlag(f.model), baseModel: f.model };
  }
  userInput(`--model ${f.model}`, () => readLoraConfig(f.model));
  const recorded = userInput(`--model ${f.model}`, () => (JSON.parse(readFileSync(join(f.model, 'adapter_config.json'), 'utf8')) as { base_model_name_or_path?: unknown }).base_model_name_or_path);
  const base = f.base ?? (typeof recorded === 'string' && recorded !== '' ? recorded : undefined);
  if (base === undefined) throw new CliError(`--model ${f.model} is a PEFT adapter that names no base model (base_model_name_or_path); give --base`);
  const loaded = await readModelFlag(base, '--base');
  userInput(`--model ${f.model}`, () => loadLoraAdapter(loaded.model, f.model));
  return { loaded, baseModel: base };
}

/** Checks the sampling flags; GRPO compares each answer with its group, so it needs two at least. */
function samplingFromFlags(f: PolicyFlags, groups: boolean): FcSampling {
  if (groups && f.samples < 2) throw new CliError(`--samples must be at least 2 for GRPO (a group), got ${f.samples}`);
  return { samples: f.samples, temperature: f.temperature, ...(f.topP !== undefined ? { topP: f.topP } : {}), maxTokens: f.maxTokens };
}

/** Everything a run after SFT needs from the shared flags, loaded; the run directory opened with `config`. */
async function policyRun(f: PolicyFlags & DataFlags & AdapterFlags & ParsedFlags<typeof TRAINER_FLAGS>, argv: readonly string[], method: string, extra: Record<string, unknown>, groups: boolean): Promise<{ options: FcPolicyOptions; config: SftConfig }> {
  const config = sftConfigFromFlags(f);
  const adapter = adapterFromFlags(f, argv);
  const sampling = samplingFromFlags(f, groups);
  const data = trainingData(f);
  const { loaded, baseModel } = await readSftModel(f);
  // Full fine-tuning has no adapters to switch off: a second copy of the SFT model, never trained, is the reference.
  const reference = adapter.kind === 'full' ? (await readSftModel(f)).loaded.model : undefined;
  // In evaluation mode: an SFT adapter's dropout must not act on the reference's log-probs.
  reference?.train(false);
  const run = openRunDirectory(f.out, f.resume, { method, model: f.model, base: baseModel, ...dataConfig(f), adapter, sampling, ...extra, trainer: config });
  writeDataFiles(run, data);
  const options: FcPolicyOptions = {
    model: loaded.model, tokenizer: loaded.tokenizer, train: data.split.train, validation: data.split.validation, render: { style: f.style as FcStyle },
    adapter, sampling, run, baseModel, ...(reference !== undefined ? { reference } : {}),
  };
  return { options, config: { ...config, padId: loaded.tokenizer.eosId ?? 0 } };
}

const dpoFlags = {
  ...POLICY_FLAGS,
  beta: { kind: 'number', default: 0.1, min: 0, minExclusive: true, help: 'DPO beta: how strongly the policy is held to the SFT model (small lets it move further)' },
  pairsPerPrompt: { kind: 'int', default: 1, min: 1, help: 'pairs per prompt at most, each with a distinct wrong answer of the SFT model' },
  nllWeight: { kind: 'number', default: 0, min: 0, help: 'add this weight times the gold answers\' per-token NLL to the DPO loss (RPO: holds up their likelihood, which DPO alone can lower); 0: plain DPO' },
  ...DATA_FLAGS,
  ...ADAPTER_FLAGS,
  ...TRAINER_FLAGS,
} as const;

const dpoSummary = 'DPO after SFT: the gold call preferred to the SFT model\'s own answers that the BFCL checker rejects';

export const dpoCommand: CliCommand = {
  summary: dpoSummary,
  async run(argv) {
    const f = commandFlags(argv, 'train dpo', dpoSummary + '. Prompts whose samples are all right give no pair; dpo-pairs.json in the run lists the pairs.', dpoFlags);
    if (f === null) return 0;
    const { options, config } = await policyRun(f, argv, 'dpo', { beta: f.beta, pairsPerPrompt: f.pairsPerPrompt, nllWeight: f.nllWeight }, false);
    const started = performance.now();
    const result = await interruptibleRun(options.run, f.out, 'train dpo', (signal) => trainFunctionCallingDpo({ ...options, config, beta: f.beta, pairsPerPrompt: f.pairsPerPrompt, nllWeight: f.nllWeight, signal }));
    const { train, validation } = result;
    process.stderr.write(`dpo pairs: ${train.pairs.length} mined from ${train.prompts} prompts x ${f.samples} samples; skipped ${train.skippedAllCorrect} prompts answered right in every sample, ${train.skippedTooLong} that do not fit; ${validation.pairs.length} validation pairs\n`);
    reportTraining('dpo', result.dpo, started, result.finalDir);
    return 0;
  },
};

const rlFlags = {
  method: { kind: 'string', choices: FC_RL_METHODS, required: true, help: 'filtered: sample N answers per prompt, keep the BFCL checker\'s passes, fine-tune on them; grpo: group-normalised policy gradient with the checker\'s reward and a KL penalty' },
  ...POLICY_FLAGS,
  beta: { kind: 'number', default: 0.04, min: 0, help: 'grpo: KL coefficient toward the SFT model' },
  clipRange: { kind: 'number', default: 0.2, min: 0, minExclusive: true, max: 1, help: 'grpo: the ratio clip of the surrogate' },
  partialCredit: { kind: 'boolean', help: 'grpo: reward rejected answers by rule (valid syntax, right functions, right argument names; < 1 in all)' },
  ...DATA_FLAGS,
  ...ADAPTER_FLAGS,
  ...TRAINER_FLAGS,
} as const;

const rlSummary = 'RL after SFT with the BFCL checker as the reward: reward-filtered fine-tuning or GRPO';

export const rlCommand: CliCommand = {
  summary: rlSummary,
  async run(argv) {
    const f = commandFlags(argv, 'train rl', rlSummary + '.', rlFlags);
    if (f === null) return 0;
    const method = f.method as FcRlMethod;
    if (method === 'filtered' && (f.partialCredit || argv.some((a) => a === '--clip-range' || a.startsWith('--clip-range=') || a === '--beta' || a.startsWith('--beta=')))) {
      throw new CliError('--beta, --clip-range and --partial-credit are GRPO settings: drop them with --method filtered');
    }
    const grpo = { beta: f.beta, clipRange: f.clipRange, partialCredit: f.partialCredit };
    const { options, config } = await policyRun(f, argv, `rl-${method}`, method === 'grpo' ? { grpo } : {}, method === 'grpo');
    const started = performance.now();
    const result = await interruptibleRun(options.run, f.out, 'train rl', (signal) => trainFunctionCallingRl({ ...options, config, method, grpo, signal }));
    const kept = result.filtered;
    if (kept !== undefined) process.stderr.write(`reward filtering: ${kept.accepted} of ${kept.sampled} samples passed the checker (${kept.promptsPassed} of ${result.prompts} prompts), ${kept.examples.length} distinct kept\n`);
    if (result.skippedTooLong > 0) process.stderr.write(`left out ${result.skippedTooLong} training examples whose prompt does not fit --max-length ${config.maxLength} or, with --max-tokens, the model's context\n`);
    reportTraining(`rl ${method}`, result.train, started, result.finalDir);
    return 0;
  },
};
