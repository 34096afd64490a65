/**
 * Scoring predictions against BFCL categories: one verdict per entry (valid or not, with the reason), accuracy per
 * category, and the leaderboard's aggregates. See README.md in this folder for the formulas.
 */
import { readInputFile } from '../../tools/import/entries.js';
import { CheckOptions, checkCalls } from './checker.js';
import { BFCL_CATEGORIES, BfclCategory, BfclEntry, checkKindOf, languageOf } from './dataset.js';
import { CallMode, decodeModelOutput } from '../../tools/calls/decode.js';
import type { CallReading } from '../../tools/calls/python-syntax.js';
import { parseJson } from '../../tools/calls/json.js';
import { PyValue, isPyDict } from '../../tools/calls/values.js';
import { errorWithCode } from '../../util/errors.js';

export interface Verdict {
  readonly id: string;
  readonly category: BfclCategory;
  readonly valid: boolean;
  /** `ok` when valid; otherwise the rule and what went wrong. */
  readonly reason: string;
  /** The official error_type of the failed rule, e.g. `type_error:simple` or `ast_decoder:decoder_failed`. */
  readonly rule?: string;
  readonly param?: string;
  readonly expected?: string;
  readonly got?: string;
}

export interface CategoryScore {
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
}

export interface BfclReport {
  /** How the answers were read: the leaderboard's verdicts (`official`) or toolken's lenient reading. */
  readonly reading: CallReading;
  /** The decoder the answers were read with: the prompting decoder or the function-calling one. */
  readonly mode: CallMode;
  readonly categories: Partial<Record<BfclCategory, CategoryScore>>;
  /** Leaderboard summaries; present only when every category they combine was scored. */
  readonly aggregates: Readonly<Record<string, number>>;
  readonly verdicts: readonly Verdict[];
}

export interface ScoreOptions {
  readonly underscoreToDot?: boolean;
  /** Default `official`: the leaderboard's verdict on every quirk (README.md); `lenient` is toolken's reading. */
  readonly reading?: CallReading;
  /** Default `prompting`: which of the leaderboard's decoders the official reading applies. */
  readonly mode?: CallMode;
}

