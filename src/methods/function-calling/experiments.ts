/**
 * The training sets of the study's experiments (issue 14, section 5), built from a split's training examples:
 * - call patterns, BFCL's four single-turn categories read off an example's own answer;
 * - unseen tools: training examples that neither offer nor call any function of the test questions;
 * - unseen patterns: training examples of every pattern but the held-out one (parallel_multiple);
 * - diversity: N examples of one pattern against N/4 of each of the four;
 * - the text a small base model is pretrained on before any of them, which must hold no test question.
 */
import { seededRandom, shuffled } from '../../util/random.js';
import type { FcExample } from './data.js';

/** BFCL's four single-turn call patterns, in the leaderboard's order. */
export const CALL_PATTERNS = ['simple', 'multiple', 'parallel', 'parallel_multiple'] as const;
export type CallPattern = (typeof CALL_PATTERNS)[number];

/** The calls of an example's last calling turn (the answer BFCL would check). */
function answerCalls(example: FcExample): readonly { function: { name: string } }[] {
  const turns = example.messages.filter((m) => m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0);
  return turns[turns.length - 1]?.tool_calls ?? [];
}

/**
 * The pattern of an example's answer, as BFCL names its categories: one call with one function offered is
 * `simple`, one call among several functions `multiple`, several calls of one function `parallel`, several calls
 * of two or more functions `parallel_multiple`.
 */
export function callPattern(example: FcExample): CallPattern {
  const calls = answerCalls(example);
  const names = new Set(calls.map((c) => c.function.name));
  if (calls.length <= 1) return new Set(example.tools.map((t) => t.function.name)).size <= 1 ? 'simple' : 'multiple';
  return names.size === 1 ? 'parallel' : 'parallel_multiple';
}

/** Every function name an example offers or calls. */
export function functionNames(example: FcExample): Set<string> {
  return new Set([...example.tools.map((t) => t.function.name), ...example.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.function.name))]);
}

/** Training examples none of whose functions (offered or called) appears among `testFunctions`. */
export function unseenToolsTraining(train: readonly FcExample[], testFunctions: ReadonlySet<string>): FcExample[] {
  return train.filter((e) => ![...functionNames(e)].some((name) => testFunctions.has(name)));
}

/** Training examples of every pattern except `heldOut` (the study holds out parallel_multiple). */
export function unseenPatternsTraining(train: readonly FcExample[], heldOut: CallPattern = 'parallel_multiple'): FcExample[] {
  return train.filter((e) => callPattern(e) !== heldOut);
}

export interface DiversitySets {
  /** `total` examples of the simple pattern. */
  readonly simpleOnly: readonly FcExample[];
  /** `total / 4` examples of each of the four patterns. */
  readonly allCategories: readonly FcExample[];
}

/**
 * The diversity experiment's two training sets of equal size, drawn (seeded) from `train`. Refuses when a pattern
 * has too few examples, rather than comparing sets of different sizes.
 */
export function diversitySets(train: readonly FcExample[], total: number, seed: number): DiversitySets {
  if (!Number.isInteger(total) || total < 4 || total % 4 !== 0) throw new RangeError(`diversitySets: total must be a positive multiple of 4, got ${total}`);
  const random = seededRandom(seed);
  const pools = new Map<CallPattern, FcExample[]>(CALL_PATTERNS.map((p) => [p, []]));
  for (const e of train) pools.get(callPattern(e))!.push(e);
  const take = (pattern: CallPattern, n: number): FcExample[] => {
    const pool = pools.get(pattern)!;
    if (pool.length < n) throw new RangeError(`diversitySets: ${n} ${pattern} examples needed, the training data has ${pool.length}`);
    return shuffled(pool, random).slice(0, n);
  };
  const simpleOnly = take('simple', total);
  const allCategories = shuffled(CALL_PATTERNS.flatMap((p) => take(p, total / 4)), random);
  return { simpleOnly, allCategories };
}

/**
 * An example as plain pretraining text: the offered functions (one JSON object a line), the user's question and
 * the gold calls as JSON objects, without the chat template's markers or `<tool_call>` tags. A base pretrained on
 * these knows the functions, the questions and what calls look like, but has never answered in the chat format:
 * that is what fine-tuning teaches.
 */
export function pretrainingDocument(example: FcExample): string {
  const tools = example.tools.map((t) => JSON.stringify(t.function)).join('\n');
  const question = example.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const calls = example.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => JSON.stringify({ name: c.function.name, arguments: c.function.arguments })));
  return `${tools}\n\n${question}\n\n${calls.join('\n')}`;
}
