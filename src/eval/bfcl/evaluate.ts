/**
 * The whole evaluation as one library call: pick categories, load their data, take predictions from a file (or
 * render the ground truth itself as predictions, a self-check of decoders and checker), and score.
 */
import { BFCL_CATEGORIES, BfclCategory, BfclDataError, hasCategory, isBfclCategory, loadCategory } from './dataset.js';
import { renderGroundTruth } from './render.js';
import { BfclReport, ScoreOptions, loadPredictions, scoreEntries } from './score.js';
import type { PyValue } from '../../tools/calls/values.js';

/** Category groups accepted wherever a category name is. */
export const BFCL_CATEGORY_GROUPS: Readonly<Record<string, readonly BfclCategory[]>> = {
  all: BFCL_CATEGORIES,
  non_live: ['simple_python', 'simple_java', 'simple_javascript', 'multiple', 'parallel', 'parallel_multiple', 'irrelevance'],
  live: ['live_simple', 'live_multiple', 'live_parallel', 'live_parallel_multiple', 'live_irrelevance', 'live_relevance'],
};

/** Expands category names and groups; throws BfclDataError naming an unknown one. */
export function resolveCategories(names: readonly string[]): BfclCategory[] {
  const out = new Set<BfclCategory>();
  for (const name of names) {
    const group = BFCL_CATEGORY_GROUPS[name];
    if (group !== undefined) group.forEach((c) => out.add(c));
    else if (isBfclCategory(name)) out.add(name);
    else throw new BfclDataError(`unknown BFCL category '${name}' (known: ${[...Object.keys(BFCL_CATEGORY_GROUPS), ...BFCL_CATEGORIES].join(', ')})`);
  }
  return BFCL_CATEGORIES.filter((c) => out.has(c));
}

/** The category an entry id belongs to (`live_simple_3-2-0` → live_simple); v3 ids map to v4 names. */
export function categoryOfId(id: string): BfclCategory | undefined {
  const stem = id.replace(/_\d+(?:-\d+)*$/, '');
  const v4 = stem === 'simple' ? 'simple_python' : stem === 'java' ? 'simple_java' : stem === 'javascript' ? 'simple_javascript' : stem;
  return isBfclCategory(v4) ? v4 : undefined;
}

export interface BfclEvaluationOptions extends ScoreOptions {
  readonly dataDir: string;
  /** A predictions file, or 'ground-truth' to score the rendered possible answers themselves. */
  readonly predictions: string | 'ground-truth';
  /** Categories or groups; by default those the predictions cover (all available ones for the self-check). */
  readonly categories?: readonly string[];
}

export interface BfclEvaluation {
  readonly report: BfclReport;
  readonly categories: readonly BfclCategory[];
  /** Prediction ids that match no entry of the scored categories. */
  readonly unmatchedIds: readonly string[];
}

export function evaluateBfcl(options: BfclEvaluationOptions): BfclEvaluation {
  const fromFile = options.predictions === 'ground-truth' ? undefined : loadPredictions(options.predictions);
  let categories: BfclCategory[];
  if (options.categories !== undefined && options.categories.length > 0) categories = resolveCategories(options.categories);
  else if (fromFile !== undefined) {
    const covered = new Set([...fromFile.keys()].map(categoryOfId));
    categories = BFCL_CATEGORIES.filter((c) => covered.has(c));
    if (categories.length === 0) throw new BfclDataError(`no prediction id in ${options.predictions} names a BFCL category (ids look like simple_python_0 or live_simple_0-0-0)`);
  } else categories = BFCL_CATEGORIES.filter((c) => hasCategory(options.dataDir, c));
  if (categories.length === 0) throw new BfclDataError(`no BFCL question files found in ${options.dataDir}`);

  const entries = categories.flatMap((c) => loadCategory(options.dataDir, c));
  const predictions: ReadonlyMap<string, PyValue> = fromFile ?? new Map(entries.map((e) => [e.id, renderGroundTruth(e)]));
  const known = new Set(entries.map((e) => e.id));
  const unmatchedIds = [...predictions.keys()].filter((id) => !known.has(id));
  return { report: scoreEntries(entries, predictions, options), categories, unmatchedIds };
}
