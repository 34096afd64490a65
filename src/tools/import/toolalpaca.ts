/**
 * ToolAlpaca (`eval_real.json`, `eval_simulated.json`): a list of APIs, each holding its OpenAPI document as a JSON
 * string in `Documentation`. Each document is imported as OpenAPI (one tool per operation, id = operationId, which
 * is the `Action` name of ToolAlpaca's golden answers); the entry's `Name` becomes the group and its `Category` the
 * category. Operations without an operationId take the name ToolAlpaca's `Function_Projection` gives their path
 * and method. Issues inside a document are located as `/3/Documentation` followed by the pointer inside it.
 */
import type { Tool } from '../types.js';
import { documentEntries, ImportError, isRecord, parseDocument, type ImportIssue, type ImportResult, type ParsedDocument } from './entries.js';
import { importOpenApi } from './openapi.js';

export function importToolAlpaca(doc: ParsedDocument, file: string): ImportResult {
  const tools: Tool[] = [];
  const issues: ImportIssue[] = [];
  const warnings: ImportIssue[] = [];
  for (const { location, value } of documentEntries(doc)) {
    if (!isRecord(value) || typeof value.Documentation !== 'string') {
      issues.push({ file, location, reason: 'expected a ToolAlpaca entry with its OpenAPI document as a string in "Documentation"' });
      continue;
    }
    const at = `${location}/Documentation`;
    let inner: ParsedDocument;
    try {
      inner = parseDocument(value.Documentation, `${file} ${at}`);
    } catch (err) {
      if (!(err instanceof ImportError)) throw err;
      issues.push({ file, location: at, reason: 'the OpenAPI document is not JSON' });
      continue;
    }
    const result = importOpenApi(inner, file);
    const inside = (issue: ImportIssue): ImportIssue => ({ file, location: `${at} ${issue.location}`, reason: issue.reason });
    for (const issue of result.issues) issues.push(inside(issue));
    for (const warning of result.warnings ?? []) warnings.push(inside(warning));
    const names = projectedNames(value.Function_Projection);
    const name = typeof value.Name === 'string' && value.Name.trim() !== '' ? value.Name.trim() : undefined;
    const description = typeof value.Description === 'string' && value.Description.trim() !== '' ? value.Description.trim() : undefined;
    for (const tool of result.tools) {
      const projected = names.get(tool.id);
      if (projected !== undefined) tool.id = tool.name = projected;
      if (name !== undefined) tool.group = description === undefined ? { name } : { name, description };
      if (typeof value.Category === 'string' && value.Category.trim() !== '') tool.category = value.Category.trim();
      tool.origin = { format: 'toolalpaca', file, location: `${at} ${tool.origin?.location ?? ''}`.trimEnd() };
      tools.push(tool);
    }
  }
  return { tools, issues, warnings };
}

/** `{"airports_get": ["/airports", "get"]}` as a map from the importer's default id (`GET /airports`) to the name. */
function projectedNames(projection: unknown): Map<string, string> {
  const names = new Map<string, string>();
  if (!isRecord(projection)) return names;
  for (const [name, target] of Object.entries(projection)) {
    if (Array.isArray(target) && typeof target[0] === 'string' && typeof target[1] === 'string') names.set(`${target[1].toUpperCase()} ${target[0]}`, name);
  }
  return names;
}
