import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../formats/errors.js';
import { fsyncDirectory, writeJsonAtomic } from '../util/fs.js';
import { parseJsonLines } from '../util/json-lines.js';

/**
 * A run directory keeps everything a run produces, so that nothing is lost when it is interrupted:
 *
 *   <run>/config.json          the resolved configuration (written once, at the start)
 *   <run>/metrics.jsonl        one JSON object per line, appended as the run goes
 *   <run>/checkpoints/step-N/  complete checkpoints; each appears atomically (written to a temp dir, then renamed)
 *                              with a manifest.json of its files' sizes and SHA-256, checked on resume
 *   <run>/checkpoints/latest.json  the name and step of the newest complete checkpoint
 *   <run>/final/, report.*     whatever the run's last stage writes
 */
export type MetricRecord = { readonly step: number; readonly split?: string } & Record<string, number | string | boolean | null | undefined>;

export interface RunDirectoryOptions {
  readonly resume: boolean;
  /** Without resume: delete an existing run first instead of refusing it (a folder holding anything else is refused). */
  readonly replace?: boolean;
  /** Where warnings go (a checkpoint fallen back from, temp folders cleaned); default stderr. */
  readonly warn?: (message: string) => void;
}

/** Checkpoint folder names: `step-` and the zero-padded step, nothing else (so a name can never leave checkpoints/). */
const CHECKPOINT_NAME = /^step-(\d{8,})$/;
/** Temp folders of saves in progress (see saveCheckpoint); any found at open are left by a killed save. */
const CHECKPOINT_TEMP = /^\.step-\d{8,}\.tmp-\d+$/;
const MANIFEST_FILE = 'manifest.json';

const checkpointName = (step: number): string => `step-${String(step).padStart(8, '0')}`;

export class RunDirectory {
  readonly path: string;
  private readonly warn: (message: string) => void;
  /** What the directory was before this open: missing, or an empty folder (the user's, e.g. `--out .`), or neither. */
  private readonly before: 'missing' | 'empty' | 'used';

  private constructor(path: string, warn: (message: string) => void, before: 'missing' | 'empty' | 'used') {
    this.path = path;
    this.warn = warn;
    this.before = before;
  }

  /** Opens (creating when needed) a run directory. With `resume: false` an existing run is refused rather than
   * overwritten, unless `replace` says to delete it first. Temp folders of killed checkpoint saves are removed. */
  static open(path: string, options: RunDirectoryOptions): RunDirectory {
    const abs = resolve(path);
    if (options.replace === true && !options.resume) {
      RunDirectory.checkReplaceable(abs);
      rmSync(abs, { recursive: true, force: true });
    }
    if (existsSync(abs) && !options.resume && existsSync(join(abs, 'config.json'))) {
      throw new Error(`run directory ${abs} already holds a run (config.json exists); pass --resume to continue it or choose another --out`);
    }
    const before = !existsSync(abs) ? 'missing' : readdirSync(abs).length === 0 ? 'empty' : 'used';
    const root = join(abs, 'checkpoints');
    mkdirSync(root, { recursive: true });
    const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
    const stale = readdirSync(root).filter((name) => CHECKPOINT_TEMP.test(name));
    for (const name of stale) rmSync(join(root, name), { recursive: true, force: true });
    if (stale.length > 0) warn(`${root}: removed ${stale.length} unfinished checkpoint folder(s) left by a killed save (${stale.join(', ')})`);
    return new RunDirectory(abs, warn, before);
  }

  /**
   * Throws unless `path` is missing, empty or a run directory (config.json and checkpoints/): the only folders
   * `replace` deletes, so `--out .` or a folder of the user's own files (a model directory has a config.json too)
   * is never emptied. Cheap, so a command can check its --out before it loads a model.
   */
  static checkReplaceable(path: string): void {
    const abs = resolve(path);
    if (!existsSync(abs) || readdirSync(abs).length === 0) return;
    if (existsSync(join(abs, 'config.json')) && existsSync(join(abs, 'checkpoints'))) return;
    throw new Error(`${abs} is not empty and holds no run (config.json and checkpoints/) to replace; choose another --out`);
  }

