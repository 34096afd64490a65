/**
 * Follows a run's metrics.jsonl as the trainer appends to it: each `poll` reads only the bytes added since the last
 * one, so a dashboard refreshing every second costs a `stat` while nothing changes. The file is untrusted (a run
 * directory from anyone, or one cut short by a crash), so everything is bounded: at most `maxTailBytes` of a huge
 * file are read (its end, where the run is), lines over `maxLineBytes` are skipped, only numeric fields are kept, and
 * past `maxPoints` records the curve is thinned to every other point instead of growing without end; a large file is
 * read `maxReadBytes` per poll, its curve filling in over a few polls. A bad line is
 * counted and named, never thrown: the page says what is wrong with the file and keeps drawing what it can.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** One metric record as the dashboard keeps it: its step, split and numeric fields. */
export interface MetricPoint {
  readonly step: number;
  /** `train`, `validation`, ...; records without a split are training records. */
  readonly split: string;
  /** Milliseconds since the epoch, from the record's `time` when it has one. */
  readonly time?: number;
  readonly values: Readonly<Record<string, number>>;
}

export interface MetricsProblems {
  /** Lines that are not a JSON object with a numeric `step`. */
  readonly malformed: number;
  /** The first such line's number (counted from the first line read when the start was skipped) and why. */
  readonly firstMalformed?: { readonly line: number; readonly reason: string };
  /** Lines over the length limit, skipped unread. */
  readonly tooLong: number;
  /** Bytes at the start of the file not read because the file is larger than the tail read. */
  readonly skippedBytes: number;
  /** Records dropped by thinning (every other old point, once the point limit is reached). */
  readonly thinned: number;
  /** Why the file could not be read at all (a folder in its place, no permission). */
  readonly unreadable?: string;
  /** Bytes of the file not read yet: a large file is read a slice per poll, so no poll holds the server up long. */
  readonly unreadBytes: number;
}

export interface MetricsSnapshot {
  /** Changes whenever the points or problems do: what the page compares to know whether to redraw. */
  readonly version: number;
  readonly points: readonly MetricPoint[];
  readonly problems: MetricsProblems;
  /** The file's size and modification time when last read; undefined when it does not exist. */
  readonly file?: { readonly bytes: number; readonly modified: number };
}

export interface MetricsLimits {
  readonly maxTailBytes: number;
  /** Bytes read per poll at most (the rest waits for the next poll). */
  readonly maxReadBytes: number;
  readonly maxLineBytes: number;
  readonly maxPoints: number;
  /** Numeric fields kept per record (a record with thousands of keys is cut to its first ones). */
  readonly maxFields: number;
}

/**
 * 20,000 points are ten times what a chart draws, and keep a panel redraw (while a run trains) in tens of ms; 2 MiB
 * parse in well under 100 ms, so a dashboard mounted in toolken serve never stalls its streams for longer.
 */
export const DEFAULT_METRICS_LIMITS: MetricsLimits = { maxTailBytes: 32 << 20, maxReadBytes: 2 << 20, maxLineBytes: 64 << 10, maxPoints: 20_000, maxFields: 64 };

const READ_BLOCK = 1 << 20;
const MAX_SPLIT_CHARS = 40;
const MAX_KEY_CHARS = 80;

