/** `toolken tools import|stats`: build a tool catalog from tool files, and summarize one. */
import { CliError, helpText, parseFlags, subcommand, wantsHelp, type CliCommand, type FlagSpecs } from '../args.js';
import { readFileSync } from 'node:fs';
import { CatalogError, catalogStats, loadCatalog, saveCatalog } from '../../tools/catalog.js';
import { parseDocument } from '../../tools/import/entries.js';
import { detectFormat, IMPORT_FORMATS, ImportError, importToolFiles, type ImportFormat, type ImportIssue } from '../../tools/import/index.js';
import { ADD_SUMMARY, addFlags, runAdd } from './tools-add.js';

const importFlags = {
  out: { kind: 'string', help: 'catalog file to write', required: true },
  format: { kind: 'string', help: 'input format', default: 'auto', choices: ['auto', ...IMPORT_FORMATS] },
  onInvalid: { kind: 'string', help: 'invalid entries: skip them (reported) or fail the import', default: 'skip', choices: ['skip', 'reject'] },
  maxReported: { kind: 'int', help: 'issues printed per kind (all are counted)', default: 20 },
} as const satisfies FlagSpecs;

const statsFlags = {
  json: { kind: 'boolean', help: 'print the statistics as JSON' },
} as const satisfies FlagSpecs;

const SUMMARY = 'import tool definitions into a catalog (import), or summarize a catalog (stats)';
const IMPORT_SUMMARY = 'Import tool files (format detected per file; OpenAPI may be YAML) into one catalog, merging duplicates by id.';
const STATS_SUMMARY = 'Summarize a tool catalog.';

function printIssues(title: string, issues: readonly ImportIssue[], max: number): void {
  if (issues.length === 0) return;
  process.stderr.write(`${title}: ${issues.length}\n`);
  for (const issue of issues.slice(0, max)) process.stderr.write(`  ${issue.file} ${issue.location}: ${issue.reason}\n`);
  if (issues.length > max) process.stderr.write(`  ... and ${issues.length - max} more\n`);
}

async function runImport(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText('tools import', IMPORT_SUMMARY, importFlags, '<file...>') + '\n');
    return 0;
  }
  const flags = parseFlags(argv, importFlags);
  if (flags._.length === 0) throw new CliError('tools import needs at least one input file');
  let report;
  try {
    report = importToolFiles(flags._, { format: flags.format as ImportFormat | 'auto', onInvalid: flags.onInvalid as 'skip' | 'reject' });
  } catch (err) {
    if (err instanceof ImportError) throw new CliError(err.message);
    throw err;
  }
  for (const file of report.files) process.stderr.write(`${file.file}: ${file.format}, ${file.tools} tools, ${file.invalid} invalid\n`);
  printIssues('invalid entries skipped', report.invalid, flags.maxReported);
  printIssues('warnings', report.warnings, flags.maxReported);
  printIssues('conflicting definitions (first kept)', report.conflicts, flags.maxReported);
  saveCatalog(flags.out, report.catalog);
  process.stdout.write(`wrote ${report.catalog.tools.length} tools to ${flags.out} (${report.duplicates} duplicates merged, ${report.conflicts.length} conflicts, ${report.invalid.length} invalid skipped)\n`);
  return 0;
}

async function runStats(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText('tools stats', STATS_SUMMARY, statsFlags, '<catalog.json>') + '\n');
    return 0;
  }
  const flags = parseFlags(argv, statsFlags);
  if (flags._.length !== 1) throw new CliError(`tools stats takes exactly one catalog file, got ${flags._.length}`);
  let stats;
  try {
    stats = catalogStats(loadCatalog(flags._[0]!));
  } catch (err) {
    if (err instanceof CatalogError) throw new CliError(notACatalogHint(flags._[0]!) ?? err.message);
    throw err;
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    return 0;
  }
  const topCategories = Object.entries(stats.byCategory)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 10);
  const lines = [
    `tools:        ${stats.tools}`,
    `groups:       ${stats.groups}`,
    `categories:   ${stats.categories}${topCategories.length > 0 ? ` (top: ${topCategories.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}`,
    `formats:      ${Object.entries(stats.byFormat).map(([f, n]) => `${f} ${n}`).join(', ') || '-'}`,
    `parameters:   ${stats.parameters.total} (${stats.parameters.required} required, max ${stats.parameters.maxPerTool} per tool, ${stats.parameters.withoutParameters} tools without)`,
    `endpoints:    ${stats.withEndpoint}`,
    `returns:      ${stats.withReturns}`,
    `descriptions: mean ${stats.descriptionChars.mean} chars, ${stats.descriptionChars.empty} empty`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** When a file that is not a catalog is a tool file of a known format, says so and how to import it. */
function notACatalogHint(path: string): string | undefined {
  let format: ImportFormat | undefined;
  try {
    format = detectFormat(parseDocument(readFileSync(path, 'utf8'), path));
  } catch {
    return undefined;
  }
  if (format === undefined) return undefined;
  return `${path} is not a toolken catalog: this is ${format === 'bfcl' ? 'a BFCL' : /^[aeiou]/.test(format) ? `an ${format}` : `a ${format}`} file; import it first: toolken tools import ${path} --out catalog.json`;
}

const SUBCOMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = { import: runImport, stats: runStats, add: runAdd };

export const command: CliCommand = {
  summary: SUMMARY,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      const help = ['usage: toolken tools <import|stats|add> [options]', '', SUMMARY, '', helpText('tools import', IMPORT_SUMMARY, importFlags, '<file...>'), '', helpText('tools stats', STATS_SUMMARY, statsFlags, '<catalog.json>'), '', helpText('tools add', ADD_SUMMARY + '.', addFlags)];
      process.stdout.write(help.join('\n') + '\n');
      return sub === undefined ? 2 : 0;
    }
    return subcommand(SUBCOMMANDS, sub, 'sub-command')(rest);
  },
};
