/**
 * Record-per-tool datasets whose entries are not function schemas:
 * - Seal-Tools `tool.jsonl`: `api_name`, `api_description`, `field` (`Domain/Subdomain`), `parameters` as a map of
 *   name to `{type, description}`, `required`, `responses`; id = `api_name`, category = the domain (the keys of
 *   `field.jsonl`);
 * - MetaTool: `plugin_des.json` / `big_tool_des.json` (tool name to description) or `plugin_info.json` (plugin
 *   manifests with `name_for_model` / `description_for_model`); id = the name used in the dataset's tool column;
 * - BEIR-style `corpus.jsonl` (`_id`, `title`, `text`), used by retrieval corpora of tool documents; id = `_id`.
 */
import { escapePointer } from '../pointer.js';
import { emptyParameters, normalizeParameters, normalizeSchema } from '../schema.js';
import type { Tool } from '../types.js';
import { buildEach, documentEntries, EntryError, isRecord, origin, stringField, type ImportResult, type ParsedDocument } from './entries.js';

/** Seal-Tools writes properties without the object wrapper; this puts the wrapper back so one normalizer reads it. */
function propertiesAsSchema(properties: unknown, required: unknown): Record<string, unknown> {
  return { type: 'object', properties: properties ?? {}, ...(required === undefined ? {} : { required }) };
}

export function importSealTools(doc: ParsedDocument, file: string): ImportResult {
  return buildEach(file, documentEntries(doc), (value, location) => {
    if (!isRecord(value)) throw new EntryError('', 'expected a tool object');
    const name = stringField(value, 'api_name', '', true);
    const tool: Tool = {
      id: name,
      name,
      description: (stringField(value, 'api_description', '', false) ?? '').trim(),
      parameters: normalizeParameters(propertiesAsSchema(value.parameters, value.required), ''),
    };
    if (value.responses !== undefined) {
      if (!isRecord(value.responses)) throw new EntryError('/responses', '"responses" must be an object');
      tool.returns = normalizeSchema(propertiesAsSchema(value.responses, undefined), '/responses');
    }
    const field = stringField(value, 'field', '', false);
    if (field !== undefined && field.trim() !== '') tool.category = field.split('/')[0]!.trim();
    tool.origin = origin('seal-tools', file, location);
    return [tool];
  });
}

export function importMetaTool(doc: ParsedDocument, file: string): ImportResult {
  if (doc.kind === 'json' && isRecord(doc.value)) {
    // Name-to-description map.
    const entries = Object.entries(doc.value).map(([name, description]) => ({ location: `/${escapePointer(name)}`, value: { name, description } }));
    return buildEach(file, entries, ({ name, description }, location) => {
      if (typeof description !== 'string') throw new EntryError('', `description of '${name}' must be a string, got ${typeof description}`);
      if (name.trim() === '') throw new EntryError('', 'empty tool name');
      return [{ id: name, name, description: description.trim(), parameters: emptyParameters(), origin: origin('metatool', file, location) }];
    });
  }
  return buildEach(file, documentEntries(doc), (value, location) => {
    if (!isRecord(value)) throw new EntryError('', 'expected a plugin manifest object');
    const name = stringField(value, 'name_for_model', '', true);
    const description = stringField(value, 'description_for_model', '', false) ?? stringField(value, 'description_for_human', '', false) ?? '';
    const tool: Tool = { id: name, name, description: description.trim(), parameters: emptyParameters() };
    const human = stringField(value, 'name_for_human', '', false);
    const humanDescription = stringField(value, 'description_for_human', '', false);
    // The human-facing name and blurb describe the plugin as a whole, like a ToolBench tool describes its APIs.
    if (human !== undefined && human.trim() !== '') tool.group = humanDescription ? { name: human, description: humanDescription.trim() } : { name: human };
    tool.origin = origin('metatool', file, location);
    return [tool];
  });
}

export function importBeir(doc: ParsedDocument, file: string): ImportResult {
  return buildEach(file, documentEntries(doc), (value, location) => {
    if (!isRecord(value)) throw new EntryError('', 'expected a corpus record');
    const rawId = value._id ?? value.id;
    if ((typeof rawId !== 'string' && typeof rawId !== 'number') || String(rawId).trim() === '') {
      throw new EntryError('/_id', 'missing "_id" (a non-empty string or number)');
    }
    const id = String(rawId);
    const title = (stringField(value, 'title', '', false) ?? '').trim();
    const text = (stringField(value, 'text', '', false) ?? '').trim();
    if (title === '' && text === '') throw new EntryError('', `record '${id}' has neither "title" nor "text"`);
    return [{ id, name: title || id, description: text, parameters: emptyParameters(), origin: origin('beir', file, location) }];
  });
}

