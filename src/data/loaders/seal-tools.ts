/**
 * Seal-Tools (`Seal-Tools_Dataset/`): 4,076 tools in `tool.jsonl` (read by the tools module's Seal-Tools importer),
 * domains in `field.jsonl`, and the `dev` / `test_in_domain` query files with gold calls. A tool's id is its
 * api_name; its category is the top-level field (`Sports` for `Sports/Swimming`), which must be a domain of
 * `field.jsonl` when that file is present. A query gets a domain only when all its calls fall in one field: most
 * multi-call queries span several, and no single domain would hold their candidates.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RetrievalDataset, RetrievalQuery, ToolCall } from '../types.js';
import { DataFileError, importTools, isObject, readJsonLines, requireArray, requireObject, requireString } from './files.js';

export type SealToolsSplit = 'dev' | 'test_in_domain';

function readDomains(file: string): Set<string> {
  const out = new Set<string>();
  for (const { value, line } of readJsonLines(file)) {
    if (!isObject(value)) throw new DataFileError(`${file}:${line}: expected an object { domain: [subfields] }`);
    for (const name of Object.keys(value)) out.add(name);
  }
  return out;
}

/** `dir` is the `Seal-Tools_Dataset` folder. */
export function loadSealTools(dir: string, split: SealToolsSplit): RetrievalDataset {
  const toolFile = join(dir, 'tool.jsonl');
  const tools = importTools(toolFile, 'seal-tools');
  const fieldFile = join(dir, 'field.jsonl');
  if (existsSync(fieldFile)) {
    const domains = readDomains(fieldFile);
    for (const tool of tools) {
      if (tool.category === undefined || !domains.has(tool.category)) {
        throw new DataFileError(`${toolFile} ${tool.origin?.location ?? tool.id}: field '${tool.category ?? ''}' is not a domain listed in ${fieldFile}`);
      }
    }
  }
  const byId = new Map(tools.map((t) => [t.id, t]));
  const file = join(dir, `${split}.jsonl`);
  const queries = readJsonLines(file).map(({ value, line }): RetrievalQuery => {
    const where = `${file}:${line}`;
    const record = requireObject(value, where);
    const calls: ToolCall[] = requireArray(record, 'calling', where).map((raw, i) => {
      const call = requireObject(raw, `${where} calling[${i}]`);
      const tool = requireString(call, 'api', `${where} calling[${i}]`);
      if (!byId.has(tool)) throw new DataFileError(`${where}: calling[${i}] names unknown tool '${tool}'`);
      return { tool, arguments: requireObject(call.parameters ?? {}, `${where} calling[${i}].parameters`) };
    });
    const relevant = [...new Set(calls.map((c) => c.tool))];
    const query: RetrievalQuery = { id: requireString(record, 'id', where), query: requireString(record, 'query', where), relevant, calls };
    const fields = new Set(relevant.map((id) => byId.get(id)!.category));
    if (fields.size === 1) query.domain = [...fields][0]!;
    return query;
  });
  return { name: `seal-tools/${split}`, tools, queries };
}
