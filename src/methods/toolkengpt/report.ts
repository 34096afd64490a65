/** The ToolkenGPT evaluation report: a table and plots per dataset, written into the run directory. */
import { join } from 'node:path';
import { groupedBarSvg } from '../../report/charts.js';
import { renderHtmlReport, type ReportBlock } from '../../report/html.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import type { MethodResult } from './pipeline.js';

const COLUMNS = ['dataset', 'method', 'questions', 'EM', 'approx', 'calls/q', 'call precision', 'call recall', 'wrong calls/q', 'rejected/q', 'seconds'];

/** One table row per method result. */
export function summaryRows(results: readonly MethodResult[]): (string | number)[][] {
  return results.map((r) => [r.dataset, r.method, r.questions, r.em, r.approx, r.callsPerQuestion, r.callPrecision, r.callRecall, r.wrongCallsPerQuestion, r.rejectedPerQuestion, Number(r.seconds.toFixed(1))]);
}

/** The results without their per-question answers (what `--json` and the report's summary hold). */
export function summaries(results: readonly MethodResult[]): Omit<MethodResult, 'results'>[] {
  return results.map(({ results: _answers, ...rest }) => rest);
}

/**
 * Writes `report.html` (table + EM/approx and call plots per dataset), `results.json` (summaries) and
 * `answers.jsonl` (every question's generation, calls and verdict) into `dir`.
 */
export function writeToolkenReport(dir: string, title: string, results: readonly MethodResult[], notes: readonly string[] = []): void {
  const blocks: ReportBlock[] = [{ kind: 'table', columns: COLUMNS, rows: summaryRows(results) }];
  for (const note of notes) blocks.push({ kind: 'text', text: note });
  for (const dataset of [...new Set(results.map((r) => r.dataset))]) {
    const rows = results.filter((r) => r.dataset === dataset);
    blocks.push({ kind: 'heading', text: dataset });
    blocks.push({ kind: 'svg', svg: groupedBarSvg({ title: `${dataset}: answers`, categories: ['EM', 'approx'], series: rows.map((r) => ({ name: r.method, values: [r.em, r.approx] })), yMax: 1 }) });
    blocks.push({ kind: 'svg', svg: groupedBarSvg({ title: `${dataset}: calls`, categories: ['calls/q', 'precision', 'recall', 'wrong/q'], series: rows.map((r) => ({ name: r.method, values: [r.callsPerQuestion, r.callPrecision, r.callRecall, r.wrongCallsPerQuestion] })) }) });
  }
  writeFileAtomic(join(dir, 'report.html'), renderHtmlReport(title, blocks));
  writeJsonAtomic(join(dir, 'results.json'), summaries(results));
  const lines = results.flatMap((r) => r.results.map((q) => JSON.stringify({ dataset: r.dataset, method: r.method, ...q })));
  writeFileAtomic(join(dir, 'answers.jsonl'), lines.join('\n') + '\n');
}
