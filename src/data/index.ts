/** Public API of toolken's data layer: dataset loaders, splits, ToolGen training examples and the demo catalog. */
export type { ChatExample, ChatMessage, RetrievalDataset, RetrievalQuery, ToolCall } from './types.js';
export { CsvError, parseCsv, type CsvRecord } from './csv.js';
export { seededRandom, shuffled, type Random } from '../util/random.js';
export {
  loadRetrievalBenchmark,
  RETRIEVAL_BENCHMARKS,
  type BenchmarkOptions,
  type RetrievalBenchmark,
  type RetrievalBenchmarkName,
} from './benchmarks.js';
export { splitQueries, type QuerySplit, type SplitOptions } from './split.js';
export { DataFileError, importTools, sharedDatasetsDir } from './loaders/files.js';
export { loadMetaTool, type MetaToolOptions } from './loaders/metatool.js';
export { loadSealTools, type SealToolsSplit } from './loaders/seal-tools.js';
export { loadStableToolBench, STABLETOOLBENCH_GROUPS, type StableToolBenchGroup } from './loaders/stabletoolbench.js';
export { standardizeToolBenchName, toolBenchFunctionName, toolBenchIdentifier } from './loaders/toolbench-names.js';
export { loadQueriesFile, loadUserDataset } from './loaders/user.js';
export { demoCatalog, demoImplementations, demoTools } from './demo/catalog.js';
export { demoQuerySplit, generateDemoQueries, templateSlots, type DemoQueryOptions, type DemoQuerySplit } from './demo/queries.js';
export type { DemoParam, DemoTool } from './demo/define.js';
