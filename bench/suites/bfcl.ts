/**
 * BFCL AST checker speed: loading the non-live and live categories from ../shared/datasets/bfcl, and decoding plus
 * checking their rendered ground truth (the self-check), as entries per second. Skipped when the data is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BFCL_CATEGORY_GROUPS, type BfclEntry, loadCategory, renderGroundTruth, scoreEntries } from '../../src/eval/bfcl/index.js';
import { timeIt, type BenchRecord } from '../lib.js';

const DATA_DIR = fileURLToPath(new URL('../../../shared/datasets/bfcl', import.meta.url));

export async function run(): Promise<BenchRecord[]> {
  if (!existsSync(DATA_DIR)) {
    process.stderr.write(`bench bfcl: skipping, ${DATA_DIR} is absent\n`);
    return [];
  }
  const records: BenchRecord[] = [];
  for (const group of ['non_live', 'live'] as const) {
    const categories = BFCL_CATEGORY_GROUPS[group]!;
    let entries: BfclEntry[] = [];
    const load = await timeIt(() => {
      entries = categories.flatMap((c) => loadCategory(DATA_DIR, c));
    });
    const predictions = new Map(entries.map((e) => [e.id, renderGroundTruth(e)]));
    const score = await timeIt(() => {
      scoreEntries(entries, predictions);
    });
    const params = { set: group, entries: entries.length };
    records.push({ name: 'bfcl load', value: load.median, unit: 's', params });
    records.push({ name: 'bfcl decode+check', value: score.median, unit: 's', params });
    records.push({ name: 'bfcl decode+check rate', value: entries.length / score.median, unit: 'entries/s', params });
  }
  return records;
}
