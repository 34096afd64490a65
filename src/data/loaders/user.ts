/**
 * The toolken format for users' own data (documented in docs/data-format.md): a catalog file
 * `{ "version": 1, "tools": [Tool, ...] }` (read and validated by the tools module) and a queries file in JSON
 * lines (or a JSON array), one `{ "id"?, "query", "relevant"?, "calls"?, "domain"? }` per query.
 */
import { loadCatalog } from '../../tools/catalog.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import type { RetrievalDataset, RetrievalQuery, ToolCall } from '../types.js';
import { DataFileError, readJson, readJsonLines, readText, requireArray, requireObject, requireString } from './files.js';

function readRecords(path: string): { value: JsonValue; where: string }[] {
  if (readText(path).trimStart().startsWith('[')) {
    const json = readJson(path);
    if (!Array.isArray(json)) throw new DataFileError(`${path}: expected a JSON array of queries`);
    return json.map((value, i) => ({ value, where: `${path} /${i}` }));
  }
  return readJsonLines(path).map(({ value, line }) => ({ value, where: `${path}:${line}` }));
}

export function loadQueriesFile(path: string, tools: readonly Tool[]): RetrievalQuery[] {
  const known = new Set(tools.map((t) => t.id));
  const ids = new Set<string>();
  return readRecords(path).map(({ value, where }, i) => {
    const record = requireObject(value, where);
    const id = record.id === undefined ? String(i) : typeof record.id === 'string' ? record.id : String(record.id);
    if (ids.has(id)) throw new DataFileError(`${where}: duplicate query id '${id}'`);
    ids.add(id);
    const query = requireString(record, 'query', where);
    const calls: ToolCall[] | undefined = record.calls === undefined ? undefined : requireArray(record, 'calls', where).map((raw, j) => {
      const call = requireObject(raw, `${where} calls[${j}]`);
      return { tool: requireString(call, 'tool', `${where} calls[${j}]`), arguments: call.arguments ?? {} };
    });
    let relevant: string[];
    if (record.relevant !== undefined) {
      relevant = requireArray(record, 'relevant', where).map((r) => {
        if (typeof r !== 'string') throw new DataFileError(`${where}: 'relevant' must hold tool id strings`);
        return r;
      });
    } else relevant = calls ? calls.map((c) => c.tool) : [];
    relevant = [...new Set(relevant)];
    if (relevant.length === 0) throw new DataFileError(`${where}: a query needs 'relevant' tool ids or 'calls'`);
    for (const tool of [...relevant, ...(calls ?? []).map((c) => c.tool)]) {
      if (!known.has(tool)) throw new DataFileError(`${where}: tool '${tool}' is not in the catalog`);
    }
    const out: RetrievalQuery = { id, query, relevant };
    if (calls) out.calls = calls;
    if (record.domain !== undefined) {
      if (typeof record.domain !== 'string') throw new DataFileError(`${where}: 'domain' must be a string`);
      out.domain = record.domain;
    }
    return out;
  });
}

/** Loads a catalog and a queries file as one dataset named `name`. */
export function loadUserDataset(name: string, catalogPath: string, queriesPath: string): RetrievalDataset {
  const tools = loadCatalog(catalogPath).tools;
  return { name, tools, queries: loadQueriesFile(queriesPath, tools) };
}
