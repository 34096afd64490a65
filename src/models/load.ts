/**
 * `loadModel(pathOrId)`: a Hugging Face directory, a GGUF file or a llama2.c `.bin` checkpoint, with its tokenizer,
 * as one `DecoderModel`. The format readers deliver Hugging Face names and the rotate-half RoPE layout, so the model
 * never knows which file it came from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '../tensor/backend.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { resolveModelPath } from '../formats/hub.js';
import { openModel, type OpenedModel } from '../formats/load.js';
import { modelInsideHint } from '../formats/model-dir-hint.js';
import { parseHfConfig, type DecoderConfig } from './config.js';
import { DecoderModel, type LoadProgress, type WeightLoading } from './decoder.js';
import { errorWithCode } from '../util/errors.js';

export type ModelSource = 'huggingface' | 'gguf' | 'llama2c';

export interface LoadedModel {
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  readonly config: DecoderConfig;
  readonly source: ModelSource;
}

/** keepQuantized / quantize (WeightLoading) make an inference-only model of quantized matrices. */
export interface LoadModelOptions extends WeightLoading {
  /** A tokenizer file to use instead of the one found with the checkpoint (llama2.c: a `tok*.bin`). */
  readonly tokenizer?: string;
  readonly backend?: Backend;
  /** Called after each weight tensor is read (a large checkpoint takes a while: show it). */
  readonly onProgress?: (progress: LoadProgress) => void;
}

/** A model path that cannot be loaded; the message names the path and what is wrong. */
export class ModelLoadError extends errorWithCode('MODEL_LOAD_FAILED') {}

export interface LoadedDecoder {
  readonly model: DecoderModel;
  readonly config: DecoderConfig;
  readonly source: ModelSource;
}

/**
 * Loads a checkpoint with its tokenizer. `pathOrId` is a local Hugging Face directory, a .gguf or llama2.c .bin
 * file, or a Hugging Face model id (`org/name`), downloaded once into the cache.
 */
export async function loadModel(pathOrId: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const path = await resolveModelPath(pathOrId);
  const loaded = loadDecoder(path, options);
  return { ...loaded, tokenizer: loadTokenizerFor(path, loaded.config, loaded.source, options.tokenizer) };
}

/** What a model is without its weights: the local path it resolves to, its config, tokenizer and format. */
export interface ModelSpec {
  readonly path: string;
  readonly config: DecoderConfig;
  readonly tokenizer: Tokenizer;
  readonly source: ModelSource;
}

/**
 * Reads a checkpoint's config and tokenizer but none of its weights, for a process that runs the model elsewhere
 * (the server's model worker loads the weights from `path` itself, so they are held once).
 */
export async function loadModelSpec(pathOrId: string, options: Pick<LoadModelOptions, 'tokenizer'> = {}): Promise<ModelSpec> {
  const path = await resolveModelPath(pathOrId);
  const { opened, config, source } = openChecked(path);
  opened.weights.close();
  return { path, config, source, tokenizer: loadTokenizerFor(path, config, source, options.tokenizer) };
}

function loadTokenizerFor(path: string, config: DecoderConfig, source: ModelSource, given: string | undefined): Tokenizer {
  let tokenizerPath = given;
  if (tokenizerPath === undefined) {
    if (source === 'huggingface') tokenizerPath = join(path, 'tokenizer.json');
    else if (source === 'gguf') tokenizerPath = path;
    else tokenizerPath = findLlama2cTokenizer(path, config.vocabSize);
  }
  if (!existsSync(tokenizerPath)) throw new ModelLoadError(`${tokenizerPath}: tokenizer file not found`);
  return loadTokenizer(tokenizerPath, config.vocabSize);
}

const SOURCES = { safetensors: 'huggingface', gguf: 'gguf', llama2c: 'llama2c' } as const;

