/**
 * The retrieval benchmarks toolken knows by name, each as a catalog with train and test queries, so that a
 * command or a script can say `metatool` instead of repeating where the files are and how they are split.
 *
 * | name            | test queries                               | train queries                  |
 * |-----------------|--------------------------------------------|--------------------------------|
 * | demo            | a quarter of the generated demo queries    | the rest                       |
 * | metatool        | 20% of the queries, split by seed          | the other 80%                  |
 * | seal-tools      | test_in_domain (700)                       | dev (700; the train split was never released) |
 * | stabletoolbench | the 765 solvable queries                   | none (ToolBench's training queries are not available) |
 */
import { join } from 'node:path';
import type { Tool } from '../tools/types.js';
import { demoCatalog } from './demo/catalog.js';
import { demoQuerySplit } from './demo/queries.js';
import { sharedDatasetsDir } from './loaders/files.js';
import { loadMetaTool } from './loaders/metatool.js';
import { loadSealTools } from './loaders/seal-tools.js';
import { loadStableToolBench } from './loaders/stabletoolbench.js';
import { splitQueries } from './split.js';
import type { RetrievalQuery } from './types.js';

export const RETRIEVAL_BENCHMARKS = ['demo', 'metatool', 'seal-tools', 'stabletoolbench'] as const;
export type RetrievalBenchmarkName = (typeof RETRIEVAL_BENCHMARKS)[number];

export interface RetrievalBenchmark {
  name: RetrievalBenchmarkName;
  tools: Tool[];
  train: RetrievalQuery[];
  test: RetrievalQuery[];
  /** What the loader left out (see `RetrievalDataset.issues`). */
  issues: string[];
}

export interface BenchmarkOptions {
  /** Seed of the query split and of the demo queries (default 0). */
  seed?: number;
  /** Folder holding the third-party datasets (default `../shared/datasets` beside the repository). */
  datasetsDir?: string;
}

export function loadRetrievalBenchmark(name: RetrievalBenchmarkName, options: BenchmarkOptions = {}): RetrievalBenchmark {
  const seed = options.seed ?? 0;
  const root = options.datasetsDir ?? sharedDatasetsDir();
  switch (name) {
    case 'demo': {
      const { train, test } = demoQuerySplit({ seed });
      return { name, tools: demoCatalog(), train, test, issues: [] };
    }
    case 'metatool': {
      const data = loadMetaTool(join(root, 'metatool', 'dataset'));
      const split = splitQueries(data.queries, { seed, validation: 0, test: 0.2 });
      return { name, tools: data.tools, train: split.train, test: split.test, issues: data.issues ?? [] };
    }
    case 'seal-tools': {
      const dir = join(root, 'seal-tools', 'Seal-Tools_Dataset');
      const test = loadSealTools(dir, 'test_in_domain');
      return { name, tools: test.tools, train: loadSealTools(dir, 'dev').queries, test: test.queries, issues: test.issues ?? [] };
    }
    case 'stabletoolbench': {
      const data = loadStableToolBench(join(root, 'stabletoolbench', 'solvable_queries'));
      return { name, tools: data.tools, train: [], test: data.queries, issues: data.issues ?? [] };
    }
  }
}
