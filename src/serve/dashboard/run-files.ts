/**
 * What a run directory holds besides its metrics, read for the dashboard with a size limit on every file: its
 * configuration, the checkpoint it would resume from, its best validation score, the JSON results and reports its
 * last stage wrote. Any file that is missing, too large or not JSON becomes a problem line on the page, not an error.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';

/** JSON files over this size are not parsed (a run's config and results are kilobytes). */
const MAX_JSON_BYTES = 4 << 20;
/** JSON results shown per run, and report files listed. */
const MAX_RESULT_FILES = 16;
const MAX_LISTED_FILES = 64;
/** File kinds a run's reports come in, linked from its panel. */
const REPORT_EXTENSIONS = /\.(html|md|txt|json|jsonl|png|svg)$/;
/** Folders a run keeps weights in: never listed (large, and no report). */
const WEIGHT_FOLDERS = new Set(['checkpoints', 'final', 'best', 'model']);

export interface RunFiles {
  readonly config?: unknown;
  /** The step `checkpoints/latest.json` names. */
  readonly checkpointStep?: number;
  /** `best/best.json`: the step and score of the best validation. */
  readonly best?: { readonly step: number; readonly score: number };
  /** Parsed JSON files of the run's top level (results, reports), by file name. */
  readonly results: readonly { readonly file: string; readonly value: unknown }[];
  /** Report files (paths relative to the run), linked from the page. */
  readonly reports: readonly string[];
  /** What could not be read, one line each. */
  readonly problems: readonly string[];
  /** Changes when any file read here changes: size and modification time of each. */
  readonly fingerprint: string;
}

/** A JSON file read with a size limit, or why it could not be. */
function readJson(path: string, problems: string[], stamps: string[]): unknown {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${path} cannot be read (${(err as Error).message})`);
    return undefined;
  }
  stamps.push(`${path}:${stat.size}:${stat.mtimeMs}`);
  if (!stat.isFile()) {
    problems.push(`${path} is not a plain file; it is ignored`);
    return undefined;
  }
  if (stat.size > MAX_JSON_BYTES) {
    problems.push(`${path} has ${stat.size} bytes, over the ${MAX_JSON_BYTES}-byte limit for a JSON file; it is not shown`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    problems.push(`${path} is not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;

export function readRunFiles(dir: string): RunFiles {
  const problems: string[] = [];
  const stamps: string[] = [];
  const config = readJson(join(dir, CONFIG_FILE), problems, stamps);
  const latest = readJson(join(dir, 'checkpoints', 'latest.json'), problems, stamps);
  const bestFile = readJson(join(dir, 'best', 'best.json'), problems, stamps);
  const latestStep = field(latest, 'step');
  const bestStep = field(bestFile, 'step');
  const bestScore = field(bestFile, 'score');
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    problems.push(`${dir} cannot be listed (${(err as Error).message})`);
  }
  const results: { file: string; value: unknown }[] = [];
  const reports: string[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue;
    }
    if (stat.isDirectory() && !WEIGHT_FOLDERS.has(name) && !name.startsWith('.')) {
      // One level down: `eval retrieval --report DIR` and the like write a folder of their own.
      for (const inner of listReports(path, dir)) if (reports.length < MAX_LISTED_FILES) reports.push(inner);
      continue;
    }
    if (!stat.isFile() || name === METRICS_FILE) continue;
    if (name.endsWith('.json') && name !== CONFIG_FILE && results.length < MAX_RESULT_FILES) {
      const value = readJson(path, problems, stamps);
      if (value !== undefined) results.push({ file: name, value });
    }
    if (REPORT_EXTENSIONS.test(name) && name !== CONFIG_FILE && reports.length < MAX_LISTED_FILES) reports.push(name);
  }
  return {
    ...(config === undefined ? {} : { config }),
    ...(typeof latestStep === 'number' ? { checkpointStep: latestStep } : {}),
    ...(typeof bestStep === 'number' && typeof bestScore === 'number' ? { best: { step: bestStep, score: bestScore } } : {}),
    results,
    reports,
    problems,
    fingerprint: stamps.join('|') + `|${entries.length}`,
  };
}

function listReports(folder: string, root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder).sort();
  } catch {
    return [];
  }
  return names
    .filter((name) => REPORT_EXTENSIONS.test(name))
    .filter((name) => {
      try {
        return lstatSync(join(folder, name)).isFile();
      } catch {
        return false;
      }
    })
    .map((name) => relative(root, join(folder, name)));
}

/** Result files of evaluations (`eval bfcl --out`, `eval agent --out`, toolkengpt, the demo's output folder). */
const RESULT_FILES = ['report.json', 'results.json', 'metrics.json'];

/**
 * True when `dir` is a folder the dashboard shows: a run directory (src/train/run-dir.ts) with a metrics.jsonl or a
 * config.json beside a checkpoints/ folder (a model folder has a config.json too, but no checkpoints/), or the
 * output folder of an evaluation, with its results file.
 */
export function isRunDirectory(dir: string): boolean {
  if (existsSync(join(dir, METRICS_FILE)) || (existsSync(join(dir, CONFIG_FILE)) && existsSync(join(dir, 'checkpoints')))) return true;
  return RESULT_FILES.some((name) => existsSync(join(dir, name)));
}
