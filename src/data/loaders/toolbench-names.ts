/**
 * The function names a ToolBench agent sees. ToolBench shows each API to the model as `${api}_for_${tool}` after
 * standardising both names; its recorded trajectories carry only that name, so matching a trajectory back to a
 * catalog tool (id `${tool_name}&&${api_name}`) needs the same standardisation.
 */

/** Lowercase, characters other than letters/digits/`_`/Han to `_`, no repeated/leading/trailing `_`; a leading digit gets `get_`. */
export function standardizeToolBenchName(name: string): string {
  let out = name
    .replace(/[^\p{Script=Han}a-zA-Z0-9_]/gu, '_')
    .replace(/_+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
  if (/^[0-9]/.test(out)) out = 'get_' + out;
  return out;
}

/** ToolBench renames identifiers that are reserved words in the Python it generates. */
const RESERVED = new Set(['from', 'class', 'return', 'false', 'true', 'id', 'and']);

/** A standardised API or parameter name, with reserved words prefixed `is_`. */
export function toolBenchIdentifier(name: string): string {
  const standard = standardizeToolBenchName(name);
  return RESERVED.has(standard) ? 'is_' + standard : standard;
}

/** The function name of an API: at most 64 characters, keeping the end (the tool part). */
export function toolBenchFunctionName(toolName: string, apiName: string): string {
  return `${toolBenchIdentifier(apiName)}_for_${standardizeToolBenchName(toolName)}`.slice(-64);
}
