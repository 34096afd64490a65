/**
 * Answers a request end to end with a ToolGen model: the tool is chosen by trie-constrained beam search over the
 * catalog's tool tokens (it cannot name a tool that does not exist), its arguments are decoded under a mask built
 * from the tool's JSON Schema (they always parse and validate), the tool runs through an executor, and the
 * observation comes back. The prompts are the turns the model was trained on (src/train/toolgen.ts).
 */
import type { ChatMessage } from '../data/types.js';
import { JsonAutomaton } from '../generate/constraints/json-automaton.js';
import { decodeJson } from '../generate/constraints/json-decode.js';
import { JsonTokenMasker } from '../generate/constraints/json-token-mask.js';
import { searchTools, type ToolCandidate } from '../generate/constraints/beam-search.js';
import { ToolTrie } from '../generate/constraints/tool-trie.js';
import { VocabularyTrie } from '../generate/constraints/vocabulary-trie.js';
import { ModelBeamSession } from '../generate/beam-session.js';
import { applyChatTemplate } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { JsonSchema, JsonValue, Tool, ToolExecutor, ToolObservation } from '../tools/types.js';
import { argumentsRequest, type ToolGenModel } from '../train/toolgen.js';

export interface AgentOptions {
  /** Tools returned by the search (the first is called). */
  readonly beams: number;
  /** Token budget of the JSON arguments, end included. */
  readonly maxArgumentTokens: number;
}

export const defaultAgentOptions: AgentOptions = { beams: 5, maxArgumentTokens: 96 };

export interface AgentAnswer {
  readonly query: string;
  /** Ranked tools from the constrained search, best first. */
  readonly candidates: readonly ToolCandidate[];
  readonly tool: Tool;
  readonly argumentsText: string;
  readonly arguments: JsonValue;
  readonly observation: ToolObservation;
}

/** Renders messages with the tokenizer's chat template and an open assistant turn, as ids. */
export function promptIds(tokenizer: Tokenizer, messages: readonly ChatMessage[]): number[] {
  const bos = tokenizer.bosId === undefined ? '' : (tokenizer.idToToken(tokenizer.bosId) ?? '');
  const eos = tokenizer.eosId === undefined ? '' : (tokenizer.idToToken(tokenizer.eosId) ?? '');
  return tokenizer.encode(applyChatTemplate(tokenizer.chatTemplate, messages, { addGenerationPrompt: true, bosToken: bos, eosToken: eos }));
}

/** The id that ends an assistant turn (the tokenizer's end of sequence, `<|im_end|>` under ChatML). */
export function turnEndId(tokenizer: Tokenizer): number {
  if (tokenizer.eosId === undefined) throw new Error('the tokenizer has no end-of-sequence token to end a tool token or arguments with');
  return tokenizer.eosId;
}

/**
 * The schema the argument decoder enforces: the tool's, less `pattern` (a regular expression cannot be enforced
 * token by token). Arguments still validate against the full schema when the executor runs the tool, so a value
 * that misses a pattern comes back as an invalid-arguments observation rather than a call.
 */
export function decodableSchema(schema: JsonSchema): JsonSchema {
  const { pattern: _pattern, properties, items, anyOf, oneOf, additionalProperties, ...rest } = schema;
  const out: JsonSchema = { ...rest };
  if (properties) out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, decodableSchema(v)]));
  if (items) out.items = decodableSchema(items);
  if (anyOf) out.anyOf = anyOf.map(decodableSchema);
  if (oneOf) out.oneOf = oneOf.map(decodableSchema);
  if (additionalProperties !== undefined) {
    out.additionalProperties = typeof additionalProperties === 'boolean' ? additionalProperties : decodableSchema(additionalProperties);
  }
  return out;
}

export class ToolGenAgent {
  private readonly tools: Map<string, Tool>;
  private readonly tries = new Map<string, ToolTrie>();
  private readonly session: ModelBeamSession;
  private readonly vocabulary: VocabularyTrie;
  private readonly maskers = new Map<string, JsonTokenMasker>();
  private readonly capacity: number;

  constructor(
    private readonly tg: ToolGenModel,
    tools: readonly Tool[],
    private readonly executor: ToolExecutor,
    private readonly options: AgentOptions = defaultAgentOptions,
  ) {
    this.tools = new Map(tools.map((t) => [t.id, t]));
    this.capacity = tg.model.config.maxPositions;
    this.session = new ModelBeamSession(tg.model, { maxStates: 2 * options.beams + 2, capacity: this.capacity });
    this.vocabulary = new VocabularyTrie(tg.tokenizer);
  }

  /** The best tools for a query, restricted to `candidates` (tool ids) when given. */
  selectTools(query: string, candidates?: readonly string[]): ToolCandidate[] {
    const key = candidates === undefined ? '*' : [...candidates].sort().join('\n');
    let trie = this.tries.get(key);
    if (trie === undefined) {
      trie = new ToolTrie(this.tg.index.sequences(this.tg.tokenizer, candidates), turnEndId(this.tg.tokenizer));
      this.tries.set(key, trie);
    }
    const prompt = this.fit(promptIds(this.tg.tokenizer, [{ role: 'user', content: query }]), 8);
    return searchTools(this.session, prompt, trie, { k: this.options.beams });
  }

  /** Picks a tool, decodes its arguments under the schema mask, and runs it. */
  async answer(query: string, candidates?: readonly string[]): Promise<AgentAnswer> {
    const ranked = this.selectTools(query, candidates);
    const best = ranked[0];
    if (best === undefined) throw new Error(`no tool could be selected for ${JSON.stringify(query)}`);
    const tool = this.tools.get(best.toolId)!;
    const messages = argumentsRequest(query, this.tg.index.toolToText(tool.id), tool);
    const prompt = this.fit(promptIds(this.tg.tokenizer, messages), this.options.maxArgumentTokens);
    const decoded = decodeJson(this.session, prompt, this.masker(tool), this.options.maxArgumentTokens);
    const observation = await this.executor.call(tool.id, decoded.value);
    return { query, candidates: ranked, tool, argumentsText: decoded.text, arguments: decoded.value, observation };
  }

  private masker(tool: Tool): JsonTokenMasker {
    let masker = this.maskers.get(tool.id);
    if (masker === undefined) {
      const automaton = new JsonAutomaton(decodableSchema(tool.parameters), { maxStringLength: 48, maxArrayItems: 8 });
      masker = new JsonTokenMasker(automaton, this.vocabulary, turnEndId(this.tg.tokenizer));
      this.maskers.set(tool.id, masker);
    }
    return masker;
  }

  /** Keeps the end of a prompt so that `room` more tokens fit in the session. */
  private fit(ids: number[], room: number): number[] {
    const max = this.capacity - room - 1;
    return ids.length > max ? ids.slice(ids.length - max) : ids;
  }
}
