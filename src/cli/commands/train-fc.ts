/**
 * `toolken train sft`: function-calling fine-tuning (src/methods/function-calling) of a model on checked examples,
 * LoRA (PEFT adapter in final/) or full, into a resumable run directory.
 */
import { resolve } from 'node:path';
import { writeJsonAtomic, writeFileAtomic } from '../../util/fs.js';
import { checkExamples } from '../../methods/function-calling/data-check.js';
import { loadDataSource } from '../../methods/function-calling/data-sources.js';
import { splitFcExamples, splitManifest } from '../../methods/function-calling/splits.js';
import { FC_STYLES, type FcStyle } from '../../methods/function-calling/train-render.js';
import { DEFAULT_LORA_TARGETS, trainFunctionCallingSft, type FcAdapter } from '../../methods/function-calling/train-sft.js';
import { CliCommand, CliError, commandFlags } from '../args.js';
import { checkFraction, checkPositive, openRunDirectory, sftConfigFromFlags, TRAINER_FLAGS } from './train-flags.js';
import { readModelFlag, userInput } from './toolgen-inputs.js';

const flags = {
  model: { kind: 'string', required: true, help: 'model directory or Hugging Face id (a Qwen2.5 / Llama-3.2 checkpoint, or one `toolken init` made)' },
  data: { kind: 'string', repeat: true, help: 'training data, repeatable: bfcl:DIR[:CATEGORY,...], seal-tools:DIR, api-bank:DIR, toolalpaca:FILE, demo[:PER_TOOL], or a JSON-lines file of {"messages", "tools"} examples' },
  out: { kind: 'string', required: true, help: 'run directory (config, split.json, data-failures.txt, metrics.jsonl, checkpoints, final/)' },
  style: { kind: 'string', choices: FC_STYLES, default: 'fc', help: 'fc: tools through the chat template, calls as its tool_calls; prompting: tools in a system prompt, calls in Python syntax' },
  loraRank: { kind: 'int', default: 8, help: 'LoRA rank' },
  loraAlpha: { kind: 'number', help: 'LoRA alpha (the update is scaled by alpha / rank; default: 2 x rank)' },
  loraDropout: { kind: 'number', default: 0, help: 'dropout on the adapters\' input while training, in [0, 1)' },
  loraTargets: { kind: 'list', default: [...DEFAULT_LORA_TARGETS], help: 'projections LoRA wraps (comma-separated module names)' },
  full: { kind: 'boolean', help: 'full fine-tuning instead of LoRA (final/ is then a model directory)' },
  valFraction: { kind: 'number', default: 0.05, help: 'share of the examples held out for validation and the best checkpoint' },
  testFraction: { kind: 'number', default: 0.2, help: 'share of the BFCL examples held out as the test split (never trained on; ids in split.json)' },
  rejectInvalid: { kind: 'boolean', help: 'refuse the data when an example fails the BFCL checker (default: skip it and report it)' },
  ...TRAINER_FLAGS,
} as const;

const summary = 'Fine-tune a model to call functions (SFT, loss on the assistant\'s calls only) into a run directory';

export const sftCommand: CliCommand = {
  summary,
  async run(argv) {
    const f = commandFlags(argv, 'train sft', summary + '.', flags);
    if (f === null) return 0;
    const sft = sftConfigFromFlags(f);
    if (f.data.length === 0) throw new CliError('give --data (bfcl:DIR, seal-tools:DIR, api-bank:DIR, toolalpaca:FILE, demo or a JSON-lines file; repeatable)');
    checkFraction('val-fraction', f.valFraction);
    checkFraction('test-fraction', f.testFraction);
    checkFraction('lora-dropout', f.loraDropout);
    checkPositive('lora-rank', f.loraRank);
    if (f.loraAlpha !== undefined) checkPositive('lora-alpha', f.loraAlpha);
    if (f.full && (f.loraAlpha !== undefined || argv.some((a) => a.startsWith('--lora-')))) throw new CliError('--full trains every weight: drop the --lora-* flags');
    if (!f.full && f.loraTargets.length === 0) throw new CliError('--lora-targets: name at least one projection');
    const adapter: FcAdapter = f.full
      ? { kind: 'full' }
      : { kind: 'lora', lora: { rank: f.loraRank, alpha: f.loraAlpha ?? 2 * f.loraRank, dropout: f.loraDropout, targetModules: f.loraTargets, seed: f.seed } };

    const examples = f.data.flatMap((spec) => userInput(`--data ${spec}`, () => loadDataSource(spec, f.seed)));
    const checked = userInput('--data', () => checkExamples(examples, f.rejectInvalid ? 'reject' : 'skip'));
    for (const line of checked.failures.slice(0, 5)) process.stderr.write(`skipped ${line}\n`);
    if (checked.failures.length > 0) process.stderr.write(`skipped ${checked.failures.length} of ${examples.length} examples that fail the BFCL checker (all listed in ${f.out}/data-failures.txt)\n`);
    const split = userInput('split', () => splitFcExamples(checked.passed, { seed: f.seed, validation: f.valFraction, test: f.testFraction }));
    if (split.train.length === 0) throw new CliError('no training example left after the checker and the split');
    process.stderr.write(`examples: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} BFCL test (held out)${split.dropped.length > 0 ? `, ${split.dropped.length} dropped as test questions` : ''}\n`);

    const loaded = await readModelFlag(f.model);
    const config = {
      method: 'sft', model: f.model, data: f.data.map((d) => (d.includes(':') || d === 'demo' ? d : resolve(d))), style: f.style,
      adapter, valFraction: f.valFraction, testFraction: f.testFraction, rejectInvalid: f.rejectInvalid, sft,
    };
    const run = openRunDirectory(f.out, f.resume, config);
    writeJsonAtomic(run.file('split.json'), splitManifest(split));
    writeFileAtomic(run.file('data-failures.txt'), checked.failures.map((l) => l + '\n').join(''));
    const started = performance.now();
    const result = userInput('train sft', () =>
      trainFunctionCallingSft({
        model: loaded.model, tokenizer: loaded.tokenizer, train: split.train, validation: split.validation,
        render: { style: f.style as FcStyle }, adapter, sft: { ...sft, padId: loaded.tokenizer.eosId ?? 0 }, run, baseModel: f.model,
      }),
    );
    const best = result.sft.best ? `, best step ${result.sft.best.step} (score ${result.sft.best.score.toFixed(4)})` : '';
    if (result.truncatedExamples > 0) process.stderr.write(`left out ${result.truncatedExamples} training examples whose answer lies beyond --max-length ${sft.maxLength}\n`);
    process.stderr.write(`sft: ${result.sft.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${result.sft.finalLoss.toFixed(4)}${best}\n`);
    process.stdout.write(result.finalDir + '\n');
    return 0;
  },
};
