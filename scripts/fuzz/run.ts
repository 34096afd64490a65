/**
 * `npm run fuzz [-- --seconds N] [--target TEXT] [--seed N] [--out DIR]`: mutates the seeds of every target in
 * scripts/fuzz/targets/*.ts for N seconds in all (default 60, shared evenly), each input in a worker thread under
 * a time and memory watch, and reports per target the inputs run, the defects (exceptions that are not the
 * target's clean rejection, hangs, out-of-memory, inputs over the time or memory bar, changed prototypes; each
 * input saved under the output folder) and the slowest input with its time. Exits 1 when any defect was found.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ProgressBar } from '../../src/report/progress.js';
import { seededRandom } from '../../src/util/random.js';
import { fuzzInputs } from './mutate.js';
import type { FuzzTarget } from './target.js';
import type { WorkerReply, WorkerSetup } from './worker.js';

/** The bar every input must clear: refused or loaded within this time and this much memory. */
const TIME_BAR_MS = 1000;
const MEMORY_BAR_BYTES = 100e6;
/**
 * An input still running after this long is killed and reported as a hang; near the end of a target's time the
 * wait shrinks to twice the time bar, so `--seconds` bounds the run.
 */
const HANG_MS = 10_000;
/** The worker's heap cap: above the bar plus the seeds, so an input far over it is caught as out-of-memory, not the machine's problem. */
const WORKER_HEAP_MB = 256;
/** Saved inputs per target and defect signature. */
const SAVED_PER_SIGNATURE = 3;

const here = dirname(fileURLToPath(import.meta.url));
const USAGE = 'usage: npm run fuzz -- [--seconds N (default 60)] [--target TEXT] [--seed N] [--out DIR]';

interface Defect {
  readonly signature: string;
  count: number;
  readonly files: string[];
}

interface TargetReport {
  readonly name: string;
  inputs: number;
  accepted: number;
  rejected: number;
  slowestMs: number;
  slowestFile: string | undefined;
  mostBytes: number;
  readonly defects: Map<string, Defect>;
}

