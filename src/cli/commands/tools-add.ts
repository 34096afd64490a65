import { addTools, type NewToolRows } from '../../methods/toolgen/add-tools.js';
import { CATALOG_FILE, saveToolGenModel } from '../../methods/toolgen/model.js';
import { prepareToolGenModel } from '../../methods/toolgen/stages.js';
import { CliError, commandFlags } from '../args.js';
import { modelCatalogPath, readCatalogFlag, readToolGenModelFlag, requireNewFolder } from './toolgen-inputs.js';

export const ADD_SUMMARY =
  'Add tools to a trained ToolGen model without retraining: new tool tokens whose output rows are read from the model\'s ' +
  'encoding of each tool\'s document (or the name-mean initialisation), written as a new model directory';

export const addFlags = {
  model: { kind: 'string', required: true, help: 'a trained ToolGen model directory (with tool-index.json)' },
  catalog: { kind: 'string', required: true, help: 'catalog.json of the tools to add (toolken tools import writes one)' },
  out: { kind: 'string', required: true, help: 'the new model directory (must not exist or be empty)' },
  rows: { kind: 'string', choices: ['document-state', 'name-mean'], default: 'document-state', help: 'how new tool tokens\' output rows are set' },
  known: { kind: 'string', help: `catalog of the tools the model already knows (default: the model directory's ${CATALOG_FILE})` },
} as const;

export async function runAdd(argv: readonly string[]): Promise<number> {
  const f = commandFlags(argv, 'tools add', ADD_SUMMARY + '.', addFlags);
  if (f === null) return 0;
  requireNewFolder(f.out);
  const knownPath = modelCatalogPath(f.model, f.known, '--known');
  const catalog = readCatalogFlag(knownPath);
  const added = readCatalogFlag(f.catalog);
  const loaded = await readToolGenModelFlag(f.model);
  const knownIds = new Set(loaded.index.toolIds());
  // The tools of the catalog that the model's index holds: the ones it was trained on.
  const known = catalog.filter((t) => knownIds.has(t.id));
  const already = added.filter((t) => knownIds.has(t.id));
  if (already.length > 0) throw new CliError(`--catalog ${f.catalog}: ${already.length} tools are already in the model's index (first: '${already[0]!.id}')`);
  let grown;
  try {
    const tg = await prepareToolGenModel(loaded.model, loaded.tokenizer, known, loaded.index.scheme, loaded.index);
    grown = await addTools(tg, added, { rows: f.rows as NewToolRows, known });
  } catch (err) {
    throw new CliError(`tools add: ${(err as Error).message}`);
  }
  saveToolGenModel(grown, f.out, [...known, ...added]);
  process.stdout.write(`${f.out}: ${grown.index.size} tools (${added.length} added, ${f.rows} rows)\n`);
  return 0;
}

