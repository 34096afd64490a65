/**
 * The run directories (and evaluation output folders) a dashboard shows: the folders it was given and those up to two
 * levels below them (a demo's output folder holds `runs/<stage>/`), searched again on every listing
 * so a run started after the dashboard appears in it. Every run keeps a stable id for as long as the dashboard
 * runs; the page names runs by id, never by path, so no request can name a folder outside the given ones.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DEFAULT_METRICS_LIMITS, MetricsFollower, type MetricsLimits, type MetricsSnapshot } from './metrics-follower.js';
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
  readonly follower: MetricsFollower;
  files?: { readonly stamp: string; readonly value: RunFiles };
}

export class RunCatalog {
  readonly roots: readonly string[];
  private readonly byPath = new Map<string, Tracked>();
  private nextId = 0;

  constructor(
    roots: readonly string[],
    private readonly limits: MetricsLimits = DEFAULT_METRICS_LIMITS,
  ) {
    this.roots = roots.map((r) => resolve(r));
  }

  /** Searches the roots again and brings every run's metrics up to date. */
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
    const runs = [...new Set(found)].map((path) => this.summary(this.track(path)).summary);
    return { runs, problems };
  }

  /** A run by id, brought up to date; undefined for an id never listed. */
  run(id: number): RunState | undefined {
    const tracked = [...this.byPath.values()].find((t) => t.id === id);
    return tracked === undefined ? undefined : this.summary(tracked);
  }

  private track(path: string): Tracked {
    let tracked = this.byPath.get(path);
    if (tracked === undefined) {
      const root = this.roots.find((r) => path === r || path.startsWith(r + '/')) ?? path;
      tracked = { id: this.nextId++, name: relative(dirname(root), path) || basename(path), path, follower: new MetricsFollower(join(path, METRICS_FILE), this.limits) };
      this.byPath.set(path, tracked);
    }
    return tracked;
  }

  private summary(tracked: Tracked): RunState {
    let metrics: MetricsSnapshot;
    try {
      metrics = tracked.follower.poll();
    } catch (err) {
      metrics = { version: -1, points: [], problems: { malformed: 0, tooLong: 0, skippedBytes: 0, thinned: 0, unreadable: (err as Error).message } };
    }
    // Atomic writes rename into the folder, so the folders' modification times say when a result or checkpoint changed.
    const stamp = ['', 'best', 'checkpoints'].map((sub) => modified(join(tracked.path, sub))).join(':');
    if (tracked.files?.stamp !== stamp) tracked.files = { stamp, value: readRunFiles(tracked.path) };
    const last = metrics.points.at(-1);
    const updated = metrics.file?.modified;
    const summary: RunSummary = {
      id: tracked.id,
      name: tracked.name,
      path: tracked.path,
      ...(last === undefined ? {} : { lastStep: last.step }),
      ...(updated === undefined ? {} : { updated }),
      live: updated !== undefined && Date.now() - updated < LIVE_WINDOW_MS,
      version: `${metrics.version}:${stamp}`,
    };
    return { summary, metrics, files: tracked.files.value };
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
