import { toolDocument } from '../tools/catalog.js';
import type { Tool } from '../tools/types.js';

/** The text a tool is embedded from for hierarchical indexing: the catalog's canonical tool document. */
export { toolDocument };
import { tfidfEmbedder, type Embedder } from './embedder.js';
import { kmeans } from './kmeans.js';

/** ToolGen's four ways of writing a tool as tokens. */
export type IndexScheme = 'atomic' | 'semantic' | 'numeric' | 'hierarchical';
export const INDEX_SCHEMES: readonly IndexScheme[] = ['atomic', 'semantic', 'numeric', 'hierarchical'];

/** The atomic token of a tool: ToolBench ids are `tool_name&&api_name`, so this reads `<<tool_name&&api_name>>`. */
export const atomicToken = (toolId: string): string => `<<${toolId}>>`;

/** A number written as space-separated digits, so that ordinary digit tokens spell it (`407` -> `4 0 7`). */
export const spacedDigits = (digits: readonly number[]): string => digits.join(' ');

const numberDigits = (n: number): number[] => [...String(n)].map(Number);

/**
 * Unique semantic names: each tool keeps its name when it is the only one with it; among tools sharing a name the
 * smallest id keeps it and the others get `_2`, `_3`, ... (the first suffix not taken by any other name). The result
 * depends only on the set of tools, not on their order.
 */
export function semanticNames(tools: readonly Tool[]): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const tool of tools) {
    const name = tool.name.trim() === '' ? tool.id : tool.name.trim();
    const group = byName.get(name);
    if (group) group.push(tool.id);
    else byName.set(name, [tool.id]);
  }
  const taken = new Set(byName.keys());
  const result = new Map<string, string>();
  for (const name of [...byName.keys()].sort()) {
    const ids = byName.get(name)!.sort();
    result.set(ids[0]!, name);
    let suffix = 2;
    for (const id of ids.slice(1)) {
      while (taken.has(`${name}_${suffix}`)) suffix++;
      const unique = `${name}_${suffix}`;
      taken.add(unique);
      result.set(id, unique);
    }
  }
  return result;
}

export interface HierarchicalOptions {
  /** Embeds tool documents (src/tools/catalog.ts toolDocument); default: the model-free TF-IDF embedder. */
  readonly embed?: Embedder;
  /** Clusters per level (ToolGen: 10, so each level is one digit). */
  readonly branching?: number;
  readonly seed?: number;
}

/**
 * Hierarchical indices: tools are clustered recursively with k-means into `branching` clusters until a cluster
 * holds at most `branching` tools; a tool's index is the path of cluster numbers from the root followed by its
 * position in its leaf. Clusters are numbered by their first member in catalog order, so the result is
 * deterministic. A cluster that k-means cannot split (identical embeddings) is cut into equal contiguous parts.
 */
export async function hierarchicalPaths(tools: readonly Tool[], options: HierarchicalOptions = {}): Promise<number[][]> {
  const branching = options.branching ?? 10;
  if (!Number.isInteger(branching) || branching < 2 || branching > 10) {
    throw new Error(`hierarchical indexing: branching must be an integer in 2..10 (one digit per level), got ${branching}`);
  }
  const embed = options.embed ?? tfidfEmbedder();
  const embeddings = await embed(tools.map(toolDocument));
  if (embeddings.length !== tools.length) {
    throw new Error(`hierarchical indexing: the embedder returned ${embeddings.length} vectors for ${tools.length} tools`);
  }
  const paths: number[][] = tools.map(() => []);
  const seed = options.seed ?? 0;

  const split = (members: number[], prefix: number[], depth: number): void => {
    if (members.length <= branching) {
      members.forEach((m, position) => (paths[m] = [...prefix, position]));
      return;
    }
    const assignment = kmeans(embeddings, members, branching, { seed: seed + depth * 7919 + members[0]! });
    const clusters = new Map<number, number[]>();
    members.forEach((m, i) => {
      const group = clusters.get(assignment[i]!);
      if (group) group.push(m);
      else clusters.set(assignment[i]!, [m]);
    });
    let groups = [...clusters.values()]; // Map order is first-appearance order, i.e. by first member
    if (groups.length === 1) {
      const size = Math.ceil(members.length / branching);
      groups = Array.from({ length: Math.ceil(members.length / size) }, (_, g) => members.slice(g * size, (g + 1) * size));
    }
    groups.forEach((group, digit) => split(group, [...prefix, digit], depth + 1));
  };
  split(
    tools.map((_, i) => i),
    [],
    0,
  );
  return paths;
}

/** Index text for every tool under `scheme`, in catalog order. */
export async function indexTexts(tools: readonly Tool[], scheme: IndexScheme, options: HierarchicalOptions = {}): Promise<string[]> {
  switch (scheme) {
    case 'atomic':
      return tools.map((t) => atomicToken(t.id));
    case 'semantic': {
      const names = semanticNames(tools);
      return tools.map((t) => names.get(t.id)!);
    }
    case 'numeric':
      return tools.map((_, i) => spacedDigits(numberDigits(i)));
    case 'hierarchical':
      return (await hierarchicalPaths(tools, options)).map(spacedDigits);
  }
}
