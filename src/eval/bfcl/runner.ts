/**
 * The BFCL runner: asks a model every question of the chosen single-turn categories, the way the leaderboard does
 * (prompting: its system prompt with the docs, Python call syntax expected; fc: the docs as the chat template's
 * tools, tool calls parsed), writes the leaderboard's result files so the official checker can score the same
 * outputs, and scores them with the checker's official reading. Multi-turn, memory, web-search and
 * format-sensitivity categories are not run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate, type LogitsHook } from '../../generate/generate.js';
import { endOfSequenceIds, type TextModel } from '../../generate/text.js';
import { VocabularyTrie } from '../../generate/constraints/vocabulary-trie.js';
import { assistantTurnEnd } from '../../retrieval/generative.js';
import { chatPromptIds } from '../../tokenizer/chat-template.js';
import type { CallMode } from '../../tools/calls/decode.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { selectBestOfN, wellFormedAnswer } from './best-of-n.js';
import { constrainedCallsHook, type ConstrainedFunction } from './constrained-calls.js';
import { repairCallText } from './repair.js';
import { BFCL_CATEGORIES, BfclCategory, BfclDataError, BfclEntry, hasCategory, loadCategory } from './dataset.js';
import { resolveCategories } from './evaluate.js';
import { argumentSchema, fcMessages, fcTools, promptingMessages } from './prompts.js';
import type { JsonValue, ObjectSchema } from '../../tools/types.js';
import { copyBudget, copyCandidates, defaultCopyOptions, withCopiedValues, type CopyCandidates, type CopyOptions } from '../../generate/constraints/copy-values.js';
import { BfclReport, describeReading, scoreEntries } from './score.js';

/** The categories the runner leaves out: they need several turns, an environment or prompt variants. */
export const BFCL_NOT_RUN = ['multi_turn_base', 'multi_turn_miss_func', 'multi_turn_miss_param', 'multi_turn_long_context', 'memory', 'web_search', 'format_sensitivity'] as const;

export interface BfclRunnerModel extends TextModel {
  readonly config: { readonly eosTokenIds: readonly number[]; readonly maxPositions: number };
}

export interface BfclGenerationOptions {
  readonly mode: CallMode;
  /** Decode calls under the offered functions' names and argument schemas (fc mode). */
  readonly constrained?: boolean;
  /**
   * With `constrained`: each free string / number parameter may only take a value the question states (a span, a
   * quoted string, a number; generate/constraints/copy-values.ts) when one fits its schema.
   */
  readonly copyValues?: boolean;
  /** Repair each answer (fences, quotes, brackets, trailing commas; repair.ts) before it is written and scored. */
  readonly repair?: boolean;
  /** Sample this many answers per question and keep one by best-of-n.ts's rule (default 1: one greedy answer). */
  readonly bestOf?: number;
  /** Sampling temperature of best-of-N (default 0.7). */
  readonly temperature?: number;
  /** Seeds best-of-N's sampling (default 0). */
  readonly seed?: number;
  /** Most new tokens per answer (default 256). */
  readonly maxTokens?: number;
  /** Questions generated together (default 4). */
  readonly batchSize?: number;
  /** Called once with the number of questions before generating. */
  readonly onStart?: (total: number) => void;
  /** Called after each answer with the number done. */
  readonly onAnswer?: (done: number) => void;
}

export interface BfclAnswer {
  readonly id: string;
  readonly category: BfclCategory;
  /** The model's text (repaired with `repair`): what the result file holds and the checker reads. */
  readonly result: string;
  /** With `repair`: the text as the model wrote it. */
  readonly raw?: string;
  /** With best-of-N: how many of the sampled answers were well-formed. */
  readonly wellFormed?: number;
  readonly promptTokens: number;
  readonly generatedTokens: number;
  /** Why generation ended; `prompt-too-long` when the question left no room in the model's context. */
  readonly finish: 'eos' | 'stop-string' | 'length' | 'prompt-too-long';
}

/** The prompt ids of one question in the given mode. */
export function bfclPromptIds(model: BfclRunnerModel, entry: BfclEntry, mode: CallMode): number[] {
  return mode === 'fc' ? chatPromptIds(model.tokenizer, fcMessages(entry), fcTools(entry)) : chatPromptIds(model.tokenizer, promptingMessages(entry));
}

