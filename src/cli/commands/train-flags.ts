/**
 * The flags every `toolken train <method>` that runs the generic trainer shares — optimisation, batching, schedule,
 * regularisation, validation, checkpoints, resume — declared once with their validation and their translation into
 * the trainer's SftConfig, and the run directory each such command opens.
 */
import type { MatmulPrecision } from '../../tensor/backend.js';
import { defaultSftConfig, type SftConfig } from '../../train/objectives/sft.js';
import { RunDirectory } from '../../train/run-dir.js';
import { CliError, type ParsedFlags } from '../args.js';
import { INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { userInput } from './toolgen-inputs.js';

export const TRAINER_FLAGS = {
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
  evalEvery: { kind: 'int', default: 0, help: 'validate every N steps (0: at the end only)' },
  checkpointEvery: { kind: 'int', default: 100, help: 'checkpoint every N steps (0: never; a killed run resumes from the last one)' },
  maxSteps: { kind: 'int', help: 'stop after N optimizer steps (smoke runs)' },
  precision: {
    kind: 'string', choices: ['fp32', 'bf16'], default: 'fp32',
    help: 'matmul precision of training: bf16 multiplies bf16-rounded operands (AVX-512 BF16 or AMX where the CPU has them), keeping fp32 weights and AdamW',
  },
  resume: { kind: 'boolean', help: 'continue the run in --out from its last checkpoint' },
} as const;

export type TrainerFlags = ParsedFlags<typeof TRAINER_FLAGS>;

export function checkPositive(name: string, value: number, allowZero = false): void {
  if (allowZero ? value < 0 : value <= 0) throw new CliError(`--${name} must be ${allowZero ? '>= 0' : '> 0'}, got ${value}`);
}

/** Rates, decays and shares: 0 allowed (off), 1 not. */
export function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new CliError(`--${name} must be in [0, 1), got ${value}`);
}

/** Checks the shared flags (before anything loads) and turns them into the trainer's configuration. */
export function sftConfigFromFlags(f: TrainerFlags): SftConfig {
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
  checkPositive('eval-every', f.evalEvery, true);
  checkPositive('checkpoint-every', f.checkpointEvery, true);
  if (f.maxSteps !== undefined) checkPositive('max-steps', f.maxSteps);
  return {
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
    precision: f.precision as MatmulPrecision,
    ...(f.maxSteps !== undefined ? { maxSteps: f.maxSteps } : {}),
  };
}

/**
 * Opens the run directory `--out` once everything the run needs has loaded — a run that cannot start leaves nothing
 * behind that a retry would mistake for a run to resume — and records `config`; with `--resume` the config must be
 * the one the run started with.
 */
export function openRunDirectory<Config>(out: string, resume: boolean, config: Config): RunDirectory {
  const run = userInput(`--out ${out}`, () => RunDirectory.open(out, { resume }));
  const previous = run.readConfig<unknown>();
  const changed = previous === undefined ? [] : configChanges(previous, JSON.parse(JSON.stringify(config)) as unknown);
  if (changed.length > 0) {
    const shown = changed.slice(0, 5).join('; ') + (changed.length > 5 ? `; and ${changed.length - 5} more` : '');
    throw new CliError(`--resume: ${run.path} was started with different options (${shown}); give the same flags or a new --out`);
  }
  run.writeConfig(config);
  return run;
}

/**
 * Runs `train` in `run`. Some inputs are only found bad once training starts (no example survives tokenisation, a
 * stage refuses the model): when `train` fails before the run recorded a metric or a checkpoint, the directory this
 * command created is removed, so the same command can be run again as it is instead of asking for --resume. A
 * Ctrl-C that came before the first step (while sampling answers to mine, say) therefore leaves nothing to resume,
 * and says so instead of pointing at a checkpoint.
 */
export async function trainInRun<T>(run: RunDirectory, train: () => Promise<T>): Promise<T> {
  try {
    return await train();
  } catch (err) {
    const discarded = run.discardIfUnstarted();
    if (discarded && err instanceof CliError && err.exitCode === INTERRUPTED_EXIT_CODE) {
      throw new CliError(`interrupted (Ctrl-C) before the first training step: nothing was saved in ${run.path}; run the same command again (without --resume) to start over`, INTERRUPTED_EXIT_CODE);
    }
    throw err;
  }
}

/** Where two JSON configs differ: each setting's dotted path with its value then and now. */
function configChanges(then: unknown, now: unknown, path = ''): string[] {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isRecord(then) && isRecord(now)) {
    const at = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
    return [...new Set([...Object.keys(then), ...Object.keys(now)])].flatMap((key) => configChanges(at(then, key), at(now, key), path === '' ? key : `${path}.${key}`));
  }
  const [before, after] = [JSON.stringify(then), JSON.stringify(now)];
  return before === after ? [] : [`${path === '' ? 'the config' : path}: ${before ?? 'unset'} then, ${after ?? 'unset'} now`];
}
