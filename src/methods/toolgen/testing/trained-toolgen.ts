/**
 * For tests that need a ToolGen model which actually picks the right tool: the tiny model of tiny-toolgen.ts
 * trained through the retrieval stage on a few demo tools and their generated queries (a few seconds of CPU). The
 * stage writes a loadable model directory (weights, tokenizer, tool index, catalog), which CLI tests start from.
 */
import { join } from 'node:path';
import { demoCatalog } from '../../../data/demo/catalog.js';
import { generateDemoQueries } from '../../../data/demo/queries.js';
import type { RetrievalQuery } from '../../../data/types.js';
import type { Tool } from '../../../tools/types.js';
import { defaultSftConfig } from '../../../train/objectives/sft.js';
import { RunDirectory } from '../../../train/run-dir.js';
import type { ToolGenModel } from '../model.js';
import { trainToolGenStage } from '../stages.js';
import { tinyToolGen } from './tiny-toolgen.js';

export interface TrainedToolGen {
  readonly tg: ToolGenModel;
  readonly tools: readonly Tool[];
  /** The queries it was trained on, each naming one tool. */
  readonly queries: readonly RetrievalQuery[];
  /** The model directory the stage wrote (with tool-index.json and catalog.json). */
  readonly modelDir: string;
}

/** The demo tools it knows: four tools of different domains, so their queries are easy to tell apart. */
export const TRAINED_TOOL_IDS = ['add_numbers', 'convert_temperature', 'reverse_text', 'circle_area'] as const;

/** Trains the retrieval stage in `dir` (a fresh folder). */
export async function trainedToolGen(dir: string, options: { epochs?: number; maxPositions?: number } = {}): Promise<TrainedToolGen> {
  const catalog = demoCatalog();
  const tools = TRAINED_TOOL_IDS.map((id) => {
    const tool = catalog.find((t) => t.id === id);
    if (tool === undefined) throw new Error(`the demo catalog has no tool '${id}'`);
    return tool;
  });
  const queries = generateDemoQueries({ seed: 3, perTool: 4 }).filter((q) => q.relevant.length === 1 && (TRAINED_TOOL_IDS as readonly string[]).includes(q.relevant[0]!));
  const tg = await tinyToolGen(tools, { texts: queries.map((q) => q.query), vocabSize: 360, maxPositions: options.maxPositions ?? 512, seed: 7 });
  const result = await trainToolGenStage({
    stage: 'retrieval',
    tg,
    tools,
    queries,
    valFraction: 0,
    showProgress: false,
    sft: { ...defaultSftConfig, epochs: options.epochs ?? 100, batchSize: 4, lr: 5e-3, warmup: 0.05, padId: tg.tokenizer.eosId ?? 0 },
    run: RunDirectory.open(join(dir, 'run'), { resume: false }),
  });
  return { tg, tools, queries, modelDir: result.finalDir };
}