/** Candidates per parameter when copying: a BFCL question of 40 words has about 150 spans of up to 4 words. */
const COPY_OPTIONS: CopyOptions = { ...defaultCopyOptions, maxCandidates: 512 };

function constrainedFunctions(entry: BfclEntry, copyValues: boolean): ConstrainedFunction[] {
  const seen = new Set<string>();
  const out: ConstrainedFunction[] = [];
  const candidates = copyValues ? copyCandidates(fcMessages(entry).filter((m) => m.role === 'user').map((m) => m.content), COPY_OPTIONS) : undefined;
  for (const [i, fn] of (entry.functionSource ?? []).entries()) {
    const name = entry.functions[i]?.name;
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    const parameters = argumentSchema(fn);
    out.push(candidates === undefined ? { name, parameters } : { name, ...copied(parameters, candidates) });
  }
  return out;
}

/**
 * The argument schema with its free values narrowed to the question's, and the budget that lets one call use each
 * value only as often as the question states it (as the agent's coverage does); a schema without properties as it is.
 */
function copied(parameters: { [key: string]: JsonValue }, candidates: CopyCandidates): Omit<ConstrainedFunction, 'name'> {
  const properties = parameters['properties'];
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return { parameters };
  const schema = parameters as unknown as ObjectSchema;
  return {
    parameters: withCopiedValues(schema, candidates, COPY_OPTIONS) as unknown as { [key: string]: JsonValue },
    literalBudget: copyBudget(schema, candidates),
  };
}

/** The tokens that end an answer: the model's end-of-sequence ids and the chat template's end of turn. */
export function bfclStopTokens(model: BfclRunnerModel): number[] {
  return [...new Set([...endOfSequenceIds(model), assistantTurnEnd(model.tokenizer)])];
}

/**
 * A logits hook that sums, per sequence, log p(token) of the tokens sampled from the logits it sees (after the hooks
 * before it): the hook keeps each step's log-normaliser and logits, and `onToken` adds the chosen token's share.
 */
function logProbRecorder(sequences: number, before: LogitsHook | undefined): { hook: LogitsHook; onToken: (token: number, sequence: number) => void; logProbs: Float64Array } {
  const logProbs = new Float64Array(sequences);
  const last: { logits: Float32Array; normaliser: number }[] = [];
  const hook: LogitsHook = (logits, generated, sequence) => {
    before?.(logits, generated, sequence);
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    let total = 0;
    for (const v of logits) total += Math.exp(v - max);
    const saved = last[sequence]?.logits.length === logits.length ? last[sequence]!.logits : new Float32Array(logits.length);
    saved.set(logits);
    last[sequence] = { logits: saved, normaliser: max + Math.log(total) };
  };
  const onToken = (token: number, sequence: number): void => {
    const step = last[sequence];
    if (step !== undefined) logProbs[sequence]! += step.logits[token]! - step.normaliser;
  };
  return { hook, onToken, logProbs };
}

/**
 * Generates one answer per entry in batches: greedy, or with `bestOf` N > 1 sampled answers of which one is kept
 * (best-of-n.ts). Never throws on what the model writes.
 */
