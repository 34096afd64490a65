/**
 * `toolken tools import`: reads tool files of any supported format into one catalog. Each file's format is detected
 * from its shape unless given; entries that cannot be read are reported with file, location and reason, and either
 * skipped or make the whole import fail; tools with the same id are merged (identical definitions) or reported as
 * conflicts (the first definition is kept).
 */
import type { CatalogFormat, Tool, ToolCatalog } from '../types.js';
import { jsonEqual } from '../validate.js';
import { ImportError, isRecord, parseDocument, readInputFile, type ImportIssue, type ImportResult, type ParsedDocument } from './entries.js';
import { importBfcl, importMcp, importOpenAI } from './functions.js';
import { importOpenApi } from './openapi.js';
import { importBeir, importMetaTool, importSealTools } from './records.js';
import { importToolAlpaca } from './toolalpaca.js';
import { importToolbench } from './toolbench.js';

export type ImportFormat = Exclude<CatalogFormat, 'toolken'>;
export const IMPORT_FORMATS: readonly ImportFormat[] = ['toolbench', 'openai', 'bfcl', 'seal-tools', 'metatool', 'beir', 'mcp', 'openapi', 'toolalpaca'];

const IMPORTERS: Record<ImportFormat, (doc: ParsedDocument, file: string) => ImportResult> = {
  toolbench: importToolbench,
  openai: importOpenAI,
  bfcl: importBfcl,
  'seal-tools': importSealTools,
  metatool: importMetaTool,
  beir: importBeir,
  mcp: importMcp,
  openapi: importOpenApi,
  toolalpaca: importToolAlpaca,
};

/** Recognizes a document's format from its first entry's shape; undefined when nothing matches. */
export function detectFormat(doc: ParsedDocument): ImportFormat | undefined {
  if (doc.kind === 'jsonl') return detectRecord(doc.lines[0]?.value, true);
  const value = doc.value;
  if (Array.isArray(value)) return detectRecord(value[0], false);
  if (!isRecord(value)) return undefined;
  if (typeof value.openapi === 'string') return 'openapi';
  if (isRecord(value.result) && Array.isArray(value.result.tools)) return 'mcp';
  if (Array.isArray(value.tools)) {
    const first = value.tools[0];
    return isRecord(first) && first.inputSchema !== undefined ? 'mcp' : 'openai';
  }
  if (Array.isArray(value.functions)) return 'openai';
  if (Array.isArray(value.api_list)) return 'toolbench';
  const values = Object.values(value);
  if (values.length > 0 && values.every((v) => typeof v === 'string')) return 'metatool';
  return detectRecord(value, false);
}

function detectRecord(entry: unknown, jsonLines: boolean): ImportFormat | undefined {
  if (!isRecord(entry)) return undefined;
  if (Array.isArray(entry.api_list)) return 'toolbench';
  if (typeof entry.Documentation === 'string' && typeof entry.Name === 'string') return 'toolalpaca';
  if (Array.isArray(entry.function)) return 'bfcl';
  if (entry.type === 'function' && isRecord(entry.function)) return 'openai';
  if (typeof entry.api_name === 'string' && entry.api_description !== undefined) return 'seal-tools';
  if (typeof entry.name_for_model === 'string') return 'metatool';
  if (entry._id !== undefined) return 'beir';
  if (typeof entry.name === 'string' && entry.inputSchema !== undefined) return 'mcp';
  if (typeof entry.name === 'string' && isRecord(entry.parameters)) {
    // BFCL's docs say `dict`; in a JSON-lines file, bare functions are BFCL's multi-turn docs either way.
    return entry.parameters.type === 'dict' || jsonLines ? 'bfcl' : 'openai';
  }
  return undefined;
}

export interface ImportOptions {
  /** `auto` (default) detects each file's format. */
  format?: ImportFormat | 'auto';
  /** `skip` (default) leaves invalid entries out and reports them; `reject` fails the import if there are any. */
  onInvalid?: 'skip' | 'reject';
}

export interface FileReport {
  file: string;
  format: ImportFormat;
  /** Tools read from the file, before merging duplicates. */
  tools: number;
  invalid: number;
}

export interface ImportReport {
  catalog: ToolCatalog;
  files: FileReport[];
  /** Entries that could not be read (skipped). */
  invalid: ImportIssue[];
  /** Tools imported with something to check (see ImportResult.warnings). */
  warnings: ImportIssue[];
  /** Same id and identical definition as an earlier tool: merged into it. */
  duplicates: number;
  /** Same id, different definition: reported, the first definition kept. */
  conflicts: ImportIssue[];
}

