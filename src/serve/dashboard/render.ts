/**
 * The dashboard's panels as HTML fragments, drawn on the server with the reports' own charts (src/report/charts.ts)
 * and blocks (src/report/html.ts), so the page and report.html show a run the same way and every text is escaped in
 * one place. The page swaps a fragment in when its run's version changes.
 */
import { emaSmooth, escapeXml, groupedBarSvg, lineSvg, lossChartSvg, spansDecades, type LineSeries } from '../../report/charts.js';
import { flattenConfig, renderBlocks, type ReportBlock } from '../../report/html.js';
import type { ServerStatsSnapshot } from '../stats.js';
import type { MetricPoint, MetricsProblems } from './metrics-follower.js';
import type { PlaygroundAnswer } from './playground.js';
import type { RunState, RunSummary } from './run-catalog.js';

/** Points drawn per curve: beyond this a curve is sampled evenly (its last point always kept). */
const MAX_CHART_POINTS = 2000;
const SMOOTHING = 0.9;
/** Training fields that are bookkeeping, not curves. */
const NOT_CURVES = new Set(['loss', 'epoch', 'loss_weight']);
const MAX_CHARTS = 12;
const MAX_CONFIG_ROWS = 400;
const MAX_VALUE_CHARS = 200;
const SMALL = { width: 460, height: 240 };

type Curve = [number, number][];

const curve = (points: readonly MetricPoint[], key: string): Curve =>
  points.filter((p) => Object.hasOwn(p.values, key)).map((p) => [p.step, p.values[key]!]);

/** At most MAX_CHART_POINTS evenly spaced points of a curve, its last point included. */
function sample(points: Curve): Curve {
  if (points.length <= MAX_CHART_POINTS) return points;
  const stride = points.length / MAX_CHART_POINTS;
  const out: Curve = [];
  for (let i = 0; i < MAX_CHART_POINTS - 1; i++) out.push(points[Math.floor(i * stride)]!);
  out.push(points.at(-1)!);
  return out;
}

function keysOf(points: readonly MetricPoint[]): string[] {
  const keys = new Set<string>();
  for (const p of points) for (const key in p.values) keys.add(key);
  return [...keys];
}

