/** Reading the files loaders consume, with errors that name the file (and line, for JSON lines). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importFile, type ImportFormat } from '../../tools/import/index.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import { errorWithCode } from '../../util/errors.js';
import { parseJsonLines } from '../../util/json-lines.js';

export class DataFileError extends errorWithCode('DATA_FILE_INVALID') {}

/** `../shared/datasets` beside the repository: third-party benchmark data, read-only, possibly absent. */
export function sharedDatasetsDir(): string {
  return fileURLToPath(new URL('../../../../shared/datasets', import.meta.url));
}

export function readText(path: string): string {
  if (!existsSync(path)) throw new DataFileError(`${path}: file not found`);
  if (statSync(path).isDirectory()) throw new DataFileError(`${path} is a folder; pass the file inside it`);
  return readFileSync(path, 'utf8');
}

export function readJson(path: string): JsonValue {
  const text = readText(path);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new DataFileError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** One JSON value per non-blank line; returns each with its 1-based line number. */
export function readJsonLines(path: string): { value: JsonValue; line: number }[] {
  return parseJsonLines(readText(path)).map((line) => {
    if (line.error !== undefined) throw new DataFileError(`${path}:${line.line}: not valid JSON (${line.error})`);
    return { value: line.value as JsonValue, line: line.line };
  });
}

export type JsonObject = { [key: string]: JsonValue };

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field access for untrusted records: `where` names the file and record for the error message. */
export function requireString(record: JsonObject, key: string, where: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new DataFileError(`${where}: field '${key}' must be a string, got ${describe(value)}`);
  return value;
}

export function requireArray(record: JsonObject, key: string, where: string): JsonValue[] {
  const value = record[key];
  if (!Array.isArray(value)) throw new DataFileError(`${where}: field '${key}' must be an array, got ${describe(value)}`);
  return value;
}

export function requireObject(value: JsonValue | undefined, where: string): JsonObject {
  if (!isObject(value)) throw new DataFileError(`${where}: expected an object, got ${describe(value)}`);
  return value;
}

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** Reads a tool file with the tools module's importer; any entry it cannot read is an error naming file and entry. */
export function importTools(path: string, format: ImportFormat): Tool[] {
  if (!existsSync(path)) throw new DataFileError(`${path}: file not found`);
  const { result } = importFile(path, format);
  if (result.issues.length > 0) {
    const first = result.issues[0]!;
    throw new DataFileError(`${path}: ${result.issues.length} tool entries cannot be read; the first, at ${first.location}: ${first.reason}`);
  }
  return result.tools;
}