  /**
   * After a failure before training recorded anything (no metrics.jsonl, no checkpoint, in this directory or a stage
   * folder below it), removes what this run wrote: the directory when this open created it, its contents when it was
   * an empty folder before; so the same command can simply be run again. Returns whether it did.
   */
  discardIfUnstarted(): boolean {
    if (this.before === 'used' || recordsTraining(this.path)) return false;
    if (this.before === 'missing') rmSync(this.path, { recursive: true, force: true });
    else for (const name of readdirSync(this.path)) rmSync(join(this.path, name), { recursive: true, force: true });
    return true;
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(join(this.path, 'config.json'), config);
  }

  readConfig<T>(): T | undefined {
    const file = join(this.path, 'config.json');
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch (err) {
      throw new Error(`${file} is not valid JSON (${(err as Error).message}); restore it or start a new run directory`);
    }
  }

  appendMetric(record: MetricRecord): void {
    appendFileSync(join(this.path, 'metrics.jsonl'), JSON.stringify({ ...record, time: new Date().toISOString() }) + '\n');
  }

  /** All metric records; a last line cut short by a crash is ignored, any other bad line is an error. */
  readMetrics(): MetricRecord[] {
    const file = join(this.path, 'metrics.jsonl');
    if (!existsSync(file)) return [];
    const lines = parseJsonLines(readFileSync(file, 'utf8'));
    const out: MetricRecord[] = [];
    lines.forEach((line, i) => {
      if (line.error === undefined) out.push(line.value as MetricRecord);
      else if (i < lines.length - 1) throw new Error(`${file}: line ${line.line} is not valid JSON`);
    });
    return out;
  }

