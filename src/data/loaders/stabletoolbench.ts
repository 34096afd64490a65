/**
 * StableToolBench solvable queries (`solvable_queries/test_instruction/<group>.json`): each query carries its
 * `api_list` (the tool docs shown to the agent) and `relevant APIs` as `[tool_name, api_name]` pairs.
 * The catalog is the union of every query's api_list, read by the tools module's ToolBench importer (ids
 * `${tool_name}&&${api_name}`); the domain of a query is the RapidAPI category of its first relevant API.
 *
 * A few API entries cannot be read (the data declares a parameter twice); they are left out and listed in
 * `issues`, as is every relevant API and query that goes with them.
 */
import { join } from 'node:path';
import { importFile, mergeTools } from '../../tools/import/index.js';
import { toolbenchId } from '../../tools/import/toolbench.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import type { RetrievalDataset, RetrievalQuery } from '../types.js';
import { DataFileError, isObject, readJson, requireArray, requireString } from './files.js';

export const STABLETOOLBENCH_GROUPS = [
  'G1_instruction',
  'G1_category',
  'G1_tool',
  'G2_instruction',
  'G2_category',
  'G3_instruction',
] as const;
export type StableToolBenchGroup = (typeof STABLETOOLBENCH_GROUPS)[number];

/** `dir` is the `solvable_queries` folder. */
export function loadStableToolBench(dir: string, groups: readonly StableToolBenchGroup[] = STABLETOOLBENCH_GROUPS): RetrievalDataset {
  const imported: Tool[] = [];
  const queries: RetrievalQuery[] = [];
  const issues: string[] = [];
  for (const group of groups) {
    const file = join(dir, 'test_instruction', `${group}.json`);
    const records = readJson(file);
    if (!Array.isArray(records)) throw new DataFileError(`${file}: expected a JSON array of queries`);
    const { result } = importFile(file, 'toolbench');
    imported.push(...result.tools);
    const known = new Map(result.tools.map((t) => [t.id, t]));
    const unreadable = new Set<string>();
    for (const issue of result.issues) {
      issues.push(`${issue.file} ${issue.location}: ${issue.reason} (API left out)`);
      const id = apiIdAt(records, issue.location);
      if (id !== undefined && !known.has(id)) unreadable.add(id);
    }
    records.forEach((record, i) => {
      const where = `${file} /${i}`;
      if (!isObject(record)) throw new DataFileError(`${where}: a query must be an object`);
      const relevant: string[] = [];
      requireArray(record, 'relevant APIs', where).forEach((pair, j) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
          throw new DataFileError(`${where}: 'relevant APIs'[${j}] must be a [tool_name, api_name] pair`);
        }
        const id = toolbenchId(pair[0], pair[1]);
        if (unreadable.has(id)) issues.push(`${where}: relevant API '${id}' left out (its entry cannot be read)`);
        else if (!known.has(id)) throw new DataFileError(`${where}: relevant API '${id}' is not in any api_list of ${file}`);
        else if (!relevant.includes(id)) relevant.push(id);
      });
      if (relevant.length === 0) {
        issues.push(`${where}: query left out (no readable relevant API)`);
        return;
      }
      const queryId = record.query_id;
      if (typeof queryId !== 'number' && typeof queryId !== 'string') throw new DataFileError(`${where}: 'query_id' is missing`);
      const query: RetrievalQuery = { id: `${group}/${queryId}`, query: requireString(record, 'query', where).trim(), relevant };
      const domain = known.get(relevant[0]!)!.category;
      if (domain !== undefined) query.domain = domain;
      queries.push(query);
    });
  }
  // The same API is listed by many queries; the first definition of each id is kept.
  const dataset: RetrievalDataset = { name: 'stabletoolbench', tools: mergeTools(imported).tools, queries };
  if (issues.length > 0) dataset.issues = issues;
  return dataset;
}

/** The tool id of the api_list entry an issue location (`/12/api_list/3/...`) points into. */
function apiIdAt(records: JsonValue[], location: string): string | undefined {
  const match = /^\/(\d+)\/api_list\/(\d+)/.exec(location);
  if (!match) return undefined;
  const record = records[Number(match[1])];
  const api = isObject(record) && Array.isArray(record.api_list) ? record.api_list[Number(match[2])] : undefined;
  if (!isObject(api) || typeof api.tool_name !== 'string' || typeof api.api_name !== 'string') return undefined;
  return toolbenchId(api.tool_name, api.api_name);
}
