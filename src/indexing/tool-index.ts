import { readFileSync } from 'node:fs';
import type { Tool } from '../tools/types.js';
import { writeJsonAtomic } from '../util/fs.js';
import { INDEX_SCHEMES, indexTexts, type HierarchicalOptions, type IndexScheme } from './schemes.js';
import type { TokenVocabulary } from './vocabulary.js';

/** The token ids that spell one tool. */
export interface TokenSequence {
  readonly toolId: string;
  readonly tokens: readonly number[];
}

/** A token to add to the vocabulary for the atomic scheme, with the text whose sub-token embeddings initialise it
 * (ToolGen initialises each new tool token with the mean embedding of its name's sub-tokens). */
export interface NewToolToken {
  readonly toolId: string;
  readonly token: string;
  readonly initText: string;
}

interface IndexEntry {
  readonly id: string;
  readonly text: string;
  /** The tool's name; kept for the atomic scheme's embedding initialisation. */
  readonly name: string;
}

export const TOOL_INDEX_FORMAT = 'toolken-tool-index';
export const TOOL_INDEX_VERSION = 1;

/** The saved form of a ToolIndex. */
export interface ToolIndexFile {
  readonly format: typeof TOOL_INDEX_FORMAT;
  readonly version: typeof TOOL_INDEX_VERSION;
  readonly scheme: IndexScheme;
  readonly entries: readonly IndexEntry[];
}

/** A bijection between tool ids and their index strings under one scheme. */
export class ToolIndex {
  private readonly byId = new Map<string, IndexEntry>();
  private readonly byText = new Map<string, string>();

  private constructor(
    readonly scheme: IndexScheme,
    private readonly entries: readonly IndexEntry[],
    source: string,
  ) {
    for (const entry of entries) {
      if (this.byId.has(entry.id)) throw new Error(`${source}: tool id '${entry.id}' appears twice`);
      const other = this.byText.get(entry.text);
      if (other !== undefined) throw new Error(`${source}: tools '${other}' and '${entry.id}' share the index '${entry.text}'`);
      this.byId.set(entry.id, entry);
      this.byText.set(entry.text, entry.id);
    }
  }

  /** Indexes a catalog. Hierarchical indexing embeds tool documents (see HierarchicalOptions). */
  static async build(tools: readonly Tool[], scheme: IndexScheme, options: HierarchicalOptions = {}): Promise<ToolIndex> {
    const seen = new Set<string>();
    for (const tool of tools) {
      if (seen.has(tool.id)) throw new Error(`tool index: tool id '${tool.id}' appears twice in the catalog`);
      seen.add(tool.id);
    }
    const texts = await indexTexts(tools, scheme, options);
    return new ToolIndex(
      scheme,
      tools.map((tool, i) => ({ id: tool.id, text: texts[i]!, name: tool.name })),
      `${scheme} tool index`,
    );
  }

  /**
   * This index plus `tools`, leaving every indexed tool's string as it is (a trained model knows them). Atomic
   * and semantic strings of a tool do not depend on the rest of the catalog; numeric and hierarchical codes do, so
   * those indexes cannot grow without re-indexing and retraining.
   */
  async extend(tools: readonly Tool[]): Promise<ToolIndex> {
    if (this.scheme === 'numeric' || this.scheme === 'hierarchical') {
      throw new Error(`a ${this.scheme} tool index cannot take new tools (its codes depend on the whole catalog); index and train again with the full catalog`);
    }
    const added = new Set<string>();
    for (const tool of tools) {
      if (this.byId.has(tool.id)) throw new Error(`tool '${tool.id}' is already in the index`);
      if (added.has(tool.id)) throw new Error(`tool '${tool.id}' appears twice among the new tools`);
      added.add(tool.id);
    }
    const texts = await indexTexts(tools, this.scheme);
    const entries = tools.map((tool, i) => ({ id: tool.id, text: texts[i]!, name: tool.name }));
    return new ToolIndex(this.scheme, [...this.entries, ...entries], `${this.scheme} tool index extended by ${tools.length} tools`);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Tool ids in catalog order. */
  toolIds(): string[] {
    return this.entries.map((e) => e.id);
  }

  toolToText(toolId: string): string {
    const entry = this.byId.get(toolId);
    if (entry === undefined) throw new Error(`tool index (${this.scheme}): unknown tool id '${toolId}'`);
    return entry.text;
  }

  /** The tool an index string names, or undefined when it names none. */
  textToTool(text: string): string | undefined {
    return this.byText.get(text);
  }

  /**
   * Token sequences of the given tools (default: all) in `vocabulary`, for the decoding trie. Under the atomic
   * scheme each tool must already be one token of the vocabulary (add `newTokens()` to the tokenizer first).
   */
  sequences(vocabulary: Pick<TokenVocabulary, 'encode'>, toolIds: readonly string[] = this.toolIds()): TokenSequence[] {
    return toolIds.map((toolId) => {
      const text = this.toolToText(toolId);
      const tokens = vocabulary.encode(text);
      if (this.scheme === 'atomic' && tokens.length !== 1) {
        throw new Error(
          `atomic tool token '${text}' encodes to ${tokens.length} tokens in this vocabulary; add index.newTokens() to the tokenizer first`,
        );
      }
      if (tokens.length === 0) throw new Error(`tool index (${this.scheme}): '${text}' (tool '${toolId}') encodes to no tokens`);
      return { toolId, tokens };
    });
  }

  /** The tokens the atomic scheme adds to the vocabulary, in catalog order; empty for the other schemes. */
  newTokens(): NewToolToken[] {
    if (this.scheme !== 'atomic') return [];
    return this.entries.map((e) => ({ toolId: e.id, token: e.text, initText: e.name }));
  }

  toJSON(): ToolIndexFile {
    return { format: TOOL_INDEX_FORMAT, version: TOOL_INDEX_VERSION, scheme: this.scheme, entries: this.entries };
  }

  save(path: string): void {
    writeJsonAtomic(path, this.toJSON());
  }

  /** Parses a saved index; `source` names the input in error messages. */
  static fromJSON(value: unknown, source = 'tool index'): ToolIndex {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${source}: expected a JSON object`);
    const file = value as Record<string, unknown>;
    if (file.format !== TOOL_INDEX_FORMAT) throw new Error(`${source}: format must be '${TOOL_INDEX_FORMAT}', got ${JSON.stringify(file.format)}`);
    if (file.version !== TOOL_INDEX_VERSION) {
      throw new Error(`${source}: unsupported version ${JSON.stringify(file.version)} (this toolken reads version ${TOOL_INDEX_VERSION})`);
    }
    const scheme = file.scheme;
    if (typeof scheme !== 'string' || !(INDEX_SCHEMES as readonly string[]).includes(scheme)) {
      throw new Error(`${source}: scheme must be one of ${INDEX_SCHEMES.join(', ')}, got ${JSON.stringify(scheme)}`);
    }
    if (!Array.isArray(file.entries)) throw new Error(`${source}: 'entries' must be an array`);
    const entries = file.entries.map((raw: unknown, i): IndexEntry => {
      const e = raw as Record<string, unknown> | null;
      if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || typeof e.text !== 'string' || typeof e.name !== 'string') {
        throw new Error(`${source}: entries[${i}] must be an object with string 'id', 'text' and 'name'`);
      }
      return { id: e.id, text: e.text, name: e.name };
    });
    return new ToolIndex(scheme as IndexScheme, entries, source);
  }

  static load(path: string): ToolIndex {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read tool index ${path}: ${(err as Error).message}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
    }
    return ToolIndex.fromJSON(value, path);
  }
}