  /** Keeps only the metric records of steps <= `step` (used on resume so the curve continues without duplicates). */
  truncateMetrics(step: number): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`truncateMetrics: step must be a non-negative integer, got ${step}`);
    const kept = this.readMetrics().filter((r) => r.step <= step);
    const file = join(this.path, 'metrics.jsonl');
    const tmp = file + '.tmp';
    rmSync(tmp, { force: true });
    for (const r of kept) appendFileSync(tmp, JSON.stringify(r) + '\n');
    if (kept.length === 0) appendFileSync(tmp, '');
    renameSync(tmp, file);
    fsyncDirectory(this.path);
  }

  /**
   * Writes a checkpoint atomically: `write` fills a temporary directory, a manifest of its files' sizes and SHA-256
   * is added, the directory is renamed to `checkpoints/step-N` (the parent then fsynced) and `latest.json` updated.
   * Older checkpoints beyond `keep` are removed (never `best`).
   */
  saveCheckpoint(step: number, write: (dir: string) => void, keep = 2): string {
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`saveCheckpoint: step must be a non-negative integer, got ${step}`);
    const name = checkpointName(step);
    const root = join(this.path, 'checkpoints');
    const tmp = join(root, `.${name}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      write(tmp);
      writeJsonAtomic(join(tmp, MANIFEST_FILE), { files: checkpointFiles(tmp).map((file) => ({ file, ...digest(join(tmp, file)) })) });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    const final = join(root, name);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    fsyncDirectory(root);
    writeJsonAtomic(join(root, 'latest.json'), { name, step });
    const steps = this.checkpointSteps();
    for (const old of steps.slice(0, Math.max(0, steps.length - keep))) rmSync(join(root, checkpointName(old)), { recursive: true, force: true });
    return final;
  }

  /**
   * The checkpoint to resume from, its files verified against its manifest: the one `latest.json` names, or,
   * when that one is missing (or the pointer is, after a save killed between rename and pointer), the newest
   * complete checkpoint, with a warning. A pointer that is not a checkpoint name is refused.
   */
  latestCheckpoint(): { dir: string; step: number } | undefined {
    const root = join(this.path, 'checkpoints');
    const pointer = join(root, 'latest.json');
    const newest = this.checkpointSteps().at(-1);
    let chosen = newest;
    if (existsSync(pointer)) {
      const named = readPointer(pointer);
      if (existsSync(join(root, checkpointName(named)))) chosen = named;
      else this.warn(`${pointer} names ${checkpointName(named)}, which is missing; ${newest === undefined ? 'no other checkpoint is complete, so training starts from step 0' : `resuming from the newest complete checkpoint, ${checkpointName(newest)}`}`);
    } else if (newest !== undefined) {
      this.warn(`${root} has no latest.json (a save was interrupted); resuming from the newest complete checkpoint, ${checkpointName(newest)}`);
    }
    if (chosen === undefined) return undefined;
    const dir = join(root, checkpointName(chosen));
    this.verifyCheckpoint(dir);
    return { dir, step: chosen };
  }

  /** Steps of the complete checkpoints, ascending. */
  private checkpointSteps(): number[] {
    const root = join(this.path, 'checkpoints');
    return readdirSync(root)
      .map((n) => CHECKPOINT_NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null && lstatSync(join(root, m[0])).isDirectory())
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** Checks every file of the checkpoint's manifest: present, same size, same SHA-256. */
  private verifyCheckpoint(dir: string): void {
    const file = join(dir, MANIFEST_FILE);
    if (!existsSync(file)) {
      this.warn(`${dir} has no ${MANIFEST_FILE} (written before checkpoints were checksummed); its files cannot be verified`);
      return;
    }
    const damaged = (problem: string): never => {
      throw new CheckpointError(`${problem}; the checkpoint is damaged (a disk error or an edit): delete ${dir} to resume from the previous checkpoint`);
    };
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      return damaged(`${file} is not valid JSON (${(err as Error).message})`);
    }
    const files = (manifest as { files?: unknown } | null)?.files;
    if (!Array.isArray(files)) return damaged(`${file}: field "files" must be a list`);
    for (const [i, entry] of files.entries()) {
      const { file: name, bytes, sha256 } = (entry ?? {}) as Record<string, unknown>;
      if (typeof name !== 'string' || !checkpointFiles(dir).includes(name)) return damaged(`${file}: files[${i}] names ${JSON.stringify(name)}, which is not a file of the checkpoint`);
      const actual = digest(join(dir, name));
      if (bytes !== actual.bytes) return damaged(`${join(dir, name)} has ${actual.bytes} bytes, its manifest says ${JSON.stringify(bytes)}`);
      if (sha256 !== actual.sha256) return damaged(`${join(dir, name)} does not match its SHA-256 in ${MANIFEST_FILE}`);
    }
  }

  file(...parts: string[]): string {
    return join(this.path, ...parts);
  }
}

/** Whether a folder, or one below it, holds a metrics.jsonl or a complete checkpoint folder. */
function recordsTraining(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((entry) => {
    if (!entry.isDirectory()) return entry.name === 'metrics.jsonl';
    const below = join(dir, entry.name);
    if (entry.name === 'checkpoints' && readdirSync(below).some((name) => CHECKPOINT_NAME.test(name))) return true;
    return recordsTraining(below);
  });
}

/** The plain files of a checkpoint folder, except its manifest. */
function checkpointFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name !== MANIFEST_FILE && lstatSync(join(dir, name)).isFile()).sort();
}

/** Size and SHA-256 of a file, read in blocks (checkpoints can be larger than memory wants to hold twice). */
function digest(path: string): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (let n = readSync(fd, block, 0, block.length, null); n > 0; n = readSync(fd, block, 0, block.length, null)) {
      hash.update(block.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The step latest.json names, checked: a name of the form step-NNNNNNNN that agrees with its step. */
function readPointer(pointer: string): number {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(pointer, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${pointer} is not valid JSON (${(err as Error).message}); delete it to resume from the newest complete checkpoint`);
  }
  const { name, step } = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const match = typeof name === 'string' ? CHECKPOINT_NAME.exec(name) : null;
  if (match === null) {
    throw new CheckpointError(`${pointer}: field "name" must be a checkpoint folder of checkpoints/ (step-NNNNNNNN), got ${JSON.stringify(name)}; delete the file to resume from the newest complete checkpoint`);
  }
  if (step !== Number(match[1])) throw new CheckpointError(`${pointer}: field "step" is ${JSON.stringify(step)}, but "name" is ${JSON.stringify(name)}; delete the file to resume from the newest complete checkpoint`);
  return step as number;
}
