import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readToolBenchAnswer, type ToolBenchTrajectory } from '../../methods/toolgen/examples.js';
import type { RetrievalQuery } from '../../data/types.js';
import { INDEX_SCHEMES, type IndexScheme } from '../../indexing/schemes.js';
import type { GenerativeModel } from '../../retrieval/generative.js';
import { teacherDistributions, type ToolDistributions } from '../../methods/toolgen/distill.js';
import { RunDirectory } from '../../train/run-dir.js';
import { defaultSftConfig, type SftConfig } from '../../train/objectives/sft.js';
import { TOOLGEN_STAGES, type ToolGenModel, type ToolGenStage } from '../../methods/toolgen/model.js';
import { FINISH_TOOL, prepareToolGenModel, trainToolGenStage } from '../../methods/toolgen/stages.js';
import { CliCommand, CliError, helpText, parseFlags, wantsHelp } from '../args.js';
import { readCatalogFlag, readModelFlag, readQueriesFlag, readSavedIndex, userInput } from './toolgen-inputs.js';

const flags = {
  stage: { kind: 'string', choices: TOOLGEN_STAGES, required: true, help: 'ToolGen stage: tool documents, queries or agent trajectories -> tool tokens' },
  model: { kind: 'string', required: true, help: 'model directory or Hugging Face id (a previous stage\'s final/ keeps its tool index)' },
  catalog: { kind: 'string', required: true, help: 'catalog.json (docs/data-format.md)' },
  data: { kind: 'string', help: 'retrieval: queries file (JSON lines); agent: ToolBench answer file or folder; memorization: not used' },
  out: { kind: 'string', required: true, help: 'run directory (config, metrics.jsonl, checkpoints, final/)' },
  index: { kind: 'string', choices: INDEX_SCHEMES, default: 'atomic', help: 'indexing scheme when the model has no tool-index.json yet' },
  loraRank: { kind: 'int', help: 'train LoRA adapters of this rank (plus the tool-token rows), merged into final/; default: full fine-tuning' },
  epochs: { kind: 'int', default: 1, help: 'passes over the data' },
  lr: { kind: 'number', default: defaultSftConfig.lr, help: 'peak learning rate' },
  batchSize: { kind: 'int', default: defaultSftConfig.batchSize, help: 'examples per micro-batch' },
  gradAccum: { kind: 'int', default: 1, help: 'micro-batches per optimizer step' },
  maxLength: { kind: 'int', default: defaultSftConfig.maxLength, help: 'tokens kept per example' },
  packing: { kind: 'boolean', help: 'pack examples into rows of --max-length tokens instead of padding' },
  groupByLength: { kind: 'boolean', help: 'without --packing: batch examples of similar length together (less padding)' },
  warmup: { kind: 'number', default: defaultSftConfig.warmup, help: 'warmup: a ratio of the steps (< 1) or a step count' },
  schedule: { kind: 'string', choices: ['cosine', 'linear', 'constant'], default: 'cosine', help: 'learning-rate schedule after warmup' },
  dropout: { kind: 'number', default: 0, help: 'residual dropout while training (regularises models trained from scratch)' },
  weightDecay: { kind: 'number', default: defaultSftConfig.weightDecay, help: 'AdamW decoupled weight decay of the matrices' },
  labelSmoothing: { kind: 'number', default: 0, help: 'label smoothing of the training loss, in [0, 1)' },
  averageDecay: { kind: 'number', default: 0, help: 'keep a moving average of the weights with this decay (e.g. 0.999) and end with it; 0: off' },
  seed: { kind: 'int', default: 0, help: 'seed of the data order and the validation split' },
  valFraction: { kind: 'number', help: 'share held out for validation and best-checkpoint choice (default: 0 for memorization, 0.05 otherwise)' },
  evalEvery: { kind: 'int', default: 0, help: 'validate every N steps (0: at the end only)' },
  checkpointEvery: { kind: 'int', default: 100, help: 'checkpoint every N steps (0: never; a killed run resumes from the last one)' },
  maxSteps: { kind: 'int', help: 'stop after N optimizer steps (smoke runs)' },
  withMemorization: { kind: 'boolean', help: 'retrieval stage: replay the memorization examples too (keeps tools no query names)' },
  resume: { kind: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  teacher: { kind: 'string', repeat: true, help: 'retrieval stage: distil from this trained ToolGen model (repeat for an ensemble)' },
  // Defaults: the best of those measured on MetaTool (bench/retrieval.ts, DISTILLATION).
  distillWeight: { kind: 'number', default: 0.9, help: 'with --teacher: weight of the teachers\' distribution (the gold tool gets the rest), in (0, 1)' },
  distillTemperature: { kind: 'number', default: 3, help: 'with --teacher: temperature of the teachers\' softmax over the tools (> 1 softens)' },
} as const;

const summary = 'Train a ToolGen stage (memorization, retrieval or agent tuning) into a run directory';

/** The ToolBench answer files under a path: the file itself, or every .json below a folder. */
function answerFiles(path: string): string[] {
  if (!existsSync(path)) throw new CliError(`--data ${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(path, name));
}

function checkPositive(name: string, value: number, allowZero = false): void {
  if (allowZero ? value < 0 : value <= 0) throw new CliError(`--${name} must be ${allowZero ? '>= 0' : '> 0'}, got ${value}`);
}

/** Rates, decays and shares: 0 allowed (off), 1 not. */
function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new CliError(`--${name} must be in [0, 1), got ${value}`);
}

/** The --teacher models' averaged distributions over the student's tools for every training query. */
async function teachersOf(paths: readonly string[], student: ToolGenModel, queries: readonly RetrievalQuery[], temperature: number): Promise<ToolDistributions> {
  const teachers: GenerativeModel[] = [];
  for (const path of paths) {
    const index = readSavedIndex(path, '--teacher');
    if (index === undefined) throw new CliError(`--teacher ${path}: no tool-index.json; a teacher is a trained ToolGen model (a retrieval stage's final/)`);
    const loaded = await readModelFlag(path, '--teacher');
    teachers.push({ model: loaded.model, tokenizer: loaded.tokenizer, index });
  }
  process.stderr.write(`distillation: ${teachers.length} teacher(s) read ${queries.length} queries\n`);
  try {
    return teacherDistributions(teachers, student, queries.map((q) => q.query), { temperature });
  } catch (err) {
    throw new CliError(`--teacher: ${(err as Error).message}`);
  }
}

export const command: CliCommand = {
  summary,
  async run(argv) {
    if (argv[0] === 'toolkengpt') return (await import('./toolkengpt.js')).trainCommand.run(argv.slice(1));
    if (wantsHelp(argv)) {
      process.stdout.write(helpText('train', summary + '.\n`toolken train toolkengpt --help`: a ToolkenGPT head on a frozen model', flags) + '\n');
      return 0;
    }
    const f = parseFlags(argv, flags);
    if (f._.length > 0) throw new CliError(`unexpected argument '${f._[0]}'`);
    const stage = f.stage as ToolGenStage;
    const scheme = f.index as IndexScheme;
    checkPositive('epochs', f.epochs);
    checkPositive('lr', f.lr);
    checkPositive('batch-size', f.batchSize);
    checkPositive('grad-accum', f.gradAccum);
    checkPositive('max-length', f.maxLength);
    checkPositive('warmup', f.warmup, true);
    checkFraction('dropout', f.dropout);
    checkFraction('average-decay', f.averageDecay);
    checkFraction('label-smoothing', f.labelSmoothing);
    checkPositive('weight-decay', f.weightDecay, true);
    if (f.loraRank !== undefined) checkPositive('lora-rank', f.loraRank);
    if (f.maxSteps !== undefined) checkPositive('max-steps', f.maxSteps);
    const valFraction = f.valFraction ?? (stage === 'memorization' ? 0 : 0.05);
    checkFraction('val-fraction', valFraction);
    if (stage !== 'memorization' && f.data === undefined) throw new CliError(`--stage ${stage} needs --data`);
    const distilling = f.teacher.length > 0;
    if (distilling) {
      if (stage !== 'retrieval') throw new CliError(`--teacher distils the retrieval stage, not --stage ${stage}`);
      if (scheme !== 'atomic') throw new CliError(`--teacher needs atomic tool tokens, not --index ${scheme}`);
      if (!(f.distillWeight > 0 && f.distillWeight < 1)) throw new CliError(`--distill-weight must be in (0, 1), got ${f.distillWeight}`);
      checkPositive('distill-temperature', f.distillTemperature);
      if (f.labelSmoothing > 0) throw new CliError('--teacher replaces --label-smoothing (the teachers\' distribution is the smoothing); give one of them');
    }

    const catalog = readCatalogFlag(f.catalog);
    const tools = stage === 'agent' && !catalog.some((t) => t.id === FINISH_TOOL.id) ? [...catalog, FINISH_TOOL] : catalog;
    let queries: RetrievalQuery[] | undefined;
    let trajectories: ToolBenchTrajectory[] | undefined;
    if (stage === 'retrieval') queries = readQueriesFlag('--data', f.data!, tools);
    if (stage === 'agent') trajectories = answerFiles(f.data!).map((file) => userInput(`--data ${file}`, () => readToolBenchAnswer(file)));

    const sft: SftConfig = {
      ...defaultSftConfig,
      epochs: f.epochs,
      lr: f.lr,
      batchSize: f.batchSize,
      gradAccumulation: f.gradAccum,
      maxLength: f.maxLength,
      packing: f.packing,
      dropout: f.dropout,
      weightDecay: f.weightDecay,
      averageDecay: f.averageDecay,
      labelSmoothing: f.labelSmoothing,
      groupByLength: f.groupByLength,
      warmup: f.warmup,
      schedule: f.schedule as SftConfig['schedule'],
      seed: f.seed,
      evalEvery: f.evalEvery,
      checkpointEvery: f.checkpointEvery,
      ...(f.maxSteps !== undefined ? { maxSteps: f.maxSteps } : {}),
    };
    const config = {
      stage, model: f.model, catalog: resolve(f.catalog), data: f.data === undefined ? null : resolve(f.data), index: scheme,
      loraRank: f.loraRank ?? null, withMemorization: f.withMemorization, valFraction, sft,
      ...(distilling ? { distillation: { teachers: f.teacher.map((t) => resolve(t)), weight: f.distillWeight, temperature: f.distillTemperature } } : {}),
    };
    const loaded = await readModelFlag(f.model);
    const saved = readSavedIndex(f.model);
    let tg: ToolGenModel;
    try {
      tg = await prepareToolGenModel(loaded.model, loaded.tokenizer, tools, scheme, saved);
    } catch (err) {
      throw new CliError(`--model ${f.model}: ${(err as Error).message}`);
    }
    const sftPadded = { ...sft, padId: loaded.tokenizer.eosId ?? 0 };
    const distillation = distilling ? { distributions: await teachersOf(f.teacher, tg, queries!, f.distillTemperature), weight: f.distillWeight } : undefined;
    // The run directory is created only now that everything the run needs has loaded: a run that cannot start
    // (a missing model, a bad teacher) leaves nothing behind that a retry would mistake for a run to resume.
    const run = userInput(`--out ${f.out}`, () => RunDirectory.open(f.out, { resume: f.resume }));
    const previous = run.readConfig<typeof config>();
    if (previous !== undefined && JSON.stringify(previous) !== JSON.stringify(config)) {
      throw new CliError(`--resume: ${run.path} was started with different options; give the same flags or a new --out`);
    }
    run.writeConfig(config);

    const started = performance.now();
    const result = userInput(`--stage ${stage}`, () =>
      trainToolGenStage({
        stage, tg, tools, valFraction, run, sft: sftPadded,
        ...(queries ? { queries } : {}),
        ...(trajectories ? { trajectories } : {}),
        ...(f.loraRank !== undefined ? { loraRank: f.loraRank } : {}),
        withMemorization: f.withMemorization,
        ...(distillation ? { distillation } : {}),
        log: (line) => process.stderr.write(line + '\n'),
      }),
    );
    const best = result.sft.best ? `, best step ${result.sft.best.step} (score ${result.sft.best.score.toFixed(4)})` : '';
    process.stderr.write(
      `${stage}: ${result.sft.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${result.sft.finalLoss.toFixed(4)}${best}\n`,
    );
    process.stdout.write(result.finalDir + '\n');
    return 0;
  },
};
