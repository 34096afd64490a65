/**
 * ToolGen's generative retrieval: the model reads the query as a user turn and writes a tool's index text as its
 * answer. Ranking runs a beam search constrained by a trie of the candidate tools' token sequences, so every
 * result is a real, distinct tool; the unconstrained mode lets the model write freely and maps its text back to a
 * tool, which is where hallucinated tools come from.
 *
 * The prompt is exactly the one the retrieval stage trains on (`retrievalExamples` rendered by the chat template):
 * the query as the only user message, followed by the generation prompt of the assistant turn.
 */
import type { RetrievalQuery } from '../data/types.js';
import { generate } from '../generate/generate.js';
import { ModelBeamSession } from '../generate/beam-session.js';
import { searchTools, searchToolsAsync, type ToolCandidate } from '../generate/constraints/beam-search.js';
import { ToolTrie } from '../generate/constraints/tool-trie.js';
import type { ToolIndex } from '../indexing/tool-index.js';
import type { DecoderModel } from '../models/decoder.js';
import { chatPromptIds } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { LexicalPrior } from './lexical-prior.js';
import type { Retriever } from './types.js';

const ranked = (found: readonly ToolCandidate[]): RankedTool[] => found.map(({ toolId, score }) => ({ toolId, score }));

/** The parts of a ToolGen model that retrieval needs. */
export interface GenerativeModel {
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  readonly index: ToolIndex;
}

export interface GenerativeRetrieverOptions {
  /** Live beams of the constrained search; raised to k when smaller (default: k). */
  readonly beamWidth?: number;
  /** 'sum' ranks by sequence log-probability, 'mean' by log-probability per token (see ToolSearchOptions). */
  readonly scoring?: 'sum' | 'mean';
  /** BM25 over the tool documents mixed into the search (see LexicalPrior); off when absent. */
  readonly lexicalPrior?: LexicalPrior;
}

/** A ranked tool with the search's score (log-probability, or per token under 'mean'; mixed with the lexical prior when there is one). */
export interface RankedTool {
  readonly toolId: string;
  readonly score: number;
}

/** What one free (unconstrained) generation produced. */
export interface FreeGeneration {
  readonly text: string;
  /** The tool the text names, or undefined when it names none (a hallucination). */
  readonly toolId: string | undefined;
}

/**
 * The id that ends an assistant turn: `<|im_end|>` when the vocabulary has it (ChatML), else the tokenizer's EOS.
 * The constrained search uses it as the trie's terminator, so a tool counts only when the model would also stop.
 */
export function assistantTurnEnd(tokenizer: Tokenizer): number {
  const imEnd = tokenizer.tokenToId('<|im_end|>');
  if (imEnd !== undefined) return imEnd;
  if (tokenizer.eosId === undefined) throw new Error('generative retrieval: the tokenizer has neither <|im_end|> nor an EOS token to end the answer');
  return tokenizer.eosId;
}

export class GenerativeRetriever implements Retriever {
  readonly terminator: number;
  private readonly fullTrie: ToolTrie;
  /** Tries of candidate subsets, by the set object the caller passes (the harness reuses one set per domain). */
  private readonly subsetTries = new WeakMap<ReadonlySet<string>, ToolTrie>();
  /** Longest tool sequence, in tokens: bounds the positions a search appends. */
  private readonly longestTool: number;

  constructor(
    private readonly tg: GenerativeModel,
    private readonly options: GenerativeRetrieverOptions = {},
  ) {
    this.terminator = assistantTurnEnd(tg.tokenizer);
    const sequences = tg.index.sequences(tg.tokenizer);
    this.fullTrie = new ToolTrie(sequences, this.terminator);
    this.longestTool = Math.max(1, ...sequences.map((s) => s.tokens.length));
  }

  /**
   * The prompt ids of a query: the query as the user turn, then the assistant's generation prompt. A query too long
   * for the model's context (with room for the longest tool and the terminator) keeps its beginning.
   */
  promptIds(query: string): number[] {
    const limit = this.tg.model.config.maxPositions - this.longestTool - 1;
    let text = query;
    let ids = this.render(text);
    while (ids.length > limit && text.length > 0) {
      text = text.slice(0, Math.floor((text.length * limit) / ids.length) - 1);
      ids = this.render(text);
    }
    if (ids.length > limit) throw new Error(`generative retrieval: the chat prompt alone needs ${ids.length} positions; the model has ${this.tg.model.config.maxPositions}`);
    return ids;
  }