const shorten = (text: string): string => (text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length} characters)` : text);

const when = (ms: number | undefined): string => (ms === undefined ? 'never' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));

/** What is wrong with a run's metrics.jsonl, one sentence each. */
export function metricsProblemLines(file: string, problems: MetricsProblems): string[] {
  const lines: string[] = [];
  if (problems.unreadable !== undefined) lines.push(`${file} cannot be read: ${problems.unreadable}`);
  if (problems.skippedBytes > 0) lines.push(`${file} is larger than the dashboard reads: its first ${problems.skippedBytes} bytes are not shown (line numbers below count from the first line read)`);
  if (problems.malformed > 0) {
    const first = problems.firstMalformed;
    lines.push(`${file}: ${problems.malformed} line(s) are not metric records and were skipped${first === undefined ? '' : ` (first: line ${first.line}, ${first.reason})`}`);
  }
  if (problems.tooLong > 0) lines.push(`${file}: ${problems.tooLong} line(s) are too long to be metric records and were skipped`);
  if (problems.unreadBytes > 0) lines.push(`${file}: ${problems.unreadBytes} bytes still to read; the curves fill in as they are`);
  if (problems.thinned > 0) lines.push(`${file} has more records than the dashboard keeps: ${problems.thinned} training records are left out, evenly spaced`);
  return lines;
}

const problemsHtml = (lines: readonly string[]): string =>
  lines.length === 0 ? '' : `<ul class="problems">${lines.map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul>`;

const statusLine = (s: RunSummary): string =>
  `<p class="status"><span class="badge ${s.live ? 'live' : 'idle'}">${s.live ? 'training' : 'idle'}</span> ` +
  `last step <b data-last-step>${s.lastStep ?? '–'}</b>, metrics updated ${escapeXml(when(s.updated))}</p>`;

/** The charts of one run: loss (raw, EMA, validation), then every other training and validation curve. */
function runCharts(points: readonly MetricPoint[], name: string): string[] {
  const train = points.filter((p) => p.split === 'train');
  const validation = points.filter((p) => p.split === 'validation');
  const charts: string[] = [];
  if (train.some((p) => Object.hasOwn(p.values, 'loss')) || validation.some((p) => Object.hasOwn(p.values, 'loss'))) {
    charts.push(lossChartSvg(`${name}: loss`, sample(curve(train, 'loss')), sample(curve(validation, 'loss')), SMOOTHING));
  }
  for (const key of keysOf(train).filter((k) => !NOT_CURVES.has(k))) {
    charts.push(lineSvg({ title: `train ${key}`, xLabel: 'optimizer step', series: [{ name: key, points: sample(curve(train, key)) }], ...SMALL }));
  }
  for (const key of keysOf(validation).filter((k) => k !== 'loss')) {
    charts.push(lineSvg({ title: `validation ${key}`, xLabel: 'optimizer step', series: [{ name: key, points: curve(validation, key), dots: true, color: 1 }], ...SMALL }));
  }
  const other = points.filter((p) => p.split !== 'train' && p.split !== 'validation');
  for (const split of [...new Set(other.map((p) => p.split))]) {
    const ofSplit = other.filter((p) => p.split === split);
    for (const key of keysOf(ofSplit)) {
      charts.push(lineSvg({ title: `${split} ${key}`, xLabel: 'step', series: [{ name: key, points: sample(curve(ofSplit, key)), dots: ofSplit.length < 50 }], ...SMALL }));
    }
  }
  return charts.slice(0, MAX_CHARTS);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const numberMap = (v: unknown): Record<string, number> | undefined =>
  isRecord(v) && Object.values(v).every((x) => typeof x === 'number') ? (v as Record<string, number>) : undefined;

/** Retriever x metric scores (`eval retrieval --json`, the demo's report.json), or undefined. */
function retrievalScores(value: unknown): Record<string, Record<string, number>> | undefined {
  if (!isRecord(value) || !isRecord(value.retrievers)) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const [name, scores] of Object.entries(value.retrievers)) {
    const map = numberMap(scores);
    if (map === undefined) return undefined;
    out[name] = map;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Per-category accuracy of a BFCL report.json, or undefined. */
function bfclAccuracy(value: unknown): { categories: [string, number, number, number][]; aggregates: Record<string, number> } | undefined {
  if (!isRecord(value) || !isRecord(value.categories)) return undefined;
  const categories: [string, number, number, number][] = [];
  for (const [name, score] of Object.entries(value.categories)) {
    if (!isRecord(score) || typeof score.accuracy !== 'number' || typeof score.correct !== 'number' || typeof score.total !== 'number') return undefined;
    categories.push([name, score.accuracy, score.correct, score.total]);
  }
  return { categories, aggregates: numberMap(value.aggregates) ?? {} };
}

/** A results file as tables and charts: retrieval scores, BFCL accuracy, or its numbers as a flat table. */
function resultBlocks(file: string, value: unknown): ReportBlock[] {
  const retrieval = retrievalScores(value);
  if (retrieval !== undefined) {
    const names = Object.keys(retrieval);
    const metrics = [...new Set(names.flatMap((n) => Object.keys(retrieval[n]!)))];
    return [
      { kind: 'heading', text: `Retrieval (${file})` },
      { kind: 'table', columns: ['retriever', ...metrics], rows: names.map((n) => [n, ...metrics.map((m) => retrieval[n]![m] ?? NaN)]) },
      { kind: 'svg', svg: groupedBarSvg({ title: `retrieval (${file})`, categories: metrics, series: names.map((n) => ({ name: n, values: metrics.map((m) => retrieval[n]![m] ?? 0) })), yMax: 1 }) },
    ];
  }
  const bfcl = bfclAccuracy(value);
  if (bfcl !== undefined) {
    return [
      { kind: 'heading', text: `BFCL (${file})` },
      { kind: 'table', columns: ['category', 'accuracy', 'correct', 'total'], rows: bfcl.categories },
      ...(Object.keys(bfcl.aggregates).length > 0 ? [{ kind: 'table' as const, columns: ['aggregate', 'accuracy'], rows: Object.entries(bfcl.aggregates) }] : []),
      { kind: 'svg', svg: groupedBarSvg({ title: `BFCL accuracy (${file})`, categories: bfcl.categories.map((c) => c[0]), series: [{ name: 'accuracy', values: bfcl.categories.map((c) => c[1]) }], yMax: 1 }) },
    ];
  }
  const numbers = flattenConfig(value).filter((row): row is [string, number] => typeof row[1] === 'number');
  if (numbers.length === 0) return [];
  return [{ kind: 'heading', text: `Results (${file})` }, { kind: 'table', columns: ['value', 'number'], rows: numbers.slice(0, MAX_CONFIG_ROWS) }];
}

const configRows = (config: unknown): [string, string | number][] =>
  flattenConfig(config)
    .slice(0, MAX_CONFIG_ROWS)
    .map(([k, v]) => [shorten(k), typeof v === 'number' ? v : shorten(v)]);

/** One run's panel: status, problems, charts, the latest validation, results, configuration and report links. */
export function runPanel(run: RunState): string {
  const { summary, metrics, files } = run;
  const problems = [...metricsProblemLines(`${summary.path}/metrics.jsonl`, metrics.problems), ...files.problems];
  const charts = runCharts(metrics.points, summary.name);
  const validation = metrics.points.filter((p) => p.split === 'validation').slice(-10);
  const blocks: ReportBlock[] = [];
  if (validation.length > 0) {
    const keys = keysOf(validation);
    blocks.push({ kind: 'heading', text: 'Validation (latest)' });
    blocks.push({ kind: 'table', columns: ['step', ...keys], rows: validation.map((p) => [p.step, ...keys.map((k) => p.values[k] ?? '')]) });
  }
  for (const { file, value } of files.results) blocks.push(...resultBlocks(file, value));
  if (files.config !== undefined) blocks.push({ kind: 'heading', text: 'Configuration' }, { kind: 'table', columns: ['hyper-parameter', 'value'], rows: configRows(files.config) });
  const facts = [
    files.checkpointStep === undefined ? 'no checkpoint yet' : `checkpoint at step ${files.checkpointStep}`,
    files.best === undefined ? '' : `best validation at step ${files.best.step} (score ${files.best.score.toPrecision(4)})`,
    `${metrics.points.length} metric records`,
  ].filter((s) => s !== '');
  const reports = files.reports.length === 0 ? '' : `<h2>Reports and files</h2><ul class="files">${files.reports
    .map((r) => `<li><a href="/dashboard/files/${summary.id}/${r.split('/').map(encodeURIComponent).join('/')}" target="_blank" rel="noopener">${escapeXml(r)}</a></li>`)
    .join('')}</ul>`;
  // An evaluation's folder has results but no training to report on.
  const evaluation = metrics.file === undefined && files.results.length > 0;
  return [
    `<section class="run" data-run="${summary.id}"><h1>${escapeXml(summary.name)}</h1><p class="path">${escapeXml(summary.path)}</p>`,
    evaluation ? '<p class="status"><span class="badge idle">results</span></p>' : `${statusLine(summary)}\n<p>${escapeXml(facts.join('; '))}</p>`,
    problemsHtml(problems),
    charts.length > 0
      ? `<div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('')}</div>`
      : evaluation
        ? ''
        : '<p class="empty">No metrics yet: the charts appear with the first record of metrics.jsonl.</p>',
    renderBlocks(blocks),
    reports,
    '</section>',
  ].join('\n');
}

/** Several runs on shared axes: their smoothed training loss, validation loss and throughput, and where their configurations differ. */
export function comparePanel(runs: readonly RunState[]): string {
  const label = (r: RunState): string => `#${r.summary.id} ${r.summary.name.split('/').slice(-2).join('/')}`;
  const trains = runs.map((r) => r.metrics.points.filter((p) => p.split === 'train'));
  const loss: LineSeries[] = runs.map((r, i) => ({ name: label(r), points: sample(emaSmooth(curve(trains[i]!, 'loss'), SMOOTHING)), color: i }));
  const validation: LineSeries[] = runs.map((r, i) => ({ name: label(r), points: curve(r.metrics.points.filter((p) => p.split === 'validation'), 'loss'), dots: true, color: i }));
  const throughput: LineSeries[] = runs.map((r, i) => ({ name: label(r), points: sample(curve(trains[i]!, 'tokens_per_s')), color: i }));
  const logY = spansDecades(loss.flatMap((s) => s.points.map(([, v]) => v)));
  const charts = [lineSvg({ title: `training loss (EMA ${SMOOTHING})`, xLabel: 'optimizer step', yLabel: logY ? 'loss (log scale)' : 'loss', series: loss, logY })];
  if (validation.some((s) => s.points.length > 0)) charts.push(lineSvg({ title: 'validation loss', xLabel: 'optimizer step', yLabel: 'loss', series: validation }));
  if (throughput.some((s) => s.points.length > 0)) charts.push(lineSvg({ title: 'throughput', xLabel: 'optimizer step', yLabel: 'tokens/s', series: throughput }));
  const configs = runs.map((r) => new Map(configRows(r.files.config ?? {})));
  const keys = [...new Set(configs.flatMap((c) => [...c.keys()]))].sort();
  const differing = keys.filter((k) => new Set(configs.map((c) => String(c.get(k) ?? '–'))).size > 1);
  const blocks: ReportBlock[] = [
    { kind: 'heading', text: 'Runs' },
    {
      kind: 'table',
      columns: ['run', 'last step', `final loss (EMA ${SMOOTHING})`, 'best validation loss', 'tokens/s (last)'],
      rows: runs.map((r, i) => {
        const valLoss = validation[i]!.points.map(([, v]) => v);
        return [label(r), r.summary.lastStep ?? '–', loss[i]!.points.at(-1)?.[1] ?? '–', valLoss.length > 0 ? Math.min(...valLoss) : '–', throughput[i]!.points.at(-1)?.[1] ?? '–'];
      }),
    },
    { kind: 'heading', text: 'Configuration differences' },
    differing.length === 0
      ? { kind: 'text', text: 'The configurations are the same.' }
      : { kind: 'table', columns: ['hyper-parameter', ...runs.map(label)], rows: differing.map((k) => [k, ...configs.map((c) => c.get(k) ?? '–')]) },
  ];
  return `<section class="compare"><h1>Comparing ${runs.length} runs</h1><div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('')}</div>${renderBlocks(blocks)}</section>`;
}