export function generateBfclAnswers(model: BfclRunnerModel, entries: readonly BfclEntry[], options: BfclGenerationOptions): BfclAnswer[] {
  const maxTokens = options.maxTokens ?? 256;
  const batchSize = Math.max(1, options.batchSize ?? 4);
  const bestOf = options.bestOf ?? 1;
  if (!Number.isInteger(bestOf) || bestOf < 1) throw new RangeError(`best-of-N needs a whole number of samples >= 1, got ${bestOf}`);
  if (options.constrained && options.mode !== 'fc') throw new RangeError('constrained decoding writes <tool_call> blocks: it needs mode fc');
  if (options.copyValues && !options.constrained) throw new RangeError('copying values narrows the constrained decoder: it needs constrained');
  if (options.constrained && bestOf > 1) throw new RangeError('constrained decoding is greedy; best-of-N samples: use one of them');
  const turnEnd = assistantTurnEnd(model.tokenizer);
  const stopTokens = bfclStopTokens(model);
  const vocabulary = options.constrained ? new VocabularyTrie(model.tokenizer) : undefined;
  const finish = (text: string): { result: string; raw?: string } => (options.repair ? { result: repairCallText(text, options.mode), raw: text } : { result: text });
  const answers: BfclAnswer[] = [];
  options.onStart?.(entries.length);
  for (let start = 0; start < entries.length; start += batchSize) {
    const batch = entries.slice(start, start + batchSize);
    const prompts = batch.map((e) => bfclPromptIds(model, e, options.mode));
    const fits = prompts.map((p) => model.config.maxPositions - p.length >= 2);
    const runnable = batch.filter((_, i) => fits[i]);
    const runPrompts = prompts.filter((_, i) => fits[i]).flatMap((p) => Array.from({ length: bestOf }, () => p));
    // One token budget for the batch, so that the longest prompt plus its answer stays inside the context.
    const budget = Math.min(maxTokens, ...runPrompts.map((p) => model.config.maxPositions - p.length));
    const constraint = vocabulary !== undefined ? constrainedCallsHook(model.tokenizer, vocabulary, runnable.map((e) => constrainedFunctions(e, options.copyValues ?? false)), turnEnd, budget) : undefined;
    const recorder = bestOf > 1 ? logProbRecorder(runPrompts.length, constraint) : undefined;
    const results =
      runnable.length === 0
        ? []
        : generate(model.model, runPrompts, {
            maxTokens: budget,
            stopTokens,
            decoder: model.tokenizer,
            ...(recorder !== undefined
              ? { temperature: options.temperature ?? 0.7, seed: (options.seed ?? 0) + start, logitsHook: recorder.hook, onToken: recorder.onToken }
              : constraint !== undefined ? { logitsHook: constraint } : {}),
          });
    let r = 0;
    batch.forEach((entry, i) => {
      if (!fits[i]) {
        answers.push({ id: entry.id, category: entry.category, result: '', promptTokens: prompts[i]!.length, generatedTokens: 0, finish: 'prompt-too-long' });
      } else {
        const group = results.slice(r, r + bestOf).map((g, k) => ({ g, ...finish(model.tokenizer.decode(g.tokens)), logProb: recorder?.logProbs[r + k] ?? 0 }));
        const kept = bestOf > 1 ? group[selectBestOfN(entry, group.map((c) => ({ text: c.result, logProb: c.logProb })), options.mode)]! : group[0]!;
        const wellFormed = bestOf > 1 ? { wellFormed: group.filter((c) => wellFormedAnswer(entry, c.result, options.mode)).length } : {};
        r += bestOf;
        answers.push({
          id: entry.id, category: entry.category, result: kept.result, ...(kept.raw !== undefined ? { raw: kept.raw } : {}), ...wellFormed,
          promptTokens: prompts[i]!.length, generatedTokens: kept.g.tokens.length, finish: kept.g.finishReason,
        });
      }
      options.onAnswer?.(answers.length);
    });
  }
  return answers;
}

/** The leaderboard's grouping folder of a category (`get_general_grouping`). */
const groupOf = (category: BfclCategory): string => (category.startsWith('live_') ? 'live' : 'non_live');

/** The leaderboard's result file of a category for a model: `result/<model>/<group>/BFCL_v4_<category>_result.json`. */
export const bfclResultPath = (outDir: string, modelName: string, category: BfclCategory): string => join(outDir, 'result', modelName.replace(/[/\\]/g, '_'), groupOf(category), `BFCL_v4_${category}_result.json`);

export interface BfclRunOptions extends BfclGenerationOptions {
  readonly dataDir: string;
  /** Categories or groups (default, or none given: every single-turn category whose question file is in `dataDir`). */
  readonly categories?: readonly string[];
  /** At most this many questions per category (the first ones). */
  readonly limit?: number;
  readonly outDir: string;
  /** The name of the result folder (the leaderboard's model name). */
  readonly modelName: string;
}

export interface BfclRun {
  readonly report: BfclReport;
  readonly answers: readonly BfclAnswer[];
  readonly resultFiles: readonly string[];
  readonly seconds: number;
}