  private render(query: string): number[] {
    return chatPromptIds(this.tg.tokenizer, [{ role: 'user', content: query }]);
  }

  /** The trie of the candidates that the index knows (the whole index when no candidates are given). */
  trieFor(candidates?: ReadonlySet<string>): ToolTrie | undefined {
    if (candidates === undefined) return this.fullTrie;
    let trie = this.subsetTries.get(candidates);
    if (trie === undefined) {
      const known = new Set(this.tg.index.toolIds());
      const ids = [...candidates].filter((id) => known.has(id));
      if (ids.length === 0) return undefined;
      trie = new ToolTrie(this.tg.index.sequences(this.tg.tokenizer, ids), this.terminator);
      this.subsetTries.set(candidates, trie);
    }
    return trie;
  }

  /** The k best tools for the query by constrained beam search, best first, with their scores. */
  rank(query: string, k: number, candidates?: ReadonlySet<string>): RankedTool[] {
    const search = this.search(query, k, candidates);
    return search === undefined ? [] : ranked(searchTools(search.session, search.promptIds, search.trie, search.options));
  }

  /**
   * `rank` with an event-loop turn after every search depth, cancellable: `signal.abort()` stops the search at its
   * next depth and the promise rejects with the signal's reason.
   */
  async rankAsync(query: string, k: number, options: { readonly candidates?: ReadonlySet<string>; readonly signal?: AbortSignal } = {}): Promise<RankedTool[]> {
    options.signal?.throwIfAborted();
    const search = this.search(query, k, options.candidates);
    if (search === undefined) return [];
    return ranked(await searchToolsAsync(search.session, search.promptIds, search.trie, { ...search.options, ...(options.signal ? { signal: options.signal } : {}) }));
  }

  /** What a search for the query needs: the candidates' trie, the prompt, a beam session sized for them. */
  private search(query: string, k: number, candidates?: ReadonlySet<string>) {
    const trie = this.trieFor(candidates);
    if (trie === undefined) return undefined;
    const promptIds = this.promptIds(query);
    const beamWidth = Math.max(k, this.options.beamWidth ?? k);
    // One state per live beam and one per child being stepped, plus the prompt's.
    const session = new ModelBeamSession(this.tg.model, { maxStates: 2 * beamWidth + 1, capacity: promptIds.length + this.longestTool + 1 });
    const prior = this.options.lexicalPrior?.forQuery(query, trie);
    return { trie, promptIds, session, options: { k, beamWidth, scoring: this.options.scoring ?? 'sum', ...(prior ? { prior } : {}) } as const };
  }

  retrieve(query: RetrievalQuery, k: number, candidates?: ReadonlySet<string>): string[] {
    return this.rank(query.query, k, candidates).map((r) => r.toolId);
  }

  /**
   * Greedy generation of the assistant's answer, with (`constrained`) or without the trie as a logits mask, read
   * back as a tool through the index. Unconstrained answers may name no tool.
   */
  generateTool(query: string, constrained: boolean): FreeGeneration {
    const { tokenizer, index, model } = this.tg;
    const mask = constrained ? this.fullTrie.processor() : undefined;
    const [result] = generate(model, [this.promptIds(query)], {
      temperature: 0,
      // Room for the longest tool and the terminator; a rambling answer is cut there and names no tool.
      maxTokens: this.longestTool + 1,
      stopTokens: [this.terminator],
      ...(mask ? { logitsHook: (logits: Float32Array, generated: readonly number[]) => mask(logits, generated) } : {}),
    });
    const text = tokenizer.decode(result!.tokens).trim();
    return { text, toolId: index.textToTool(text) };
  }

  /** Share of queries whose greedy answer names a tool that does not exist, with or without the trie constraint. */
  hallucinationRate(queries: readonly RetrievalQuery[], constrained: boolean): number {
    if (queries.length === 0) return 0;
    let hallucinated = 0;
    for (const q of queries) if (this.generateTool(q.query, constrained).toolId === undefined) hallucinated++;
    return hallucinated / queries.length;
  }
}