export class MetricsFollower {
  private points: MetricPoint[] = [];
  private offset = 0;
  private inode = -1;
  /** Bytes of a line not yet ended by a newline (the trainer is writing it, or a crash cut it). */
  private pending: Buffer = Buffer.alloc(0);
  /** Skipping the rest of a line that is already over the limit. */
  private discarding = false;
  private line = 0;
  private malformed = 0;
  private firstMalformed: { line: number; reason: string } | undefined;
  private tooLong = 0;
  private skippedBytes = 0;
  private thinned = 0;
  /** Keep one record in `stride` (doubles each time the points are thinned). */
  private stride = 1;
  private seen = 0;
  private version = 0;
  private file: { bytes: number; modified: number } | undefined;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly limits: MetricsLimits = DEFAULT_METRICS_LIMITS,
  ) {}

  /** Reads what was appended since the last poll (everything again when the file was replaced or truncated). */
  poll(): MetricsSnapshot {
    let stat;
    try {
      stat = statSync(this.path);
    } catch (err) {
      // No file yet (or any more) is a state to show; any other failure (no permission) is the caller's to report.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (this.file !== undefined || this.points.length > 0) this.reset();
      this.file = undefined;
      return this.snapshot();
    }
    if (!stat.isFile()) throw new Error(`${this.path} is not a file`);
    if (stat.ino !== this.inode || stat.size < this.offset) {
      // A resumed run rewrites the file (truncateMetrics renames a shorter copy over it): start over.
      this.reset();
      this.inode = stat.ino;
    }
    this.size = stat.size;
    if (stat.size > this.offset) this.readFrom(stat.size);
    this.file = { bytes: stat.size, modified: stat.mtimeMs };
    return this.snapshot();
  }

  private snapshot(): MetricsSnapshot {
    const problems: MetricsProblems = {
      malformed: this.malformed,
      ...(this.firstMalformed === undefined ? {} : { firstMalformed: this.firstMalformed }),
      tooLong: this.tooLong,
      skippedBytes: this.skippedBytes,
      thinned: this.thinned,
      unreadBytes: Math.max(0, this.size - this.offset),
    };
    return { version: this.version, points: this.points, problems, ...(this.file === undefined ? {} : { file: this.file }) };
  }

  private reset(): void {
    this.points = [];
    this.offset = 0;
    this.pending = Buffer.alloc(0);
    this.discarding = false;
    this.line = 0;
    this.malformed = 0;
    this.firstMalformed = undefined;
    this.tooLong = 0;
    this.skippedBytes = 0;
    this.thinned = 0;
    this.size = 0;
    this.stride = 1;
    this.seen = 0;
    this.version++;
  }

  private readFrom(size: number): void {
    if (size - this.offset > this.limits.maxTailBytes) {
      // Only the end is read; the first line found there may be a fragment, so it is discarded up to its newline.
      const start = size - this.limits.maxTailBytes;
      this.skippedBytes += start - this.offset;
      this.offset = start;
      this.pending = Buffer.alloc(0);
      this.discarding = true;
      this.line = 0;
    }
    const fd = openSync(this.path, 'r');
    try {
      if (fstatSync(fd).ino !== this.inode) return;
      const block = Buffer.allocUnsafe(READ_BLOCK);
      const end = Math.min(size, this.offset + this.limits.maxReadBytes);
      while (this.offset < end) {
        const n = readSync(fd, block, 0, Math.min(block.length, end - this.offset), this.offset);
        if (n === 0) break;
        this.offset += n;
        this.consume(block.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    this.version++;
  }

  /** Splits a block into lines; the part after its last newline waits in `pending` for the rest of its line. */
  private consume(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        this.pending = Buffer.alloc(0);
        continue;
      }
      this.line++;
      const whole = this.pending.length > 0 ? Buffer.concat([this.pending, piece]) : piece;
      this.pending = Buffer.alloc(0);
      if (whole.length > this.limits.maxLineBytes) this.tooLong++;
      else this.record(whole.toString('utf8'));
    }
    const rest = chunk.subarray(start);
    if (this.discarding || rest.length === 0) return;
    if (this.pending.length + rest.length > this.limits.maxLineBytes) {
      this.tooLong++;
      this.line++;
      this.discarding = true;
      this.pending = Buffer.alloc(0);
    } else this.pending = Buffer.concat([this.pending, rest]);
  }

  private record(text: string): void {
    if (text.trim() === '') return;
    const point = parsePoint(text, this.limits.maxFields);
    if (typeof point === 'string') {
      this.malformed++;
      this.firstMalformed ??= { line: this.line, reason: point };
      return;
    }
    if (point.split !== 'train') {
      // Validation and other splits are rare and each point matters: never thinned.
      this.points.push(point);
      return;
    }
    if (this.seen++ % this.stride !== 0) {
      this.thinned++;
      return;
    }
    this.points.push(point);
    if (this.points.length > this.limits.maxPoints) this.thin();
  }

  /** Halves the training points (keeping every other one and all others) and keeps one in twice as many from now. */
  private thin(): void {
    let k = 0;
    this.points = this.points.filter((p) => p.split !== 'train' || k++ % 2 === 0);
    this.thinned += k - Math.ceil(k / 2);
    this.stride *= 2;
  }
}

/** Bytes read from the end of a metrics file to find its last record. */
const LAST_RECORD_BYTES = 64 << 10;

/**
 * The step of the last complete record in the file's final 64 KiB, without reading the rest: what a run listing
 * shows for every run, however large its file. Undefined when no line there is a record.
 */
export function lastRecordStep(path: string, size: number): number | undefined {
  const length = Math.min(size, LAST_RECORD_BYTES);
  const tail = Buffer.allocUnsafe(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, tail, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  // The first line may be cut by the window and the last by a write in progress: both fail to parse and are skipped.
  const lines = tail.toString('utf8').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const point = parsePoint(lines[i]!, 1);
    if (typeof point !== 'string') return point.step;
  }
  return undefined;
}

/** A line as a point, or why it is not one. */
function parsePoint(text: string, maxFields: number): MetricPoint | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'not a JSON object';
  const record = raw as Record<string, unknown>;
  if (typeof record.step !== 'number' || !Number.isFinite(record.step)) return 'no numeric "step"';
  const split = typeof record.split === 'string' ? record.split.slice(0, MAX_SPLIT_CHARS) : 'train';
  const values: Record<string, number> = {};
  let fields = 0;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'step' || typeof value !== 'number' || !Number.isFinite(value) || key.length > MAX_KEY_CHARS) continue;
    if (fields++ >= maxFields) break;
    Object.defineProperty(values, key, { value, enumerable: true });
  }
  const time = typeof record.time === 'string' ? Date.parse(record.time) : NaN;
  return { step: record.step, split, values, ...(Number.isFinite(time) ? { time } : {}) };
}
