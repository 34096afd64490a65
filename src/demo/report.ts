/**
 * The demo's report.html, rendered from its output folder alone (report.json and runs/<stage>/config.json and
 * metrics.jsonl), so a finished or interrupted run can be judged and reproduced from what it left on disk: loss per
 * stage (raw, smoothed, validation), hyper-parameters, retrieval per setting and domain, the queries each
 * retriever got wrong, the agent's answers beside the expected ones, the commands to reproduce, and the limits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentMetrics } from '../methods/toolgen/agent-metrics.js';
import type { RetrievalComparison } from '../eval/retrieval/compare.js';
import { emaSmooth, groupedBarSvg, lossChartSvg } from '../report/charts.js';
import { flattenConfig, renderHtmlReport, type ReportBlock } from '../report/html.js';
import { RunDirectory } from '../train/run-dir.js';

export interface DemoStageReport {
  readonly steps: number;
  readonly epochs: number;
  readonly conversations: number;
  /** The last step's loss (noisy: the charts and the smoothed value are the ones to judge by). */
  readonly finalLoss: number;
  readonly tokensPerSecond: number;
  readonly seconds: number;
}

export interface DemoReport {
  readonly retrievers: RetrievalComparison['retrievers'];
  readonly settings: Record<string, RetrievalComparison>;
  readonly hallucination: { readonly unconstrained: number; readonly constrained: number; readonly queries: number };
  readonly agent: {
    readonly metrics: AgentMetrics;
    readonly examples: readonly { task: string; truth: string; answer: string; passed: boolean; turns: string[] }[];
  };
  /** By stage, in training order. */
  readonly training: Record<string, DemoStageReport>;
  readonly catalog: { tools: number; domains: number; trainQueries: number; testQueries: number; trainTasks: number; testTasks: number };
  readonly run: {
    readonly seed: number;
    readonly quick: boolean;
    readonly parameters: number;
    readonly threads: number;
    readonly node: string;
    /** The command that reproduces the run, then commands that use its output. */
    readonly commands: readonly string[];
  };
  readonly backend: string;
  readonly seconds: number;
}

export const REPORT_JSON = 'report.json';
/** The retrieval metrics of the demo's tables and charts, in order. */
export const RETRIEVAL_METRICS = ['ndcg@1', 'ndcg@3', 'ndcg@5', 'recall@5', 'mrr', 'comp@5'] as const;
/** EMA weight of the smoothed loss curves and the smoothed final loss. */
const SMOOTHING = 0.9;

/** The last value of the EMA-smoothed loss: what the stage ended at, without the last step's noise. */
const smoothedLast = (points: readonly (readonly [number, number])[]): number => emaSmooth(points, SMOOTHING).at(-1)?.[1] ?? NaN;

const numbers = (records: readonly Record<string, unknown>[], key: string): [number, number][] =>
  records.filter((r) => typeof r[key] === 'number').map((r) => [r.step as number, r[key] as number]);

/** One block list per stage: its loss chart, validation metrics when it had a split, and its hyper-parameters. */
function stageBlocks(outDir: string, stage: string, summary: DemoStageReport): ReportBlock[] {
  const runPath = join(outDir, 'runs', stage);
  if (!existsSync(runPath)) return [{ kind: 'text', text: `${runPath} is missing: no curve or configuration for this stage.` }];
  const run = RunDirectory.open(runPath, { resume: true });
  const records = run.readMetrics();
  const train = numbers(records.filter((r) => r.split === 'train'), 'loss');
  const validation = records.filter((r) => r.split === 'validation');
  const blocks: ReportBlock[] = [
    { kind: 'heading', text: `Stage: ${stage}` },
    { kind: 'svg', svg: lossChartSvg(`${stage}: training loss`, train, numbers(validation, 'loss'), SMOOTHING) },
    {
      kind: 'table',
      columns: ['steps', 'epochs', 'conversations', 'final loss (EMA)', 'last step loss', 'tokens/s', 'wall time (s)'],
      rows: [[summary.steps, summary.epochs, summary.conversations, smoothedLast(train), summary.finalLoss, Math.round(summary.tokensPerSecond), summary.seconds]],
    },
  ];
  if (validation.length > 0) {
    const keys = [...new Set(validation.flatMap((r) => Object.keys(r).filter((k) => typeof r[k] === 'number' && k !== 'step')))];
    blocks.push({ kind: 'text', text: 'Validation (held-out split of the stage):' });
    blocks.push({ kind: 'table', columns: ['step', ...keys], rows: validation.map((r) => [r.step, ...keys.map((k) => (typeof r[k] === 'number' ? (r[k] as number) : ''))]) });
  } else blocks.push({ kind: 'text', text: 'No validation split: this stage trains on all its conversations; the held-out evaluation is below.' });
  const config = run.readConfig<Record<string, unknown>>();
  if (config !== undefined) blocks.push({ kind: 'table', columns: ['hyper-parameter', 'value'], rows: flattenConfig(config) });
  return blocks;
}

