import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { writeJsonAtomic } from '../util/fs.js';
import { pathInside, shardNamesOf } from './shard-names.js';
import { errorWithCode } from '../util/errors.js';

export const HUB_BASE_URL = 'https://huggingface.co';

/** Files fetched besides the weights; only config.json is required. */
const REQUIRED_FILES = ['config.json'];
const OPTIONAL_FILES = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];
/** Written last: its presence means every file of the model arrived. */
const COMPLETE_MARKER = '.toolken-download.json';

export interface ResolveModelOptions {
  /** Where downloads go; default `$TOOLKEN_CACHE` or `~/.cache/toolken/hub`. */
  cacheDir?: string;
  /** Hub address (tests point it at a local server). */
  baseUrl?: string;
  revision?: string;
  /** Per-request time limit in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** The Hub could not be reached or refused a file; the message says how to use a local directory instead. */
export class HubError extends errorWithCode('MODEL_UNRESOLVED') {}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export function defaultHubCacheDir(): string {
  return process.env['TOOLKEN_CACHE'] ?? join(homedir(), '.cache', 'toolken', 'hub');
}

/**
 * A local file or directory is returned as is (absolute); an `org/name` Hugging Face id is downloaded once into
 * `<cache>/<org>--<name>` (config, tokenizer files, safetensors weights or index + shards) and that directory
 * returned. Each file is written to a temporary name and renamed, so an interrupted download never looks complete.
 */
export async function resolveModelPath(idOrPath: string, options: ResolveModelOptions = {}): Promise<string> {
  if (existsSync(idOrPath)) return resolve(idOrPath);
  if (!HUB_ID.test(idOrPath)) {
    throw new HubError(`"${idOrPath}" is neither an existing file or directory nor a Hugging Face model id like "org/name"`);
  }
  const target = join(options.cacheDir ?? defaultHubCacheDir(), idOrPath.replace('/', '--'));
  if (existsSync(join(target, COMPLETE_MARKER))) return target;

  const base = (options.baseUrl ?? HUB_BASE_URL).replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const token = process.env['HF_TOKEN'];

  /** Fetches one file into the cache; false when the Hub has no such file (404). */
  const download = async (file: string): Promise<boolean> => {
    const url = `${base}/${idOrPath}/resolve/${revision}/${file}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HubError(
        `cannot reach the Hugging Face Hub at ${base} to download "${idOrPath}" (${cause?.code ?? cause?.message ?? (err as Error).message}). ` +
          `This machine may be offline: download the model where there is network access and pass its local directory ` +
          `(with config.json, tokenizer.json and the .safetensors files) instead of the id.`,
      );
    }
    if (response.status === 404) return false;
    if (!response.ok || !response.body) {
      throw new HubError(`${url}: the Hub answered ${response.status} ${response.statusText}${response.status === 401 || response.status === 403 ? ' (gated or private model: set HF_TOKEN)' : ''}`);
    }
    // Every name reaching here is fixed above or a checked shard name; the containment check makes that a guarantee.
    const path = pathInside(target, file);
    if (path === undefined) throw new HubError(`"${idOrPath}": refusing to write ${JSON.stringify(file)} outside the model's cache folder ${target}`);
    mkdirSync(target, { recursive: true });
    const tmp = `${path}.${process.pid}.part`;
    log(`downloading ${idOrPath}/${file}${response.headers.get('content-length') ? ` (${(Number(response.headers.get('content-length')) / 1e6).toFixed(1)} MB)` : ''}`);
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(tmp));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw new HubError(`${url}: download interrupted (${(err as Error).message})`);
    }
    renameSync(tmp, path);
    return true;
  };

  const files: string[] = [];
  for (const file of REQUIRED_FILES) {
    if (!(await download(file))) throw new HubError(`"${idOrPath}" has no ${file} on ${base} (revision ${revision}): is the id right?`);
    files.push(file);
  }
  for (const file of OPTIONAL_FILES) if (await download(file)) files.push(file);
  if (await download('model.safetensors.index.json')) {
    files.push('model.safetensors.index.json');
    let index: unknown;
    try {
      index = JSON.parse(readFileSync(join(target, 'model.safetensors.index.json'), 'utf8'));
    } catch (err) {
      throw new HubError(`"${idOrPath}": model.safetensors.index.json from ${base} is not valid JSON (${(err as Error).message})`);
    }
    const listed = shardNamesOf(index);
    if ('problem' in listed) throw new HubError(`"${idOrPath}": model.safetensors.index.json from ${base} is malformed: ${listed.problem}`);
    for (const shard of listed.shards) {
      if (!(await download(shard))) throw new HubError(`"${idOrPath}": shard ${shard} listed in model.safetensors.index.json is missing on the Hub`);
      files.push(shard);
    }
  } else if (await download('model.safetensors')) {
    files.push('model.safetensors');
  } else {
    throw new HubError(`"${idOrPath}" has no model.safetensors or model.safetensors.index.json on ${base}: only safetensors checkpoints are supported`);
  }
  writeJsonAtomic(join(target, COMPLETE_MARKER), { id: idOrPath, revision, files, bytes: files.reduce((n, f) => n + statSync(join(target, f)).size, 0) });
  return target;
}
