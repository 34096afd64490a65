/**
 * The inputs the ToolGen commands (`train`, `retrieve`, `eval retrieval`) share — a model directory, a catalog, a
 * queries file — read once at the edge, with every failure turned into a one-line CliError naming the input.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataFileError } from '../../data/loaders/files.js';
import { loadQueriesFile } from '../../data/loaders/user.js';
import type { RetrievalQuery } from '../../data/types.js';
import { ToolIndex } from '../../indexing/tool-index.js';
import { ModelConfigError } from '../../models/config.js';
import { WeightMismatchError, type WeightLoading } from '../../models/decoder.js';
import { CheckpointError } from '../../formats/errors.js';
import { HubError } from '../../formats/hub.js';
import { modelInsideHint } from '../../formats/model-dir-hint.js';
import { loadModel, loadModelSpec, ModelLoadError, type LoadedModel, type ModelSpec } from '../../models/load.js';
import { CatalogError, loadCatalog } from '../../tools/catalog.js';
import type { Tool } from '../../tools/types.js';
import { CATALOG_FILE, loadToolIndex } from '../../methods/toolgen/model.js';
import { CliError } from '../args.js';
import { fileSystemMessage } from '../file-errors.js';
import { modelLoadProgress } from '../load-progress.js';

/** Runs `fn`, turning the error kinds a user causes into a CliError prefixed by `what`. */
export function userInput<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asCliError(what, err);
  }
}

/** `userInput` for asynchronous work (training that can be interrupted). */
export async function userInputAsync<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asCliError(what, err);
  }
}

/** A library error about the user's input as a one-line CLI error; other errors unchanged. */
function asCliError(what: string, err: unknown): unknown {
  if (err instanceof CliError) return err;
  const kinds = [CatalogError, DataFileError, ModelLoadError, ModelConfigError, CheckpointError, HubError, WeightMismatchError];
  if (kinds.some((kind) => err instanceof kind)) return new CliError((err as Error).message);
  if (err instanceof Error) return new CliError(`${what}: ${fileSystemMessage(err) ?? err.message}`);
  return err;
}

/**
 * The catalog a command on a ToolGen model reads: `flag` when given, else the one saved with the model
 * (<model>/catalog.json, as the demo and the training stages save it). Checked before any model loads.
 */
export function modelCatalogPath(model: string, given: string | undefined, flag = '--catalog'): string {
  if (given !== undefined) return given;
  if (!existsSync(model)) throw new CliError(`--model ${model}: no such directory`);
  const saved = join(model, CATALOG_FILE);
  if (!existsSync(saved)) throw new CliError(`--model ${model} has no catalog saved with it (${saved}); pass ${flag} <catalog.json>${modelInsideHint(model, CATALOG_FILE)}`);
  return saved;
}

export function readCatalogFlag(path: string): Tool[] {
  const tools = userInput(`--catalog ${path}`, () => loadCatalog(path).tools);
  if (tools.length === 0) throw new CliError(`--catalog ${path}: the catalog has no tools`);
  return tools;
}

export function readQueriesFlag(flag: string, path: string, tools: readonly Tool[]): RetrievalQuery[] {
  const queries = userInput(`${flag} ${path}`, () => loadQueriesFile(path, tools));
  if (queries.length === 0) throw new CliError(`${flag} ${path}: no queries in the file`);
  return queries;
}

export function readModelFlag(pathOrId: string, flag = '--model', loading: WeightLoading = {}): Promise<LoadedModel> {
  return modelFlag(pathOrId, flag, () => loadModel(pathOrId, { onProgress: modelLoadProgress(), ...loading }));
}

/** The config and tokenizer of `--model`, without its weights (for a model that a worker loads). */
export function readModelSpecFlag(pathOrId: string, flag = '--model'): Promise<ModelSpec> {
  return modelFlag(pathOrId, flag, () => loadModelSpec(pathOrId));
}

async function modelFlag<T>(pathOrId: string, flag: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const kinds = [ModelLoadError, ModelConfigError, CheckpointError, HubError, WeightMismatchError];
    if (kinds.some((kind) => err instanceof kind)) throw new CliError(`${flag} ${pathOrId}: ${(err as Error).message}`);
    throw err;
  }
}

/** The tool index saved beside a local model directory, if any. */
export function readSavedIndex(modelPath: string, flag = '--model'): ToolIndex | undefined {
  if (!existsSync(modelPath) || !statSync(modelPath).isDirectory()) return undefined;
  return userInput(`${flag} ${modelPath}`, () => loadToolIndex(modelPath));
}

/** A ToolGen model directory: the model, its tokenizer and its tool index, which must exist. */
export async function readToolGenModelFlag(modelPath: string): Promise<LoadedModel & { index: ToolIndex }> {
  if (!existsSync(modelPath)) throw new CliError(`--model ${modelPath}: no such directory`);
  const index = readSavedIndex(modelPath);
  if (index === undefined) throw new CliError(`--model ${modelPath}: no tool-index.json, so it is not a trained ToolGen model${modelInsideHint(modelPath, 'tool-index.json') || '; train one with `toolken train`'}`);
  const loaded = await readModelFlag(modelPath);
  return { ...loaded, index };
}


/** A folder a command creates: it must not exist yet, or be empty, so nothing of the user's is overwritten. */
export function requireNewFolder(path: string, flag = '--out'): void {
  if (existsSync(path) && (!statSync(path).isDirectory() || readdirSync(path).length > 0)) {
    throw new CliError(`${flag} ${path} already exists and is not an empty folder; choose a new path`);
  }
}
