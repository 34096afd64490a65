/**
 * Tool indexing at catalog scale: time and memory to index 50,000 synthetic ToolBench-style tools under each of
 * the four schemes (hierarchical with the default model-free TF-IDF embedder and k-means).
 */
import { INDEX_SCHEMES, ToolIndex } from '../../src/indexing/index.js';
import { syntheticCatalog } from '../../src/indexing/test-utils/synthetic-catalog.js';
import type { BenchRecord } from '../lib.js';

const TOOLS = 50_000;

export async function run(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const tools = syntheticCatalog(TOOLS);
  for (const scheme of INDEX_SCHEMES) {
    const start = process.hrtime.bigint();
    const index = await ToolIndex.build(tools, scheme);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const memory = process.memoryUsage();
    const params = { scheme, tools: index.size };
    records.push(
      { name: 'index build', value: seconds, unit: 's', params },
      { name: 'rss after build', value: memory.rss / 2 ** 20, unit: 'MiB', params },
      { name: 'heap used after build', value: memory.heapUsed / 2 ** 20, unit: 'MiB', params },
    );
    process.stderr.write(`indexing: ${scheme} ${seconds.toFixed(2)} s\n`);
  }
  return records;
}
