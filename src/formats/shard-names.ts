import { isAbsolute, relative, resolve } from 'node:path';

/**
 * A shard file name as `model.safetensors.index.json` may list it: one plain `.safetensors` file name in the model's
 * own folder. Separators (`/`, `\`), dot segments and leading dots are refused, so an index from a stranger can
 * neither point at nor (when downloading) write to any other file.
 */
const PLAIN_SHARD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.safetensors$/;

export function isPlainShardName(name: string): boolean {
  return name.length <= 255 && PLAIN_SHARD_NAME.test(name);
}

/** `dir/name` resolved, or undefined when it would leave `dir` (the check behind every path built from a file's contents). */
export function pathInside(dir: string, name: string): string | undefined {
  const root = resolve(dir);
  const path = resolve(root, name);
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : path;
}

/**
 * The distinct shard names of an index's `weight_map`, or a description of what is wrong with it (the caller
 * raises its own error type: a CheckpointError for a local file, a HubError for a download).
 */
export function shardNamesOf(index: unknown): { shards: string[] } | { problem: string } {
  if (typeof index !== 'object' || index === null || Array.isArray(index)) return { problem: 'the index is not a JSON object' };
  const map = (index as { weight_map?: unknown }).weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return { problem: '"weight_map" must be an object mapping tensor names to shard file names' };
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string') return { problem: `"weight_map" entry "${tensor}" is ${JSON.stringify(shard)}, not a shard file name` };
    if (!isPlainShardName(shard)) {
      return { problem: `shard ${JSON.stringify(shard)} (for tensor "${tensor}") is not a plain .safetensors file name in the model's folder` };
    }
    shards.add(shard);
  }
  if (shards.size === 0) return { problem: '"weight_map" lists no shards' };
  return { shards: [...shards] };
}
