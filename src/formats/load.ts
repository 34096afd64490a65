import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GgufFile } from './gguf.js';
import { ggufAsHuggingFace } from './llama-mapping.js';
import { Llama2cCheckpoint } from './llama2c.js';
import { CheckpointError } from './errors.js';
import { modelInsideHint } from './model-dir-hint.js';
import { writeJsonAtomic } from '../util/fs.js';
import { openSafetensors, writeSafetensors, type SafetensorsWriteDtype } from './safetensors.js';
import type { HfModelConfig, RopeScaling, WeightReader } from './types.js';

/** A checkpoint in Hugging Face naming and rotate-half layout, whatever format it was stored in. */
export interface OpenedModel {
  config: HfModelConfig;
  weights: WeightReader;
  format: 'safetensors' | 'gguf' | 'llama2c';
}

/** Parses a Hugging Face `config.json` into the Llama-family fields, with the library defaults for omitted ones. */
export function readHfConfig(path: string): HfModelConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read the model config (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CheckpointError(`${path}: the model config is not a JSON object`);
  const raw = parsed as Record<string, unknown>;
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new CheckpointError(`${path}: "${key}" must be a positive integer, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const float = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number') throw new CheckpointError(`${path}: "${key}" must be a number, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  if (typeof raw['model_type'] !== 'string') throw new CheckpointError(`${path}: "model_type" is missing`);
  const heads = int('num_attention_heads');
  const config: HfModelConfig = {
    model_type: raw['model_type'],
    hidden_size: int('hidden_size'),
    num_hidden_layers: int('num_hidden_layers'),
    num_attention_heads: heads,
    num_key_value_heads: int('num_key_value_heads', heads),
    intermediate_size: int('intermediate_size'),
    rms_norm_eps: float('rms_norm_eps', 1e-6),
    rope_theta: float('rope_theta', 10000),
    vocab_size: int('vocab_size'),
    max_position_embeddings: int('max_position_embeddings', 2048),
    tie_word_embeddings: raw['tie_word_embeddings'] === true,
    rope_scaling: typeof raw['rope_scaling'] === 'object' && !Array.isArray(raw['rope_scaling']) ? ((raw['rope_scaling'] as RopeScaling | null) ?? null) : null,
  };
  if (Array.isArray(raw['architectures']) && raw['architectures'].every((a) => typeof a === 'string')) config.architectures = raw['architectures'] as string[];
  if (raw['head_dim'] !== undefined && raw['head_dim'] !== null) config.head_dim = int('head_dim');
  if (typeof raw['attention_bias'] === 'boolean') config.attention_bias = raw['attention_bias'];
  if (typeof raw['bos_token_id'] === 'number') config.bos_token_id = raw['bos_token_id'];
  if (typeof raw['eos_token_id'] === 'number') config.eos_token_id = raw['eos_token_id'];
  return config;
}

/**
 * Opens model weights from a Hugging Face directory (config.json + safetensors), a `.gguf` file or a llama2.c
 * `.bin`, all presented with Hugging Face names and layout.
 */
export function openModel(path: string): OpenedModel {
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    const configPath = join(path, 'config.json');
    if (!existsSync(configPath)) throw new CheckpointError(`${path}: no config.json, so it is not a Hugging Face model directory${modelInsideHint(path)}`);
    return { config: readHfConfig(configPath), weights: openSafetensors(path), format: 'safetensors' };
  }
  if (path.endsWith('.gguf')) return { ...ggufAsHuggingFace(new GgufFile(path)), format: 'gguf' };
  if (path.endsWith('.bin')) {
    const ckpt = new Llama2cCheckpoint(path);
    return { config: ckpt.config, weights: ckpt, format: 'llama2c' };
  }
  throw new CheckpointError(`${path}: unknown checkpoint format (expected a directory with config.json, a .gguf or a llama2.c .bin)`);
}

/**
 * Writes a Hugging Face model directory (`config.json` + `model.safetensors`), streaming tensor by tensor, so any
 * opened checkpoint (GGUF, llama2.c) can be converted into the standard layout.
 */
export function saveHfModel(dir: string, config: HfModelConfig, weights: WeightReader, dtype: SafetensorsWriteDtype = 'F32'): void {
  writeSafetensors(join(dir, 'model.safetensors'), weights, { dtype });
  writeJsonAtomic(join(dir, 'config.json'), { torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype], ...config });
}