function parseOptions(): { seconds: number; filter: string | undefined; seed: number; out: string } {
  let values;
  try {
    ({ values } = parseArgs({
      options: { seconds: { type: 'string' }, target: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const seconds = Number(values.seconds ?? 60);
  const seed = Number(values.seed ?? 1);
  if (!(seconds > 0) || !Number.isInteger(seed)) {
    process.stderr.write(`--seconds must be a positive number and --seed an integer\n${USAGE}\n`);
    process.exit(2);
  }
  return { seconds, filter: values.target, seed, out: values.out ?? mkdtempSync(join(tmpdir(), 'toolken-fuzz-')) };
}

/** Every target of every module in targets/, with the module it came from. */
async function discover(filter: string | undefined): Promise<{ modulePath: string; target: FuzzTarget }[]> {
  const dir = join(here, 'targets');
  const found: { modulePath: string; target: FuzzTarget }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()) {
    const modulePath = join(dir, file);
    const { targets } = (await import(pathToFileURL(modulePath).href)) as { targets?: FuzzTarget[] };
    if (!Array.isArray(targets)) throw new Error(`${modulePath} does not export "targets: FuzzTarget[]"`);
    for (const target of targets) if (filter === undefined || target.name.includes(filter)) found.push({ modulePath, target });
  }
  return found;
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}

/** One worker for a target; replaced after a hang or a crash. */
class TargetWorker {
  private worker!: Worker;
  private ready!: Promise<void>;
  private pending: ((reply: WorkerReply | { crash: string }) => void) | undefined;

  constructor(private readonly setup: WorkerSetup) {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(join(here, 'worker-entry.mjs'), { workerData: this.setup, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', () => resolve());
      this.worker.once('error', reject);
    });
    this.worker.on('message', (reply: WorkerReply | 'ready') => {
      if (reply !== 'ready') this.settle(reply);
    });
    this.worker.on('error', (err: Error & { code?: string }) => this.settle({ crash: err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `out of memory (worker heap ${WORKER_HEAP_MB} MB)` : `worker crashed: ${err.stack ?? err.message}` }));
  }

  private settle(reply: WorkerReply | { crash: string }): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(reply);
  }

  async run(input: Uint8Array, timeoutMs: number): Promise<WorkerReply | { crash: string }> {
    await this.ready;
    const reply = await new Promise<WorkerReply | { crash: string }>((resolve) => {
      const timer = setTimeout(() => this.settle({ crash: `hang: no answer after ${timeoutMs.toFixed(0)} ms` }), timeoutMs);
      this.pending = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.worker.postMessage(input);
    });
    if ('crash' in reply) {
      await this.worker.terminate();
      this.start();
    }
    return reply;
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Advances the progress bar by whole seconds of the run. */
function heartbeat(progress: ProgressBar): (metrics: Record<string, string | number>) => void {
  const started = performance.now();
  let shown = 0;
  return (metrics) => {
    const whole = Math.floor((performance.now() - started) / 1000);
    if (whole > shown) progress.tick(whole - shown, metrics);
    shown = Math.max(shown, whole);
  };
}

async function fuzzTarget(
  modulePath: string,
  target: FuzzTarget,
  seconds: number,
  seed: number,
  out: string,
  beat: (metrics: Record<string, string | number>) => void,
): Promise<TargetReport> {
  const report: TargetReport = { name: target.name, inputs: 0, accepted: 0, rejected: 0, slowestMs: 0, slowestFile: undefined, mostBytes: 0, defects: new Map() };
  const folder = join(out, slug(target.name));
  mkdirSync(folder, { recursive: true });
  const save = (name: string, input: Uint8Array, note: string): string => {
    const path = join(folder, name);
    writeFileSync(path, input);
    writeFileSync(`${path}.txt`, note + '\n');
    return path;
  };
  const record = (signature: string, input: Uint8Array, note: string): void => {
    const defect = report.defects.get(signature) ?? { signature, count: 0, files: [] };
    report.defects.set(signature, defect);
    defect.count++;
    if (defect.files.length < SAVED_PER_SIGNATURE) defect.files.push(save(`defect-${report.defects.size}-${defect.count}.bin`, input, note));
  };

  const worker = new TargetWorker({ modulePath, targetName: target.name });
  const inputs = fuzzInputs(target.seeds(), seededRandom(seed));
  const deadline = performance.now() + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const input = inputs.next().value!;
      const reply = await worker.run(input, Math.max(2 * TIME_BAR_MS, Math.min(HANG_MS, deadline - performance.now())));
      report.inputs++;
      if ('crash' in reply) {
        record(reply.crash.split('\n')[0]!, input, reply.crash);
      } else {
        if (reply.kind === 'accepted') report.accepted++;
        if (reply.kind === 'rejected') report.rejected++;
        if (reply.kind === 'defect') record((reply.problem ?? '').split('\n').slice(0, 2).join(' '), input, reply.problem ?? '');
        if (reply.ms > TIME_BAR_MS) record(`slower than ${TIME_BAR_MS} ms`, input, `${reply.ms.toFixed(0)} ms`);
        if (reply.bytes > MEMORY_BAR_BYTES) record(`more than ${MEMORY_BAR_BYTES / 1e6} MB`, input, `${(reply.bytes / 1e6).toFixed(0)} MB`);
        report.mostBytes = Math.max(report.mostBytes, reply.bytes);
        if (reply.ms > report.slowestMs) {
          report.slowestMs = reply.ms;
          report.slowestFile = save('slowest.bin', input, `${reply.ms.toFixed(1)} ms, outcome ${reply.kind}`);
        }
      }
      beat({ target: target.name, inputs: report.inputs, defects: [...report.defects.values()].reduce((n, d) => n + d.count, 0) });
    }
  } finally {
    await worker.close();
  }
  return report;
}

const options = parseOptions();
const found = await discover(options.filter);
if (found.length === 0) {
  process.stderr.write(`no fuzz target matches ${JSON.stringify(options.filter)}\n`);
  process.exit(2);
}
const share = options.seconds / found.length;
const progress = new ProgressBar({ total: Math.ceil(options.seconds), label: 'fuzz', unit: 's' });
const beat = heartbeat(progress);
const reports: TargetReport[] = [];
for (const { modulePath, target } of found) reports.push(await fuzzTarget(modulePath, target, share, options.seed, options.out, beat));
progress.finish();

let defects = 0;
for (const r of reports) {
  const count = [...r.defects.values()].reduce((n, d) => n + d.count, 0);
  defects += count;
  process.stdout.write(
    `${r.name}: ${r.inputs} inputs (${(r.inputs / share).toFixed(0)}/s; ${r.accepted} loaded, ${r.rejected} refused), ${count} defects, ` +
      `slowest ${r.slowestMs.toFixed(1)} ms (${r.slowestFile ?? 'none'}), most memory ${(r.mostBytes / 1e6).toFixed(1)} MB\n`,
  );
  for (const d of r.defects.values()) process.stdout.write(`  ${d.count} x ${d.signature}\n    ${d.files.join('\n    ')}\n`);
}
process.stdout.write(`${defects === 0 ? 'no defects' : `${defects} defects`}; inputs saved under ${options.out}\n`);
process.exit(defects === 0 ? 0 : 1);
