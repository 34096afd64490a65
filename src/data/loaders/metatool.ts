/**
 * MetaTool (`dataset/`): single-tool (query, tool) pairs in `data/all_clean_data.csv`, multi-tool golden queries
 * in `data/multi_tool_query_golden.json`, tool descriptions in `plugin_des.json` (and `big_tool_des.json` for
 * any tool the first lacks), read by the tools module's MetaTool importer. A tool's id is its name in the dataset.
 * The same query text listed with several tools becomes one query relevant to all of them, so a split can never
 * put one text on both sides.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../csv.js';
import type { RetrievalDataset, RetrievalQuery } from '../types.js';
import { DataFileError, importTools, isObject, readJson, readText } from './files.js';

export interface MetaToolOptions {
  /** Also load the multi-tool golden queries (default true). */
  multiTool?: boolean;
}

/** `dir` is MetaTool's `dataset` folder. */
export function loadMetaTool(dir: string, options: MetaToolOptions = {}): RetrievalDataset {
  const descriptionsFile = join(dir, 'plugin_des.json');
  const tools = new Map(importTools(descriptionsFile, 'metatool').map((t) => [t.id, t]));
  const bigFile = join(dir, 'big_tool_des.json');
  if (existsSync(bigFile)) {
    for (const tool of importTools(bigFile, 'metatool')) if (!tools.has(tool.id)) tools.set(tool.id, tool);
  }

  const byText = new Map<string, RetrievalQuery>();
  const addPair = (text: string, tool: string, where: string): void => {
    if (!tools.has(tool)) throw new DataFileError(`${where}: tool '${tool}' has no description in ${descriptionsFile}`);
    const existing = byText.get(text);
    if (existing) {
      if (!existing.relevant.includes(tool)) existing.relevant.push(tool);
      return;
    }
    byText.set(text, { id: `metatool/${byText.size}`, query: text, relevant: [tool] });
  };

  const csvFile = join(dir, 'data', 'all_clean_data.csv');
  const records = parseCsv(readText(csvFile), csvFile);
  const header = records[0]?.fields.map((f) => f.trim().toLowerCase());
  if (header === undefined || header[0] !== 'query' || header[1] !== 'tool') {
    throw new DataFileError(`${csvFile}:1: expected the header 'Query,Tool'`);
  }
  for (const { fields, line } of records.slice(1)) {
    if (fields.length !== 2) throw new DataFileError(`${csvFile}:${line}: expected 2 fields (Query,Tool), found ${fields.length}`);
    const text = fields[0]!.trim();
    if (text === '') throw new DataFileError(`${csvFile}:${line}: empty query`);
    addPair(text, fields[1]!.trim(), `${csvFile}:${line}`);
  }

  const multiFile = join(dir, 'data', 'multi_tool_query_golden.json');
  if ((options.multiTool ?? true) && existsSync(multiFile)) {
    const multi = readJson(multiFile);
    if (!Array.isArray(multi)) throw new DataFileError(`${multiFile}: expected a JSON array`);
    multi.forEach((record, i) => {
      const where = `${multiFile} /${i}`;
      if (!isObject(record) || typeof record.query !== 'string' || !Array.isArray(record.tool)) {
        throw new DataFileError(`${where}: expected { "query": string, "tool": string[] }`);
      }
      for (const tool of record.tool) {
        if (typeof tool !== 'string') throw new DataFileError(`${where}: tool names must be strings`);
        addPair(record.query.trim(), tool, where);
      }
    });
  }

  return { name: 'metatool', tools: [...tools.values()], queries: [...byText.values()] };
}
