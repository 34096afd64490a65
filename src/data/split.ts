/**
 * Deterministic train / validation / test splits of a query set.
 *
 * Queries are split as groups of identical text (case and surrounding space ignored), so one text never lands on
 * both sides. With `unseenToolFraction`, that fraction of the tools is held out: every query that needs one of
 * them goes to the test split, so the test split measures tools the model never saw in training.
 */
import { seededRandom, shuffled } from '../util/random.js';
import type { RetrievalQuery } from './types.js';

export interface SplitOptions {
  seed: number;
  /** Fraction of queries for validation, in [0, 1). Default 0.1. */
  validation?: number;
  /** Fraction of queries for test, in [0, 1). Default 0.2. */
  test?: number;
  /** Fraction of the tools (among those some query needs) never seen in train or validation. Default 0. */
  unseenToolFraction?: number;
}

export interface QuerySplit {
  train: RetrievalQuery[];
  validation: RetrievalQuery[];
  test: RetrievalQuery[];
  /** Tools held out of train and validation (empty unless `unseenToolFraction` > 0). */
  unseenTools: string[];
}

function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new RangeError(`split: ${name} must be in [0, 1), got ${value}`);
}

export function splitQueries(queries: readonly RetrievalQuery[], options: SplitOptions): QuerySplit {
  const validationFraction = options.validation ?? 0.1;
  const testFraction = options.test ?? 0.2;
  const unseenFraction = options.unseenToolFraction ?? 0;
  checkFraction('validation', validationFraction);
  checkFraction('test', testFraction);
  checkFraction('unseenToolFraction', unseenFraction);
  if (validationFraction + testFraction >= 1) throw new RangeError('split: validation + test must leave some queries for train');
  const random = seededRandom(options.seed);

  const groups = new Map<string, RetrievalQuery[]>();
  for (const q of queries) {
    const key = q.query.trim().toLowerCase();
    const group = groups.get(key);
    if (group) group.push(q);
    else groups.set(key, [q]);
  }

  const toolsInUse = [...new Set(queries.flatMap((q) => q.relevant))].sort();
  const unseenTools = shuffled(toolsInUse, random).slice(0, Math.round(toolsInUse.length * unseenFraction));
  const unseen = new Set(unseenTools);
  const needsUnseen = (group: RetrievalQuery[]): boolean => group.some((q) => q.relevant.some((t) => unseen.has(t)));

  const order = shuffled([...groups.values()], random);
  const heldOut = order.filter(needsUnseen);
  const rest = order.filter((g) => !needsUnseen(g));
  const total = queries.length;
  const test: RetrievalQuery[] = heldOut.flat();
  const validation: RetrievalQuery[] = [];
  const train: RetrievalQuery[] = [];
  for (const group of rest) {
    if (test.length < Math.round(total * testFraction)) test.push(...group);
    else if (validation.length < Math.round(total * validationFraction)) validation.push(...group);
    else train.push(...group);
  }
  return { train, validation, test, unseenTools: unseenTools.sort() };
}