/** The serving side: the model, load now, and its recent history. */
export function serverPanel(stats: ServerStatsSnapshot): string {
  const t0 = stats.history[0]?.time ?? Date.now();
  const seconds = (key: 'active' | 'queued' | 'tokensPerSecond' | 'completionsPerSecond'): Curve => stats.history.map((s) => [(s.time - t0) / 1000, s[key]]);
  const blocks: ReportBlock[] = [
    {
      kind: 'table',
      columns: ['model', 'context', 'slots', 'busy', 'queued', 'completions', 'errors', 'completion tokens', 'up since'],
      rows: [[stats.model, stats.contextLength, stats.slots, stats.active, stats.queued, stats.completions, stats.errors, stats.completionTokens, when(stats.started)]],
    },
  ];
  const charts =
    stats.history.length < 2
      ? ''
      : `<div class="charts"><figure>${lineSvg({ title: 'completion tokens/s', xLabel: 'seconds', series: [{ name: 'tokens/s', points: seconds('tokensPerSecond') }], ...SMALL })}</figure><figure>${lineSvg({
          title: 'load',
          xLabel: 'seconds',
          series: [
            { name: 'busy slots', points: seconds('active') },
            { name: 'queued', points: seconds('queued') },
          ],
          ...SMALL,
        })}</figure></div>`;
  return `<section class="server"><h1>Server</h1>${renderBlocks(blocks)}${charts}</section>`;
}