/** Judges one answer for one entry, the way the leaderboard's AST and relevance runners do. */
export function judgeEntry(entry: BfclEntry, result: PyValue | undefined, options: ScoreOptions = {}): Verdict {
  const base = { id: entry.id, category: entry.category };
  if (result === undefined) return { ...base, valid: false, reason: 'no prediction for this id', rule: 'missing_prediction' };
  const kind = checkKindOf(entry.category);
  const decodeOptions = { reading: options.reading ?? 'official', mode: options.mode ?? 'prompting' } as const;
  if (kind === 'irrelevance' || kind === 'relevance') {
    // The leaderboard decodes relevance answers as Python whatever the category; no call means a decode error or [].
    const decoded = decodeModelOutput(result, 'python', decodeOptions);
    const hasCall = decoded.ok && decoded.calls.length > 0;
    if (kind === 'irrelevance') {
      return hasCall
        ? { ...base, valid: false, reason: 'irrelevance_error:decoder_success: made a call when none should be made', rule: 'irrelevance_error:decoder_success', got: decoded.ok ? decoded.calls.map((c) => c.name).join(', ') : '' }
        : { ...base, valid: true, reason: 'ok' };
    }
    return hasCall
      ? { ...base, valid: true, reason: 'ok' }
      : { ...base, valid: false, reason: `relevance_error:decoder_failed: no call decoded${decoded.ok ? ' (empty list)' : `: ${decoded.error}`}`, rule: 'relevance_error:decoder_failed' };
  }
  const language = languageOf(entry.category);
  const decoded = decodeModelOutput(result, language, decodeOptions);
  if (!decoded.ok) return { ...base, valid: false, reason: `ast_decoder:decoder_failed: ${decoded.error}`, rule: 'ast_decoder:decoder_failed' };
  const checkOptions: CheckOptions = { language, underscoreToDot: options.underscoreToDot ?? false, reading: decodeOptions.reading };
  const check = checkCalls(kind, entry.functions, decoded.calls, entry.groundTruth ?? [], checkOptions);
  if (check.valid) return { ...base, valid: true, reason: 'ok' };
  const { rule, message, param, expected, got } = check;
  return { ...base, valid: false, reason: `${rule}: ${message}`, rule, ...(param !== undefined ? { param } : {}), ...(expected !== undefined ? { expected } : {}), ...(got !== undefined ? { got } : {}) };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The leaderboard's summaries over per-category scores (formulas in README.md). */
export function aggregateScores(categories: Partial<Record<BfclCategory, CategoryScore>>): Record<string, number> {
  const out: Record<string, number> = {};
  const all = (names: readonly BfclCategory[]): CategoryScore[] | undefined => {
    const scores = names.map((n) => categories[n]);
    return scores.every((s): s is CategoryScore => s !== undefined) ? scores : undefined;
  };
  const unweighted = (scores: CategoryScore[] | undefined): number | undefined => (scores === undefined ? undefined : mean(scores.map((s) => s.accuracy)));
  const weighted = (scores: CategoryScore[] | undefined): number | undefined => {
    if (scores === undefined) return undefined;
    const total = scores.reduce((a, s) => a + s.total, 0);
    return total === 0 ? 0 : scores.reduce((a, s) => a + s.accuracy * s.total, 0) / total;
  };
  const set = (name: string, value: number | undefined): void => {
    if (value !== undefined) out[name] = value;
  };

  const simple = unweighted(all(['simple_python', 'simple_java', 'simple_javascript']));
  set('non_live_simple', simple);
  const rest = all(['multiple', 'parallel', 'parallel_multiple']);
  if (simple !== undefined && rest !== undefined) {
    set('non_live_ast_summary', mean([simple, ...rest.map((s) => s.accuracy)]));
    const irrelevance = categories.irrelevance;
    if (irrelevance !== undefined) set('non_live_overall', mean([simple, ...rest.map((s) => s.accuracy), irrelevance.accuracy]));
  }
  set('live_ast_summary', weighted(all(['live_simple', 'live_multiple', 'live_parallel', 'live_parallel_multiple'])));
  set('live_overall', weighted(all(['live_simple', 'live_multiple', 'live_parallel', 'live_parallel_multiple', 'live_irrelevance', 'live_relevance'])));
  set('irrelevance_overall', unweighted(all(['irrelevance', 'live_irrelevance'])));
  set('relevance_overall', categories.live_relevance?.accuracy);
  return out;
}

/** Scores predictions (by id) on the given entries; entries without a prediction count as wrong. */
export function scoreEntries(entries: readonly BfclEntry[], predictions: ReadonlyMap<string, PyValue>, options: ScoreOptions = {}): BfclReport {
  const verdicts = entries.map((entry) => judgeEntry(entry, predictions.get(entry.id), options));
  const counts = new Map<BfclCategory, { correct: number; total: number }>();
  for (const v of verdicts) {
    const c = counts.get(v.category) ?? { correct: 0, total: 0 };
    c.total++;
    if (v.valid) c.correct++;
    counts.set(v.category, c);
  }
  const categories: Partial<Record<BfclCategory, CategoryScore>> = {};
  for (const name of BFCL_CATEGORIES) {
    const c = counts.get(name);
    if (c !== undefined) categories[name] = { accuracy: c.total === 0 ? 0 : c.correct / c.total, correct: c.correct, total: c.total };
  }
  return { reading: options.reading ?? 'official', mode: options.mode ?? 'prompting', categories, aggregates: aggregateScores(categories), verdicts };
}

/** A predictions file line is not `{"id": ..., "result": ...}`; the message names file and line. */
export class PredictionsError extends errorWithCode('PREDICTIONS_INVALID') {}

/** Reads `{"id": ..., "result": <model text or tool calls>}` lines, keeping ints apart from floats. */
export function loadPredictions(path: string): Map<string, PyValue> {
  const text = readInputFile(path, 'predictions file', (message) => new PredictionsError(message));
  const out = new Map<string, PyValue>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let row: PyValue;
    try {
      row = parseJson(line.trim());
    } catch (err) {
      throw new PredictionsError(`${where}: not JSON (${(err as Error).message})`);
    }
    if (!isPyDict(row) || typeof row.get('id') !== 'string' || !row.has('result')) throw new PredictionsError(`${where}: expected {"id": "<entry id>", "result": <model output>}`);
    const id = row.get('id') as string;
    if (out.has(id)) throw new PredictionsError(`${where}: id ${id} appears twice`);
    out.set(id, row.get('result')!);
  });
  return out;
}

const pct = (x: number): string => (100 * x).toFixed(2).padStart(6) + '%';

/** Says how a report's answers were read, for its header. */
export const describeReading = (report: Pick<BfclReport, 'reading' | 'mode'>): string =>
  `${report.reading === 'official' ? "official reading (the leaderboard's verdicts)" : 'lenient reading (toolken; not comparable with the leaderboard)'}, ${report.mode} decoder`;

/** A plain-text table: how the answers were read, per-category accuracy, then the aggregates. */
export function formatReport(report: BfclReport): string {
  const lines = [`scored with the ${describeReading(report)}`, `${'category'.padEnd(24)} ${'accuracy'.padStart(8)} ${'correct'.padStart(8)} ${'total'.padStart(6)}`];
  for (const [name, s] of Object.entries(report.categories)) {
    lines.push(`${name.padEnd(24)} ${pct(s.accuracy).padStart(8)} ${String(s.correct).padStart(8)} ${String(s.total).padStart(6)}`);
  }
  const aggregates = Object.entries(report.aggregates);
  if (aggregates.length > 0) {
    lines.push('');
    for (const [name, value] of aggregates) lines.push(`${name.padEnd(24)} ${pct(value).padStart(8)}`);
  }
  return lines.join('\n');
}