function retrievalBlocks(report: DemoReport): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (const [setting, r] of Object.entries(report.settings)) {
    const names = Object.keys(r.retrievers);
    blocks.push({ kind: 'heading', text: `Retrieval, ${setting} (${r.queries} held-out queries)` });
    blocks.push({ kind: 'table', columns: ['retriever', ...RETRIEVAL_METRICS], rows: names.map((n) => [n, ...RETRIEVAL_METRICS.map((k) => r.retrievers[n]![k] ?? NaN)]) });
    blocks.push({
      kind: 'svg',
      svg: groupedBarSvg({ title: `Retrieval (${setting})`, categories: [...RETRIEVAL_METRICS], series: names.map((n) => ({ name: n, values: RETRIEVAL_METRICS.map((k) => r.retrievers[n]![k] ?? 0) })), yMax: 1 }),
    });
    const domains = [...new Set(names.flatMap((n) => Object.keys(r.byDomain[n] ?? {})))].sort();
    if (domains.length > 0) {
      blocks.push({ kind: 'text', text: `NDCG@1 and recall@5 per domain (${setting}):` });
      blocks.push({
        kind: 'table',
        columns: ['domain', ...names.flatMap((n) => [`${n} ndcg@1`, `${n} recall@5`])],
        rows: domains.map((d) => [d, ...names.flatMap((n) => [r.byDomain[n]?.[d]?.['ndcg@1'] ?? NaN, r.byDomain[n]?.[d]?.['recall@5'] ?? NaN])]),
      });
    }
    for (const n of names) {
      const misses = r.misses[n] ?? [];
      if (misses.length === 0) continue;
      blocks.push({ kind: 'text', text: `Queries ${n} got wrong (${setting}; first answer not relevant; first ${misses.length}):` });
      blocks.push({
        kind: 'table',
        columns: ['query', 'domain', 'expected', 'retrieved (best first)'],
        rows: misses.map((m) => [m.query, m.domain ?? '', m.relevant.join(', '), m.retrieved.join(', ')]),
      });
    }
  }
  return blocks;
}

function limitations(report: DemoReport, hasValidation: boolean): string[] {
  return [
    `The catalog (${report.catalog.tools} tools) and its queries are generated from templates: held-out queries share phrasing with training ones, so the numbers measure learning this catalog, not transfer to real users' requests.`,
    `The model is trained from scratch (${report.run.parameters.toLocaleString('en-US')} parameters); it is no pretrained language model, and its free text is not meaningful.`,
    `One seed (${report.run.seed}): the run gives no variance; rerun with other --seed values to see the spread.`,
    `The agent passed ${Math.round(report.agent.metrics.passRate * report.agent.metrics.tasks)} of ${report.agent.metrics.tasks} held-out multi-step tasks: the trie and the argument schemas make every action a catalog tool and every argument valid, not the right tool or the right values.`,
    ...(hasValidation ? [] : ['The training stages have no validation split; the held-out retrieval and agent results are the only generalisation measure.']),
    ...(report.run.quick ? ['This is a --quick run: a tiny model and few epochs, a smoke test whose numbers are not the demo\'s.'] : []),
    `Speed (tokens/s, wall times) was measured on ${report.backend} with ${report.run.threads} thread(s) and depends on the machine and its load.`,
  ];
}

/** report.html of a demo output folder, from report.json and the stages' run directories. */
export function renderDemoReport(outDir: string): string {
  const report = JSON.parse(readFileSync(join(outDir, REPORT_JSON), 'utf8')) as DemoReport;
  const stages = Object.entries(report.training);
  const stageParts = stages.map(([stage, summary]) => stageBlocks(outDir, stage, summary));
  const hasValidation = stageParts.some((blocks) => blocks.some((b) => b.kind === 'text' && b.text.startsWith('Validation')));
  const m = report.agent.metrics;
  const blocks: ReportBlock[] = [
    {
      kind: 'text',
      text: `${report.catalog.tools} tools in ${report.catalog.domains} domains; a model trained from scratch on ${report.catalog.trainQueries} queries and ${report.catalog.trainTasks} multi-step tasks, evaluated on ${report.catalog.testQueries} held-out queries and ${report.catalog.testTasks} held-out tasks.`,
    },
    { kind: 'heading', text: 'Run' },
    {
      kind: 'table',
      columns: ['seed', 'parameters', 'backend', 'threads', 'node', 'wall time (s)', 'quick'],
      rows: [[report.run.seed, report.run.parameters, report.backend, report.run.threads, report.run.node, Math.round(report.seconds), report.run.quick ? 'yes' : 'no']],
    },
    { kind: 'heading', text: 'Reproduce' },
    { kind: 'pre', text: report.run.commands.join('\n') },
    ...retrievalBlocks(report),
    { kind: 'heading', text: 'Hallucinated tools' },
    {
      kind: 'table',
      columns: ['decoding', `share of ${report.hallucination.queries} generations naming no real tool`],
      rows: [['free (greedy)', report.hallucination.unconstrained], ['trie-constrained beam search', report.hallucination.constrained]],
    },
    { kind: 'heading', text: 'Multi-step tasks answered end to end (held out)' },
    {
      kind: 'table',
      columns: ['pass rate', 'finish rate', 'give-up rate', 'steps', 'tool calls', 'retried steps', 'hallucinated actions', 'argument validity'],
      rows: [[m.passRate, m.finishRate, m.giveUpRate, m.meanSteps, m.meanToolCalls, m.meanRetries, m.hallucinatedActions, m.argumentValidity]],
    },
    {
      kind: 'table',
      columns: ['request', 'expected answer', 'produced answer', 'correct', 'turns'],
      rows: report.agent.examples.map((e) => [e.task, e.truth, e.answer, e.passed ? 'yes' : 'no', e.turns.join(' | ')]),
    },
    { kind: 'heading', text: 'Training' },
    ...stageParts.flat(),
    { kind: 'heading', text: 'Known limitations' },
    { kind: 'pre', text: limitations(report, hasValidation).map((l) => `- ${l}`).join('\n') },
  ];
  return renderHtmlReport('toolken demo: ToolGen on the built-in catalog', blocks);
}
