import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../util/fs.js';

/**
 * A run directory keeps everything a run produces, so that nothing is lost when it is interrupted:
 *
 *   <run>/config.json          the resolved configuration (written once, at the start)
 *   <run>/metrics.jsonl        one JSON object per line, appended as the run goes
 *   <run>/checkpoints/step-N/  complete checkpoints; each appears atomically (written to a temp dir, then renamed)
 *   <run>/checkpoints/latest   the name of the newest complete checkpoint
 *   <run>/final/, report.*     whatever the run's last stage writes
 */
export type MetricRecord = { readonly step: number; readonly split?: string } & Record<string, number | string | boolean | null | undefined>;

export class RunDirectory {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating when needed) a run directory. With `resume: false` an existing run is refused rather than
   * overwritten, unless `replace` says to delete it first. */
  static open(path: string, options: { resume: boolean; replace?: boolean }): RunDirectory {
    const abs = resolve(path);
    if (options.replace === true && !options.resume) rmSync(abs, { recursive: true, force: true });
    if (existsSync(abs) && !options.resume && existsSync(join(abs, 'config.json'))) {
      throw new Error(`run directory ${abs} already holds a run (config.json exists); pass --resume to continue it or choose another --out`);
    }
    mkdirSync(join(abs, 'checkpoints'), { recursive: true });
    return new RunDirectory(abs);
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(join(this.path, 'config.json'), config);
  }

  readConfig<T>(): T | undefined {
    const file = join(this.path, 'config.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
  }

  appendMetric(record: MetricRecord): void {
    appendFileSync(join(this.path, 'metrics.jsonl'), JSON.stringify({ ...record, time: new Date().toISOString() }) + '\n');
  }

  /** All metric records; a last line cut short by a crash is ignored, any other bad line is an error. */
  readMetrics(): MetricRecord[] {
    const file = join(this.path, 'metrics.jsonl');
    if (!existsSync(file)) return [];
    const lines = readFileSync(file, 'utf8').split('\n');
    const out: MetricRecord[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(JSON.parse(line) as MetricRecord);
      } catch {
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
          throw new Error(`${file}: line ${i + 1} is not valid JSON`);
        }
      }
    });
    return out;
  }

  /** Keeps only the metric records of steps <= `step` (used on resume so the curve continues without duplicates). */
  truncateMetrics(step: number): void {
    const kept = this.readMetrics().filter((r) => r.step <= step);
    const file = join(this.path, 'metrics.jsonl');
    const tmp = file + '.tmp';
    rmSync(tmp, { force: true });
    for (const r of kept) appendFileSync(tmp, JSON.stringify(r) + '\n');
    if (kept.length === 0) appendFileSync(tmp, '');
    renameSync(tmp, file);
  }

  /**
   * Writes a checkpoint atomically: `write` fills a temporary directory, which is then renamed to
   * `checkpoints/step-N`, and `latest` is updated. Older checkpoints beyond `keep` are removed (never `best`).
   */
  saveCheckpoint(step: number, write: (dir: string) => void, keep = 2): string {
    const name = `step-${String(step).padStart(8, '0')}`;
    const root = join(this.path, 'checkpoints');
    const tmp = join(root, `.${name}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      write(tmp);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    const final = join(root, name);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    writeJsonAtomic(join(root, 'latest.json'), { name, step });
    const steps = readdirSync(root)
      .filter((n) => /^step-\d+$/.test(n))
      .sort();
    for (const old of steps.slice(0, Math.max(0, steps.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
    return final;
  }

  /** The newest complete checkpoint, if any. */
  latestCheckpoint(): { dir: string; step: number } | undefined {
    const pointer = join(this.path, 'checkpoints', 'latest.json');
    if (!existsSync(pointer)) return undefined;
    const { name, step } = JSON.parse(readFileSync(pointer, 'utf8')) as { name: string; step: number };
    const dir = join(this.path, 'checkpoints', name);
    return existsSync(dir) ? { dir, step } : undefined;
  }

  file(...parts: string[]): string {
    return join(this.path, ...parts);
  }
}
