/**
 * The training data a run names, one source per `--data` value:
 *   bfcl:DIR[:CATEGORY,...]   BFCL questions with possible answers (default: every Python single-turn category)
 *   seal-tools:DIR            Seal-Tools dev (DIR: the Seal-Tools_Dataset folder)
 *   api-bank:DIR              API-Bank level-1/2 dialogues that make calls (DIR: the api-bank folder)
 *   toolalpaca:FILE           a ToolAlpaca evaluation file (eval_simulated.json, eval_real.json)
 *   demo[:PER_TOOL]           the demo catalog's generated queries (12 per tool by default)
 *   FILE                      a JSON-lines file of {"messages", "tools"} examples (README.md)
 */
import { DataFileError } from '../../data/loaders/files.js';
import { loadSealTools } from '../../data/loaders/seal-tools.js';
import { demoCatalog } from '../../data/demo/catalog.js';
import { generateDemoQueries } from '../../data/demo/queries.js';
import { isBfclCategory, type BfclCategory } from '../../eval/bfcl/dataset.js';
import { apiBankExamples } from './data-api-bank.js';
import { toolAlpacaExamples } from './data-toolalpaca.js';
import { BFCL_TRAINING_CATEGORIES, bfclExamples, datasetExamples, readFcExamples, type FcExample } from './data.js';

/** The examples of one `--data` value; `seed` seeds generated data (the demo's queries). */
export function loadDataSource(spec: string, seed: number): FcExample[] {
  const [kind, ...rest] = spec.split(':');
  if (kind === 'bfcl') {
    const [dir, categories] = rest;
    if (dir === undefined || dir === '') throw new DataFileError(`--data ${spec}: give the BFCL data folder, bfcl:DIR[:CATEGORY,...]`);
    const names = categories === undefined ? [...BFCL_TRAINING_CATEGORIES] : categories.split(',');
    const bad = names.find((n) => !isBfclCategory(n));
    if (bad !== undefined) throw new DataFileError(`--data ${spec}: '${bad}' is not a BFCL category (training categories: ${BFCL_TRAINING_CATEGORIES.join(', ')})`);
    return bfclExamples(dir, names as BfclCategory[]);
  }
  if (kind === 'seal-tools') {
    const dir = rest.join(':');
    if (dir === '') throw new DataFileError(`--data ${spec}: give the Seal-Tools_Dataset folder, seal-tools:DIR`);
    return datasetExamples(loadSealTools(dir, 'dev'));
  }
  if (kind === 'api-bank') {
    const dir = rest.join(':');
    if (dir === '') throw new DataFileError(`--data ${spec}: give the API-Bank folder (with data/ and lv1-lv2-samples/), api-bank:DIR`);
    return apiBankExamples(dir);
  }
  if (kind === 'toolalpaca') {
    const file = rest.join(':');
    if (file === '') throw new DataFileError(`--data ${spec}: give a ToolAlpaca evaluation file, toolalpaca:FILE`);
    return toolAlpacaExamples(file);
  }
  if (kind === 'demo') {
    const perTool = rest[0] === undefined ? 12 : Number(rest[0]);
    if (!Number.isInteger(perTool) || perTool < 1) throw new DataFileError(`--data ${spec}: demo[:PER_TOOL] needs a positive whole number of queries per tool`);
    return datasetExamples({ name: 'demo', tools: demoCatalog(), queries: generateDemoQueries({ seed, perTool }) });
  }
  return readFcExamples(spec);
}