/** Loads only the model of a local checkpoint (no tokenizer): a Hugging Face directory, a .gguf or a llama2.c .bin. */
export function loadDecoder(path: string, options: Pick<LoadModelOptions, 'backend' | 'onProgress' | 'keepQuantized' | 'quantize'> = {}): LoadedDecoder {
  const { opened, config, source } = openChecked(path);
  try {
    const loading = { keepQuantized: options.keepQuantized, quantize: options.quantize };
    return { model: DecoderModel.fromReader(config, opened.weights, options.backend, options.onProgress, loading), config, source };
  } finally {
    opened.weights.close();
  }
}

/** Opens a checkpoint and checks its config against its weights' names; the caller closes the weights. */
function openChecked(path: string): { opened: OpenedModel; config: DecoderConfig; source: ModelSource } {
  const opened = openModel(path);
  const source = SOURCES[opened.format];
  try {
    // A directory's config.json is parsed whole, so that options this decoder lacks are refused by name.
    const config = source === 'huggingface' ? readHuggingFaceConfig(path) : parseHfConfig(opened.config, path);
    checkLayerCount(config, opened.weights.names(), path);
    return { opened, config, source };
  } catch (err) {
    opened.weights.close();
    throw err;
  }
}

/**
 * The weights hold exactly the layers the config names, counted from the tensor names alone: a config naming a
 * million layers, or fewer than the file holds, is refused before any per-layer work.
 */
function checkLayerCount(config: DecoderConfig, names: readonly string[], path: string): void {
  const layers = new Set<number>();
  let highest = -1;
  for (const name of names) {
    const layer = /^model\.layers\.(\d+)\./.exec(name);
    if (layer) {
      layers.add(Number(layer[1]));
      highest = Math.max(highest, Number(layer[1]));
    }
  }
  const contiguous = highest < layers.size;
  if (config.layers !== layers.size || !contiguous) {
    throw new ModelLoadError(
      `${path}: the config names ${config.layers} layers but the weights hold ${contiguous ? layers.size : `layers numbered up to ${highest}`} (a mismatched config or a damaged checkpoint)`,
    );
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new ModelLoadError(`${path}: cannot read JSON (${(err as Error).message})`);
  }
}

function readHuggingFaceConfig(dir: string): DecoderConfig {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new ModelLoadError(`${dir}: no config.json, so it is not a Hugging Face model directory${modelInsideHint(dir)}`);
  const config = parseHfConfig(readJson(configPath), configPath);
  // generation_config.json is where chat models list the extra end-of-turn ids generation must stop on.
  const generationPath = join(dir, 'generation_config.json');
  if (!existsSync(generationPath)) return config;
  const extra = generationEosIds(readJson(generationPath), generationPath);
  return { ...config, eosTokenIds: [...new Set([...config.eosTokenIds, ...extra])] };
}

function generationEosIds(json: unknown, path: string): number[] {
  const eos = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['eos_token_id'] : undefined;
  if (eos === undefined || eos === null) return [];
  const ids = Array.isArray(eos) ? eos : [eos];
  if (!ids.every((id) => Number.isInteger(id) && (id as number) >= 0)) {
    throw new ModelLoadError(`${path}: "eos_token_id" must be a token id or a list of ids, got ${JSON.stringify(eos)}`);
  }
  return ids as number[];
}

/** The `tok<vocab>.bin` beside a llama2.c checkpoint, or the only `tok*.bin` there. */
function findLlama2cTokenizer(checkpoint: string, vocabSize: number): string {
  const dir = dirname(checkpoint);
  const exact = join(dir, `tok${vocabSize}.bin`);
  if (existsSync(exact)) return exact;
  const candidates = readdirSync(dir).filter((f) => /^tok.*\.bin$/.test(f) && f !== basename(checkpoint));
  if (candidates.length === 1) return join(dir, candidates[0]!);
  throw new ModelLoadError(
    `${checkpoint}: cannot tell which tokenizer to use (${candidates.length === 0 ? 'no tok*.bin' : candidates.join(', ')} in ${dir}); name one with --tokenizer`,
  );
}

