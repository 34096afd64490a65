/**
 * The run directories (and evaluation output folders) a dashboard shows: the folders it was given and those up to two
 * levels below them (a demo's output folder holds `runs/<stage>/`), searched again on every listing
 * so a run started after the dashboard appears in it. Every run keeps a stable id for as long as the dashboard
 * runs; the page names runs by id, never by path, so no request can name a folder outside the given ones.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DEFAULT_METRICS_LIMITS, lastRecordStep, MetricsFollower, type MetricsLimits, type MetricsSnapshot } from './metrics-follower.js';
import { isRunDirectory, METRICS_FILE, readRunFiles, type RunFiles } from './run-files.js';

/** Runs found per dashboard, and folder entries looked at per search, so a huge tree cannot stall a listing. */
const MAX_RUNS = 200;
const MAX_ENTRIES_SEARCHED = 5000;
const SKIPPED_FOLDERS = new Set(['checkpoints', 'final', 'best', 'model', 'node_modules']);
/** A run whose metrics changed this recently is shown as training. */
const LIVE_WINDOW_MS = 120_000;

export interface RunSummary {
  readonly id: number;
  /** The run's path from above the folder it was found in (e.g. `toolken-demo/runs/agent`). */
  readonly name: string;
  readonly path: string;
  readonly lastStep?: number;
  /** When metrics.jsonl last changed (ms since the epoch). */
  readonly updated?: number;
  readonly live: boolean;
  /** Changes whenever anything the run's panel shows does. */
  readonly version: string;
}

export interface RunState {
  readonly summary: RunSummary;
  readonly metrics: MetricsSnapshot;
  readonly files: RunFiles;
}

interface Tracked {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  /** Created when the run's panel is first asked for (a listing reads no more than the end of each file). */
  follower?: MetricsFollower;
  files?: { readonly stamp: string; readonly value: RunFiles };
  lastStep?: { readonly key: string; readonly step: number | undefined };
}

/** Runs whose records are held in memory at once; the least recently viewed one's are dropped past it. */
const MAX_FOLLOWED = 16;

export class RunCatalog {
  readonly roots: readonly string[];
  private readonly byPath = new Map<string, Tracked>();
  /** Runs with a follower, least recently viewed first. */
  private readonly followed = new Set<Tracked>();
  private nextId = 0;

  constructor(
    roots: readonly string[],
    private readonly limits: MetricsLimits = DEFAULT_METRICS_LIMITS,
  ) {
    this.roots = roots.map((r) => resolve(r));
  }

  /**
   * Searches the roots again and says where each run stands. A listing costs a few stat calls per run and a read
   * of the end of a metrics.jsonl that changed: the page asks for it every second, for every run shown.
   */
  list(): { runs: RunSummary[]; problems: string[] } {
    const problems: string[] = [];
    const found: string[] = [];
    for (const root of this.roots) {
      const before = found.length;
      const problem = search(root, found);
      if (problem !== undefined) problems.push(problem);
      else if (found.length === before) problems.push(`${root} holds no run directory (a folder with metrics.jsonl, or config.json and checkpoints/) or evaluation results (report.json, results.json, metrics.json) within two levels`);
    }
    if (found.length >= MAX_RUNS) problems.push(`only the first ${MAX_RUNS} run directories are shown`);
    const runs = [...new Set(found)].map((path) => this.summary(this.track(path)));
    return { runs, problems };
  }

  /** A run by id with its records and files, brought up to date; undefined for an id never listed. */
  run(id: number): RunState | undefined {
    const tracked = [...this.byPath.values()].find((t) => t.id === id);
    if (tracked === undefined) return undefined;
    const summary = this.summary(tracked);
    const follower = this.follow(tracked);
    let metrics: MetricsSnapshot;
    try {
      metrics = follower.poll();
    } catch (err) {
      metrics = { version: -1, points: [], problems: { malformed: 0, tooLong: 0, skippedBytes: 0, thinned: 0, unreadBytes: 0, unreadable: (err as Error).message } };
    }
    const stamp = folderStamp(tracked.path);
    if (tracked.files?.stamp !== stamp) tracked.files = { stamp, value: readRunFiles(tracked.path) };
    return { summary, metrics, files: tracked.files.value };
  }

  /** The run's follower, made the most recently used; the least recently used one past MAX_FOLLOWED lets go of its records. */
  private follow(tracked: Tracked): MetricsFollower {
    tracked.follower ??= new MetricsFollower(join(tracked.path, METRICS_FILE), this.limits);
    this.followed.delete(tracked);
    this.followed.add(tracked);
    for (const old of this.followed) {
      if (this.followed.size <= MAX_FOLLOWED) break;
      delete old.follower;
      this.followed.delete(old);
    }
    return tracked.follower;
  }

  private track(path: string): Tracked {
    let tracked = this.byPath.get(path);
    if (tracked === undefined) {
      const root = this.roots.find((r) => path === r || path.startsWith(r + '/')) ?? path;
      tracked = { id: this.nextId++, name: relative(dirname(root), path) || basename(path), path };
      this.byPath.set(path, tracked);
    }
    return tracked;
  }

  /** Where a run stands, from its files' sizes and times and the last record of its metrics.jsonl. */
  private summary(tracked: Tracked): RunSummary {
    const file = join(tracked.path, METRICS_FILE);
    let stat;
    try {
      stat = statSync(file);
    } catch {
      // Missing (an evaluation folder) or unreadable: the panel says which.
    }
    const key = stat === undefined ? 'none' : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (tracked.lastStep?.key !== key) tracked.lastStep = { key, step: stat?.isFile() ? lastStepOf(file, stat.size) : undefined };
    const step = tracked.lastStep.step;
    const updated = stat?.mtimeMs;
    return {
      id: tracked.id,
      name: tracked.name,
      path: tracked.path,
      ...(step === undefined ? {} : { lastStep: step }),
      ...(updated === undefined ? {} : { updated }),
      live: updated !== undefined && Date.now() - updated < LIVE_WINDOW_MS,
      version: `${key}:${folderStamp(tracked.path)}`,
    };
  }
}

/** Atomic writes rename into the folder, so the folders' modification times say when a result or checkpoint changed. */
const folderStamp = (dir: string): string => ['', 'best', 'checkpoints'].map((sub) => modified(join(dir, sub))).join(':');

/** The last record's step, or undefined when the file cannot be read (its panel says why). */
function lastStepOf(file: string, size: number): number | undefined {
  try {
    return lastRecordStep(file, size);
  } catch {
    return undefined;
  }
}

const modified = (path: string): number => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

/** Adds the run directories at or below `root` (two levels) to `found`; returns why the root cannot be searched. */
function search(root: string, found: string[]): string | undefined {
  let stat;
  try {
    stat = statSync(root);
  } catch {
    return `${root} does not exist`;
  }
  if (!stat.isDirectory()) return `${root} is not a folder`;
  let budget = MAX_ENTRIES_SEARCHED;
  const visit = (dir: string, depth: number): void => {
    if (found.length >= MAX_RUNS) return;
    // A folder can be a run and hold runs too (a demo's output: its report.json, and runs/<stage>/ below).
    if (isRunDirectory(dir)) found.push(dir);
    if (depth === 2) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (budget-- <= 0) return;
      if (name.startsWith('.') || SKIPPED_FOLDERS.has(name)) continue;
      const path = join(dir, name);
      // Symbolic links are not followed: a link could lead the search (and the file route) out of the folder given.
      if (isFolder(path)) visit(path, depth + 1);
    }
  };
  visit(root, 0);
  return undefined;
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
