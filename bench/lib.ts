/**
 * Shared benchmark plumbing: a record type every suite returns, a timer (warm-up, then the median of several
 * runs), a plain-text table printer and the atomic JSON writer for bench/results/<suite>.json.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { writeJsonAtomic } from '../src/util/fs.js';

/** One measured number. `params` says what was measured (shape, threads, backend...). */
export interface BenchRecord {
  name: string;
  value: number;
  unit: string;
  params: Record<string, string | number | boolean>;
}

export interface TimingOptions {
  /** Untimed runs first (caches, thread pool, page faults). Default 1. */
  readonly warmup?: number;
  /** Timed runs; the median is reported. Default 5. */
  readonly runs?: number;
}

export interface Timing {
  /** Median seconds per run. */
  readonly median: number;
  /** Fastest run, seconds. */
  readonly min: number;
  /** Every timed run, seconds, in order. */
  readonly samples: readonly number[];
  /** CPU seconds (user + system, all threads of this process) of every timed run: on a shared machine this
   * stays near the uncontended cost while wall time grows with the load. */
  readonly cpuSamples: readonly number[];
}

/** Times `fn` (sync or async): `warmup` untimed calls, then `runs` timed ones. */
export async function timeIt(fn: () => void | Promise<void>, options: TimingOptions = {}): Promise<Timing> {
  const warmup = options.warmup ?? 1;
  const runs = options.runs ?? 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`timeIt: runs must be a positive integer, got ${runs}`);
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
    const cpu = process.cpuUsage(cpuStart);
    cpuSamples.push((cpu.user + cpu.system) / 1e6);
  }
  return { median: median(samples), min: Math.min(...samples), samples, cpuSamples };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Formats records as an aligned text table: name, value, unit, then the params as key=value. */
export function formatTable(title: string, records: readonly BenchRecord[]): string {
  const rows = records.map((r) => [
    r.name,
    formatNumber(r.value),
    r.unit,
    Object.entries(r.params).map(([k, v]) => `${k}=${String(v)}`).join(' '),
  ]);
  const header = ['name', 'value', 'unit', 'params'];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, col) => (col === 1 ? c.padStart(widths[col]!) : c.padEnd(widths[col]!))).join('  ').trimEnd();
  return [`== ${title} ==`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** bench/results, beside this file. */
export const resultsDir = fileURLToPath(new URL('./results', import.meta.url));

/** Writes bench/results/<suite>.json atomically, with the time and machine load of the run. */
export function writeResults(suite: string, records: readonly BenchRecord[], dir: string = resultsDir): string {
  const path = join(dir, `${suite}.json`);
  const [load1, load5, load15] = loadavg();
  // The CPU goes with every results file, so no suite's records can be read apart from the machine they ran on.
  writeJsonAtomic(path, { suite, date: new Date().toISOString(), loadAverage: [load1, load5, load15], cpu: cpuParams(), records });
  return path;
}

/** The CPU a record was measured on: its model and data/unified cache sizes per level, as the kernel reports them
 * (e.g. `L1d 32K, L2 1024K, L3 32768K`), so records from different machines are never compared as one. */
export function cpuParams(): { cpuModel: string; caches: string } {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  const caches: string[] = [];
  try {
    for (const entry of readdirSync(dir).filter((e) => e.startsWith('index')).sort()) {
      const read = (field: string): string => readFileSync(join(dir, entry, field), 'utf8').trim();
      const type = read('type');
      if (type === 'Instruction') continue;
      caches.push(`L${read('level')}${type === 'Data' ? 'd' : ''} ${read('size')}`);
    }
  } catch {
    caches.push('unknown (no /sys cache information)');
  }
  return { cpuModel: cpus()[0]?.model ?? 'unknown', caches: caches.join(', ') };
}

/** `--name N` from the command line, a positive integer that shortens a bench's plan; undefined when absent. */
export function positiveIntFlag(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`--${name} needs a positive integer, got ${process.argv[at + 1]}`);
  return value;
}