function markdownReport(run: Omit<BfclRun, 'resultFiles'>, options: BfclRunOptions): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `# BFCL: ${options.modelName}`,
    '',
    `Mode \`${options.mode}\`${options.constrained ? ', constrained decoding' : ''}${options.copyValues ? ' with values copied from the question' : ''}${options.repair ? ', answers repaired before checking (src/eval/bfcl/repair.ts)' : ''}${(options.bestOf ?? 1) > 1 ? `, best of ${options.bestOf} samples at temperature ${options.temperature ?? 0.7} (src/eval/bfcl/best-of-n.ts)` : ''}; scored with the ${describeReading(run.report)}.`,
    `Not run (multi-turn and agentic categories): ${BFCL_NOT_RUN.join(', ')}.`,
    '',
    '| category | accuracy | correct | total |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(run.report.categories).map(([name, s]) => `| ${name} | ${pct(s.accuracy)} | ${s.correct} | ${s.total} |`),
  ];
  const aggregates = Object.entries(run.report.aggregates);
  if (aggregates.length > 0) lines.push('', '| summary | accuracy |', '| --- | ---: |', ...aggregates.map(([n, v]) => `| ${n} | ${pct(v)} |`));
  const tooLong = run.answers.filter((a) => a.finish === 'prompt-too-long').length;
  lines.push('', `${run.answers.length} answers in ${run.seconds.toFixed(1)} s${tooLong > 0 ? `; ${tooLong} questions longer than the model's context got an empty answer` : ''}.`);
  return lines.join('\n') + '\n';
}

/**
 * The categories a run asks (see BfclRunOptions.categories), each checked to have its question file in `dataDir`:
 * cheap, so a caller can refuse a bad --category or data folder before it loads a model.
 */
export function bfclRunCategories(dataDir: string, names?: readonly string[]): BfclCategory[] {
  const categories = names !== undefined && names.length > 0 ? resolveCategories(names) : BFCL_CATEGORIES.filter((c) => hasCategory(dataDir, c));
  if (categories.length === 0) throw new BfclDataError(`no BFCL question files found in ${dataDir}`);
  const missing = categories.filter((c) => !hasCategory(dataDir, c));
  if (missing.length > 0) throw new BfclDataError(`no question file for ${missing.join(', ')} in ${dataDir}`);
  return categories;
}

/**
 * Generates, writes and scores: the result files, `verdicts.jsonl` (our verdict per question, with its reason),
 * `report.json` and `report.md` in `outDir`.
 */
export function runBfcl(model: BfclRunnerModel, options: BfclRunOptions): BfclRun {
  const started = performance.now();
  const categories = bfclRunCategories(options.dataDir, options.categories);
  const entries = categories.flatMap((c) => {
    const all = loadCategory(options.dataDir, c);
    return options.limit === undefined ? all : all.slice(0, options.limit);
  });
  const answers = generateBfclAnswers(model, entries, options);
  const seconds = (performance.now() - started) / 1000;
  const report = scoreEntries(entries, new Map(answers.map((a) => [a.id, a.result])), { reading: 'official', mode: options.mode });
  mkdirSync(options.outDir, { recursive: true });
  const resultFiles = categories.map((category) => {
    const path = bfclResultPath(options.outDir, options.modelName, category);
    mkdirSync(join(path, '..'), { recursive: true });
    const lines = answers.filter((a) => a.category === category).map((a) => JSON.stringify({ id: a.id, result: a.result }));
    writeFileAtomic(path, lines.join('\n') + '\n');
    return path;
  });
  writeFileAtomic(join(options.outDir, 'verdicts.jsonl'), report.verdicts.map((v) => JSON.stringify(v)).join('\n') + '\n');
  const summary = {
    model: options.modelName,
    mode: options.mode,
    constrained: options.constrained ?? false,
    copyValues: options.copyValues ?? false,
    repair: options.repair ?? false,
    bestOf: options.bestOf ?? 1,
    ...((options.bestOf ?? 1) > 1 ? { temperature: options.temperature ?? 0.7, seed: options.seed ?? 0 } : {}),
    reading: report.reading,
    categories: report.categories,
    aggregates: report.aggregates,
    notRun: BFCL_NOT_RUN,
    answers: answers.length,
    promptTooLong: answers.filter((a) => a.finish === 'prompt-too-long').length,
    generatedTokens: answers.reduce((n, a) => n + a.generatedTokens, 0),
    seconds,
  };
  writeJsonAtomic(join(options.outDir, 'report.json'), summary);
  writeFileAtomic(join(options.outDir, 'report.md'), markdownReport({ report, answers, seconds }, options));
  return { report, answers, resultFiles, seconds };
}
