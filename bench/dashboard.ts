/**
 * `npm run bench:dashboard [-- --records 200000] [--runs 20]`: what the dashboard costs the machine a run trains on.
 * A temp folder gets `--runs` run directories, one with `--records` training records (about 170 bytes each, as the
 * trainer writes them); the dashboard serves it on loopback and the page's requests are timed over HTTP: the first
 * listing (the end of every metrics.jsonl read), the large run's panel opened (its first slice read), the polls that
 * read the rest (their total and the longest: how long a poll can hold up the server), a listing when nothing changed (what each one-second poll costs while idle), and the large run's panel redrawn after one record
 * is appended (what each poll costs while that run trains).
 * Records `dashboard/<metric>` (wall ms, median of 5, and CPU ms of this process) go to bench/results/dashboard.json.
 */
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboardServer } from '../src/serve/dashboard/dashboard.js';
import { RunDirectory } from '../src/train/run-dir.js';
import { formatTable, timeIt, writeResults, type BenchRecord } from './lib.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer, got ${argv[i + 1]}`);
  return value;
};
const recordCount = Math.min(flag('records', 200_000), 1_000_000);
const runCount = Math.min(flag('runs', 20), 200);

const root = mkdtempSync(join(tmpdir(), 'toolken-bench-dashboard-'));
try {
  const big = RunDirectory.open(join(root, 'big'), { resume: false });
  big.writeConfig({ stage: 'memorization', sft: { lr: 1e-3, batchSize: 16 } });
  const time = new Date().toISOString();
  for (let start = 1; start <= recordCount; start += 10_000) {
    const lines: string[] = [];
    for (let step = start; step < Math.min(start + 10_000, recordCount + 1); step++) {
      lines.push(JSON.stringify({ step, split: 'train', epoch: 0, loss: 1 / step, lr: 1e-3, grad_norm: 1, loss_weight: 1, tokens_per_s: 1000, time }));
    }
    appendFileSync(big.file('metrics.jsonl'), lines.join('\n') + '\n');
  }
  for (let i = 1; i < runCount; i++) {
    const run = RunDirectory.open(join(root, `small-${i}`), { resume: false });
    appendFileSync(run.file('metrics.jsonl'), Array.from({ length: 1000 }, (_, s) => JSON.stringify({ step: s + 1, split: 'train', loss: 1 / (s + 1) })).join('\n') + '\n');
  }
  const bytes = statSync(big.file('metrics.jsonl')).size;
  const server = createDashboardServer({ runs: [root] });
  const { port } = await server.listen(0, '127.0.0.1');
  const get = async (path: string): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.text();
  };
  const params = { runs: runCount, records: recordCount, metricsBytes: bytes };
  const records: BenchRecord[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const index = JSON.parse(await get('/dashboard/api/runs')) as { runs: { id: number; name: string }[] };
  const firstCpu = process.cpuUsage(cpu0);
  records.push({ name: 'dashboard/first-listing', value: performance.now() - t0, unit: 'ms', params: { ...params, cpuMs: (firstCpu.user + firstCpu.system) / 1000 } });
  const id = index.runs.find((r) => r.name.endsWith('/big'))!.id;
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  await get(`/dashboard/api/runs/${id}`);
  const openCpu = process.cpuUsage(cpu1);
  records.push({ name: 'dashboard/first-panel', value: performance.now() - t1, unit: 'ms', params: { ...params, cpuMs: (openCpu.user + openCpu.system) / 1000 } });
  // The page polls once a second; here the polls follow each other at once, to see the longest one and the total.
  let polls = 1;
  let longest = 0;
  const t2 = performance.now();
  for (;;) {
    const started = performance.now();
    const { html } = JSON.parse(await get(`/dashboard/api/runs/${id}`)) as { html: string };
    longest = Math.max(longest, performance.now() - started);
    polls++;
    if (!html.includes('bytes still to read')) break;
  }
  records.push({ name: 'dashboard/catch-up', value: performance.now() - t2, unit: 'ms', params: { ...params, polls } });
  records.push({ name: 'dashboard/longest-poll', value: longest, unit: 'ms', params: { ...params, polls } });
  const idle = await timeIt(async () => void (await get('/dashboard/api/runs')), { warmup: 2, runs: 5 });
  records.push({ name: 'dashboard/idle-listing', value: idle.median * 1000, unit: 'ms (median)', params: { ...params, cpuMs: (idle.cpuSamples.reduce((a, b) => a + b, 0) / idle.cpuSamples.length) * 1000 } });
  let step = recordCount;
  const redraw = await timeIt(
    async () => {
      big.appendMetric({ step: ++step, split: 'train', loss: 1 / step });
      await get('/dashboard/api/runs');
      await get(`/dashboard/api/runs/${id}`);
    },
    { warmup: 2, runs: 5 },
  );
  records.push({ name: 'dashboard/live-redraw', value: redraw.median * 1000, unit: 'ms (median)', params: { ...params, cpuMs: (redraw.cpuSamples.reduce((a, b) => a + b, 0) / redraw.cpuSamples.length) * 1000 } });
  await server.close();
  process.stdout.write(formatTable('dashboard (loopback)', records) + '\n');
  process.stderr.write(`wrote ${writeResults('dashboard', records)}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
