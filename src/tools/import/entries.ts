/**
 * What every importer shares: reading JSON or JSON-lines documents, and turning a failure to read one entry into an
 * issue that names the file, the entry's location and the reason, instead of an exception or a silent drop.
 */
import { readFileSync } from 'node:fs';
import { parseDocument as parseYaml } from 'yaml';
import { SchemaError } from '../schema.js';
import type { CatalogFormat, Tool } from '../types.js';
import { ToolkenError, errorWithCode } from '../../util/errors.js';
import { parseJsonLines } from '../../util/json-lines.js';

export interface ImportIssue {
  file: string;
  /** JSON pointer (`/tools/3/parameters`) or `line 12` (JSON lines, possibly followed by a pointer). */
  location: string;
  reason: string;
}

export interface ImportResult {
  tools: Tool[];
  issues: ImportIssue[];
  /** Tools that were imported but deserve a look (an endpoint on a private address, a header name HTTP forbids). */
  warnings?: ImportIssue[];
}

/** One parsed document: a whole-file JSON value, or the values of a JSON-lines file with their line numbers. */
export type ParsedDocument = { kind: 'json'; value: unknown } | { kind: 'jsonl'; lines: { line: number; value: unknown }[]; issues: ImportIssue[] };

/** An entry-level problem raised while building a tool; `pointer` is relative to the entry. */
export class EntryError extends ToolkenError {
  constructor(
    readonly pointer: string,
    readonly reason: string,
  ) {
    super('IMPORT_ENTRY_INVALID', `${pointer || '(entry)'}: ${reason}`);
  }
}

/** A file that cannot be imported at all (unreadable, not JSON, unknown format). */
export class ImportError extends errorWithCode('IMPORT_FAILED') {}

/**
 * Reads a tool file's text, with messages a user can act on for a missing file or a folder (instead of ENOENT and
 * EISDIR). `what` names the kind of file in the message; `failure` makes the error thrown (default InputFileError),
 * for a reader whose callers expect its own error class.
 */
export function readInputFile(path: string, what: string, failure: (message: string) => Error = (message) => new InputFileError(message)): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw failure(`${what} ${path} does not exist`);
    if (code === 'EISDIR') throw failure(`${what} ${path} is a folder; pass the files inside it`);
    if (code === 'EACCES') throw failure(`${what} ${path} cannot be read (permission denied)`);
    throw failure(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** A named input file that is missing, a folder, or unreadable. */
export class InputFileError extends errorWithCode('INPUT_FILE_INVALID') {}

/** YAML files (OpenAPI documents are usually YAML) parse as one document. */
const isYamlPath = (file: string): boolean => /\.ya?ml$/i.test(file);

/**
 * Parses a file as one JSON value, or failing that as JSON lines (BFCL's `.json` files are JSON lines); `.yaml` /
 * `.yml` files as YAML. A JSON-lines file whose every line fails is reported as not JSON at all, naming the first
 * line that failed.
 */
export function parseDocument(text: string, file: string): ParsedDocument {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (isYamlPath(file)) return { kind: 'json', value: parseYamlDocument(body, file) };
  try {
    return { kind: 'json', value: JSON.parse(body) };
  } catch {
    const lines: { line: number; value: unknown }[] = [];
    const issues: ImportIssue[] = [];
    for (const line of parseJsonLines(body)) {
      if (line.error === undefined) lines.push({ line: line.line, value: line.value });
      else issues.push({ file, location: `line ${line.line}`, reason: `not valid JSON: ${line.error}` });
    }
    if (lines.length === 0) {
      const first = issues[0] === undefined ? 'it is empty' : `${issues[0].location} is not JSON`;
      throw new ImportError(`${file} is not a tool file: neither JSON nor JSON lines (${first}); tool files are JSON, JSON lines, or YAML (.yaml) for OpenAPI`);
    }
    return { kind: 'jsonl', lines, issues };
  }
}

/** Most YAML alias expansions allowed (the `yaml` package's guard against alias "billion laughs"). */
const MAX_YAML_ALIASES = 1000;

function parseYamlDocument(text: string, file: string): unknown {
  const doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true, merge: false, schema: 'core', intAsBigInt: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const at = error.linePos?.[0];
    throw new ImportError(`${file} is not valid YAML${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}: ${error.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw new ImportError(`${file}: ${(err as Error).message}`);
  }
}

/** The entries of a document with their locations: array elements of a JSON file, or the lines of a JSON-lines file. */
export function documentEntries(doc: ParsedDocument, arrayPointer = ''): { location: string; value: unknown }[] {
  if (doc.kind === 'jsonl') return doc.lines.map(({ line, value }) => ({ location: `line ${line}`, value }));
  if (!Array.isArray(doc.value)) return [{ location: arrayPointer || '/', value: doc.value }];
  return doc.value.map((value, i) => ({ location: `${arrayPointer}/${i}`, value }));
}

/**
 * Builds tools from entries, converting each entry's SchemaError / EntryError into an issue at `location + pointer`.
 * Other exceptions are bugs and propagate.
 */
export function buildEach<E>(
  file: string,
  entries: readonly { location: string; value: E }[],
  build: (value: E, location: string, warn: EntryWarning) => Tool[],
  issues: ImportIssue[] = [],
): ImportResult {
  const tools: Tool[] = [];
  const warnings: ImportIssue[] = [];
  for (const { location, value } of entries) {
    const warn: EntryWarning = (pointer, reason) => warnings.push({ file, location: joinLocation(location, pointer), reason });
    try {
      for (const tool of build(value, location, warn)) tools.push(tool);
    } catch (err) {
      if (err instanceof SchemaError || err instanceof EntryError) {
        const at = joinLocation(location, err.pointer);
        issues.push({ file, location: at, reason: err.reason });
      } else throw err;
    }
  }
  return { tools, issues, warnings };
}

/** Reports something to check about an entry that was imported; `pointer` is relative to the entry. */
export type EntryWarning = (pointer: string, reason: string) => void;

/** An entry's location followed by a pointer inside it: `/3` + `/parameters` = `/3/parameters`; `/` is the root. */
export function joinLocation(location: string, pointer: string): string {
  if (pointer === '') return location;
  if (location === '/' || location === '') return pointer;
  // `line 3` + `/x` = `line 3 /x`; `line 3 /function/1` + `/x` = `line 3 /function/1/x` (one pointer per line).
  return location.startsWith('line') && !location.includes(' /') ? `${location} ${pointer}` : `${location}${pointer}`;
}

/** Runs `read` on a part of an entry, so that its errors point from the entry: `/function` + `/parameters/type`. */
export function within<T>(prefix: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof SchemaError) throw new SchemaError(prefix + err.pointer, err.reason);
    if (err instanceof EntryError) throw new EntryError(prefix + err.pointer, err.reason);
    throw err;
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads a string field, optional or required; wrong types raise an EntryError naming the field. */
export function stringField(entry: Record<string, unknown>, key: string, pointer: string, required: true): string;
export function stringField(entry: Record<string, unknown>, key: string, pointer: string, required: false): string | undefined;
export function stringField(entry: Record<string, unknown>, key: string, pointer: string, required: boolean): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null) {
    if (required) throw new EntryError(`${pointer}/${key}`, `missing "${key}"`);
    return undefined;
  }
  if (typeof value !== 'string') throw new EntryError(`${pointer}/${key}`, `"${key}" must be a string, got ${typeof value}`);
  if (required && value.trim() === '') throw new EntryError(`${pointer}/${key}`, `"${key}" is empty`);
  return value;
}

export const origin = (format: CatalogFormat, file: string, location: string): Tool['origin'] => ({ format, file, location });
