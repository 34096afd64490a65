/**
 * Seeded, explicit train / validation / test splits of function-calling examples. The test split is drawn from the
 * benchmark's questions only (BFCL by default: ids starting `bfcl/`), and nothing in train or validation may equal
 * a test question, by id or by normalised question text: an example from another source that asks a test question
 * is dropped from training and reported. Examples with the same question text always land in the same split.
 */
import { seededRandom, shuffled } from '../../util/random.js';
import type { FcExample } from './data.js';

export interface FcSplitOptions {
  readonly seed: number;
  /** Share of all examples held out for validation, in [0, 1). */
  readonly validation: number;
  /** Share of the benchmark's examples (those whose id starts with `testPrefix`) held out for test, in [0, 1). */
  readonly test: number;
  /** Ids of the benchmark whose questions the test split draws (default `bfcl/`). */
  readonly testPrefix?: string;
}

export interface FcSplit {
  readonly seed: number;
  readonly train: readonly FcExample[];
  readonly validation: readonly FcExample[];
  readonly test: readonly FcExample[];
  /** Examples left out of train and validation because they ask a test question (by normalised text). */
  readonly dropped: readonly string[];
}

/** A question's text for comparison: lower case, every run of non-letters/digits one space, trimmed. */
export function normalizeQuestion(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** The normalised text of an example's user turns, what "the same question" means. */
export function questionText(example: FcExample): string {
  return normalizeQuestion(example.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'));
}

function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new RangeError(`split: ${name} must be in [0, 1), got ${value}`);
}

/** Groups of examples sharing a question text, in first-seen order. */
function groups(examples: readonly FcExample[]): FcExample[][] {
  const byText = new Map<string, FcExample[]>();
  for (const e of examples) {
    const key = questionText(e);
    const group = byText.get(key);
    if (group) group.push(e);
    else byText.set(key, [e]);
  }
  return [...byText.values()];
}

export function splitFcExamples(examples: readonly FcExample[], options: FcSplitOptions): FcSplit {
  checkFraction('validation', options.validation);
  checkFraction('test', options.test);
  const prefix = options.testPrefix ?? 'bfcl/';
  const ids = new Set<string>();
  for (const e of examples) {
    if (ids.has(e.id)) throw new RangeError(`example id '${e.id}' appears twice (${e.source}): give each example its own "id"`);
    ids.add(e.id);
  }
  const random = seededRandom(options.seed);
  const benchmark = shuffled(groups(examples.filter((e) => e.id.startsWith(prefix))), random);
  const testGroups = benchmark.slice(0, Math.round(benchmark.length * options.test));
  const test = testGroups.flat();
  const testIds = new Set(test.map((e) => e.id));
  const testTexts = new Set(test.map(questionText));
  const dropped: string[] = [];
  const rest = examples.filter((e) => {
    if (testIds.has(e.id)) return false;
    if (testTexts.has(questionText(e))) {
      dropped.push(e.id);
      return false;
    }
    return true;
  });
  const restGroups = shuffled(groups(rest), random);
  const validationCount = Math.round(rest.length * options.validation);
  const validation: FcExample[] = [];
  const train: FcExample[] = [];
  for (const g of restGroups) (validation.length < validationCount ? validation : train).push(...g);
  const split = { seed: options.seed, train, validation, test, dropped };
  assertNoTestLeak(split);
  return split;
}

/** Throws when a train or validation example is a test question, by id or by normalised text. */
export function assertNoTestLeak(split: Pick<FcSplit, 'train' | 'validation' | 'test'>): void {
  const ids = new Set(split.test.map((e) => e.id));
  const texts = new Set(split.test.map(questionText));
  for (const e of [...split.train, ...split.validation]) {
    if (ids.has(e.id)) throw new Error(`split: test question ${e.id} is in the training data`);
    if (texts.has(questionText(e))) throw new Error(`split: ${e.id} (${e.source}) asks a test question`);
  }
}

/** The split as explicit id lists, the record a run keeps (`split.json`) so its test set can be named exactly. */
export function splitManifest(split: FcSplit): { seed: number; train: string[]; validation: string[]; test: string[]; dropped: string[] } {
  const ids = (xs: readonly FcExample[]): string[] => xs.map((e) => e.id);
  return { seed: split.seed, train: ids(split.train), validation: ids(split.validation), test: ids(split.test), dropped: [...split.dropped] };
}
