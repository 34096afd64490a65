/**
 * A ToolGen model's catalog, ready to be served without a `tools` list: the trie of the tools' index texts (the
 * tool tokens, for the atomic scheme) that a turn's call is decoded under, each tool's parameters compiled for the
 * JSON-Schema mask, and the name each tool has in the API.
 *
 * API names follow the API's rule for function names (1-64 of a-z, A-Z, 0-9, _ and -), so a client can send a
 * call back in the conversation: a tool's own name when it is valid and unique in the catalog, else its id with
 * every other character replaced by `_`, cut to 64 and, when still taken, numbered.
 */
import { LexicalPrior } from '../retrieval/lexical-prior.js';
import { JsonAutomaton } from '../generate/constraints/json-automaton.js';
import type { JsonLimits } from '../generate/constraints/json-schema-nodes.js';
import { ToolTrie } from '../generate/constraints/tool-trie.js';
import type { ToolIndex } from '../indexing/tool-index.js';
import { assistantTurnEnd } from '../retrieval/generative.js';
import type { Tool } from '../tools/types.js';
import { ToolkenError } from '../util/errors.js';
import type { RequestLimits } from './request.js';
import { ServeSetupError, type ServedModel } from './served-model.js';

export interface CatalogEntry {
  readonly tool: Tool;
  /** The function name clients see in `tool_calls`. */
  readonly apiName: string;
  /** What the model writes for the tool (its index text). */
  readonly text: string;
  readonly automaton: JsonAutomaton;
}

export interface ServedCatalog {
  readonly entries: readonly CatalogEntry[];
  readonly byApiName: ReadonlyMap<string, CatalogEntry>;
  readonly byId: ReadonlyMap<string, CatalogEntry>;
  /** The index texts of the entries; its terminator ends the assistant turn, as in ToolGen's retrieval stage. */
  readonly trie: ToolTrie;
  /** Tokens in the longest index text. */
  readonly longestText: number;
  /** The most bytes any entry's smallest valid arguments take. */
  readonly largestMinimalArguments: number;
  /** Catalog tools left out, each with the reason (not in the model's index, a schema the mask cannot follow). */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  /**
   * Whether a call's free string and number parameters are narrowed to values the request holds (ToolGen's value
   * copying, generate/constraints/copy-values.ts), as `toolken agent` does by default.
   */
  readonly copyValues: boolean;
  /** The mask's settings every entry was compiled with (and a request's copying automaton is). */
  readonly automatonOptions: JsonLimits;
  /** BM25 over the served tools' documents, mixed into the tool's name once the model calls one; absent when off. */
  readonly lexicalPrior?: LexicalPrior;
}

export interface ServeCatalogOptions {
  /** Copy argument values from the request (default true). */
  readonly copyValues?: boolean;
  /** Weight of the lexical prior (retrieval/lexical-prior.ts) for the tool's name; off when absent. */
  readonly lexicalPrior?: number;
}

const API_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** An API name for every tool, distinct, in catalog order. */
export function apiNames(tools: readonly Tool[]): string[] {
  const nameCounts = new Map<string, number>();
  for (const t of tools) nameCounts.set(t.name, (nameCounts.get(t.name) ?? 0) + 1);
  const taken = new Set<string>();
  return tools.map((t) => {
    const base = API_NAME.test(t.name) && nameCounts.get(t.name) === 1 ? t.name : t.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'tool';
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 64 - String(n).length - 1)}_${n}`;
    taken.add(name);
    return name;
  });
}

/** The catalog's tools that the model's index knows, compiled for constrained decoding. */
export function serveCatalog(model: ServedModel, index: ToolIndex, tools: readonly Tool[], limits: RequestLimits, options: ServeCatalogOptions = {}): ServedCatalog {
  // A pattern the mask cannot follow is left out of the mask (the executor still validates the call).
  const automatonOptions: JsonLimits = { maxStringLength: limits.maxStringLength, maxArrayItems: limits.maxArrayItems, unfollowablePatterns: 'ignore' };
  const indexed = new Set(index.toolIds());
  const skipped: { id: string; reason: string }[] = [];
  const usable: { tool: Tool; automaton: JsonAutomaton }[] = [];
  for (const tool of tools) {
    if (!indexed.has(tool.id)) {
      skipped.push({ id: tool.id, reason: "not in the model's tool index" });
      continue;
    }
    try {
      const automaton = new JsonAutomaton(tool.parameters, automatonOptions);
      usable.push({ tool, automaton });
    } catch (err) {
      if (!(err instanceof ToolkenError)) throw err;
      skipped.push({ id: tool.id, reason: err.message });
    }
  }
  if (usable.length === 0) throw new ServeSetupError(`${model.name}: none of the catalog's ${tools.length} tools can be served (first problem: ${skipped[0]?.id}: ${skipped[0]?.reason})`);
  const names = apiNames(usable.map((u) => u.tool));
  const entries = usable.map(({ tool, automaton }, i): CatalogEntry => ({ tool, apiName: names[i]!, text: index.toolToText(tool.id), automaton }));
  const sequences = index.sequences(model.tokenizer, entries.map((e) => e.tool.id));
  return {
    entries,
    byApiName: new Map(entries.map((e) => [e.apiName, e])),
    byId: new Map(entries.map((e) => [e.tool.id, e])),
    trie: new ToolTrie(sequences, assistantTurnEnd(model.tokenizer)),
    longestText: Math.max(...sequences.map((s) => s.tokens.length)),
    largestMinimalArguments: Math.max(...entries.map((e) => e.automaton.minBytesToComplete(e.automaton.initial()))),
    skipped,
    copyValues: options.copyValues ?? true,
    automatonOptions,
    ...(options.lexicalPrior === undefined ? {} : { lexicalPrior: LexicalPrior.fromTools(entries.map((e) => e.tool), { weight: options.lexicalPrior }) }),
  };
}