/** Reads one file in the given (or detected) format. Throws ImportError when the file as a whole is unusable. */
export function importFile(path: string, format: ImportFormat | 'auto' = 'auto'): { format: ImportFormat; result: ImportResult } {
  return importText(readInputFile(path, 'tool file', (message) => new ImportError(message)), path, format);
}

/** Imports a tool file's text; `path` names it in messages and picks YAML by its extension. */
export function importText(text: string, path: string, format: ImportFormat | 'auto' = 'auto'): { format: ImportFormat; result: ImportResult } {
  const doc = parseDocument(text, path);
  const chosen = format === 'auto' ? detectFormat(doc) : format;
  if (chosen === undefined) {
    throw new ImportError(`${path}: cannot tell the tool format from its contents; pass --format (one of ${IMPORT_FORMATS.join(', ')})`);
  }
  const result = IMPORTERS[chosen](doc, path);
  // Loops, not spreads: a spread of more than ~120k elements overflows the call stack.
  if (doc.kind === 'jsonl') result.issues = doc.issues.concat(result.issues);
  return { format: chosen, result };
}

/** Imports files into one catalog, merging by id. With `onInvalid: 'reject'` any invalid entry throws ImportError. */
export function importToolFiles(paths: readonly string[], options: ImportOptions = {}): ImportReport {
  if (paths.length === 0) throw new ImportError('no input files given');
  const files: FileReport[] = [];
  const invalid: ImportIssue[] = [];
  const warnings: ImportIssue[] = [];
  const all: Tool[] = [];
  for (const path of paths) {
    const { format, result } = importFile(path, options.format ?? 'auto');
    files.push({ file: path, format, tools: result.tools.length, invalid: result.issues.length });
    for (const issue of result.issues) invalid.push(issue);
    for (const warning of result.warnings ?? []) warnings.push(warning);
    for (const tool of result.tools) all.push(tool);
  }
  if (options.onInvalid === 'reject' && invalid.length > 0) {
    const shown = invalid.slice(0, 20).map((i) => `  ${i.file} ${i.location}: ${i.reason}`);
    const more = invalid.length > shown.length ? [`  ... and ${invalid.length - shown.length} more`] : [];
    throw new ImportError([`${invalid.length} invalid tool entries (--on-invalid reject):`, ...shown, ...more].join('\n'));
  }
  const { tools, duplicates, conflicts } = mergeTools(all);
  if (tools.length === 0) throw new ImportError(noToolsMessage(files, invalid, options.format ?? 'auto'));
  return { catalog: { version: 1, tools }, files, invalid, warnings, duplicates, conflicts };
}

/** Why an import produced nothing: every entry invalid (the first reasons), or no entries of the format at all. */
function noToolsMessage(files: readonly FileReport[], invalid: readonly ImportIssue[], format: ImportFormat | 'auto'): string {
  const read = files.map((f) => `${f.file} (${f.format})`).join(', ');
  if (invalid.length > 0) {
    const shown = invalid.slice(0, 5).map((i) => `  ${i.file} ${i.location}: ${i.reason}`);
    const hint = format === 'auto' ? '' : ` (is --format ${format} right for these files?)`;
    return [`no tools imported from ${read}: all ${invalid.length} entries are invalid${hint}, for example:`, ...shown].join('\n');
  }
  return `no tools imported from ${read}: the files hold no tool entries`;
}

/**
 * Merges tools by id, keeping first-seen order. Definitions are compared without their origin: the same API listed
 * by many queries (ToolBench) is one tool, while two different definitions under one id are a conflict to report.
 */
export function mergeTools(tools: readonly Tool[]): { tools: Tool[]; duplicates: number; conflicts: ImportIssue[] } {
  const byId = new Map<string, Tool>();
  let duplicates = 0;
  const conflicts: ImportIssue[] = [];
  for (const tool of tools) {
    const first = byId.get(tool.id);
    if (first === undefined) {
      byId.set(tool.id, tool);
      continue;
    }
    if (jsonEqual(withoutOrigin(first), withoutOrigin(tool))) duplicates++;
    else {
      const kept = first.origin === undefined ? 'the first definition' : `${first.origin.file} ${first.origin.location}`;
      conflicts.push({
        file: tool.origin?.file ?? '(unknown)',
        location: tool.origin?.location ?? '',
        reason: `id '${tool.id}' is already defined differently (${differingFields(first, tool).join(', ')}); kept ${kept}`,
      });
    }
  }
  return { tools: [...byId.values()], duplicates, conflicts };
}

function withoutOrigin(tool: Tool): Omit<Tool, 'origin'> {
  const { origin: _origin, ...rest } = tool;
  return rest;
}

function differingFields(a: Tool, b: Tool): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => k !== 'origin'));
  return [...keys].filter((k) => !jsonEqual((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k]));
}

export { ImportError, type ImportIssue, type ImportResult } from './entries.js';