/** A playground answer: the search's top-k tools with their probabilities, then each step of the agent. */
export function playgroundPanel(answer: PlaygroundAnswer): string {
  const blocks: ReportBlock[] = [
    { kind: 'heading', text: `Top ${answer.tools.length} tools of the constrained search` },
    {
      kind: 'table',
      columns: ['rank', 'tool', 'probability', 'share of the top k', 'log-probability'],
      // Probabilities of whole tool sequences are often tiny: shown in significant digits, not four decimals.
      rows: answer.tools.map((t, i) => [i + 1, t.toolId, t.probability.toPrecision(3), t.share, t.logProb]),
    },
  ];
  if (answer.tools.length > 0) {
    blocks.push({ kind: 'svg', svg: groupedBarSvg({ title: 'share of the top k', categories: answer.tools.map((t) => t.toolId), series: [{ name: 'share', values: answer.tools.map((t) => t.share) }], yMax: 1, height: 300 }) });
  }
  blocks.push(
    { kind: 'heading', text: 'The agent on the request' },
    answer.steps.length === 0
      ? { kind: 'text', text: 'The agent took no step.' }
      : { kind: 'table', columns: ['step', 'thought', 'action', 'arguments (schema-constrained)', 'observation'], rows: answer.steps.map((s) => [s.step, shorten(s.thought), s.action, shorten(s.arguments), shorten(s.observation)]) },
    { kind: 'text', text: `Finished: ${answer.finishType}${answer.answer === '' ? '' : `; answer: ${shorten(answer.answer)}`} (${answer.seconds.toFixed(2)} s).` },
  );
  return `<section class="playground-answer" data-finish="${escapeXml(answer.finishType)}"><p class="request">Request: ${escapeXml(answer.request)}</p>${renderBlocks(blocks)}</section>`;
}
