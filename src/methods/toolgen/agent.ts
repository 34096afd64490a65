/**
 * Answers a request end to end with a ToolGen model: the tool is chosen by trie-constrained beam search over the
 * catalog's tool tokens (it cannot name a tool that does not exist), its arguments are decoded under a mask built
 * from the tool's JSON Schema (they always parse and validate), the tool runs through an executor, and the
 * observation comes back. The prompts are the turns the model was trained on (src/train/toolgen.ts).
 */
import { JsonAutomaton } from '../../generate/constraints/json-automaton.js';
import { decodeJson } from '../../generate/constraints/json-decode.js';
import { JsonTokenMasker } from '../../generate/constraints/json-token-mask.js';
import { VocabularyTrie } from '../../generate/constraints/vocabulary-trie.js';
import { ModelBeamSession } from '../../generate/beam-session.js';
import { chatPromptIds } from '../../tokenizer/chat-template.js';
import { GenerativeRetriever, type RankedTool } from '../../retrieval/generative.js';
import type { JsonValue, Tool, ToolExecutor, ToolObservation } from '../../tools/types.js';
import { argumentsRequest, type ToolGenModel } from './model.js';

export interface AgentOptions {
  /** Tools ranked by the search (the first is called). */
  readonly beams: number;
  /** Token budget of the JSON arguments, end included. */
  readonly maxArgumentTokens: number;
}

export const defaultAgentOptions: AgentOptions = { beams: 5, maxArgumentTokens: 96 };

export interface AgentAnswer {
  readonly query: string;
  /** Ranked tools from the constrained search, best first. */
  readonly candidates: readonly RankedTool[];
  readonly tool: Tool;
  readonly argumentsText: string;
  readonly arguments: JsonValue;
  readonly observation: ToolObservation;
}

export class ToolGenAgent {
  private readonly tools: Map<string, Tool>;
  private readonly retriever: GenerativeRetriever;
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
    this.retriever = new GenerativeRetriever(tg);
    this.capacity = tg.model.config.maxPositions;
    this.session = new ModelBeamSession(tg.model, { maxStates: 2, capacity: this.capacity });
    this.vocabulary = new VocabularyTrie(tg.tokenizer);
  }

  /** The best tools for a query (trie-constrained beam search), restricted to `candidates` when given. */
  selectTools(query: string, candidates?: ReadonlySet<string>): RankedTool[] {
    return this.retriever.rank(query, this.options.beams, candidates);
  }

  /** Picks a tool, decodes its arguments under the schema mask, and runs it. */
  async answer(query: string, candidates?: ReadonlySet<string>): Promise<AgentAnswer> {
    const ranked = this.selectTools(query, candidates);
    const best = ranked[0];
    if (best === undefined) throw new Error(`no tool could be selected for ${JSON.stringify(query)}`);
    const tool = this.tools.get(best.toolId);
    if (tool === undefined) throw new Error(`the model's index names tool '${best.toolId}', which the agent was not given`);
    const messages = argumentsRequest(query, this.tg.index.toolToText(tool.id), tool);
    const prompt = this.fit(chatPromptIds(this.tg.tokenizer, messages), this.options.maxArgumentTokens);
    const decoded = decodeJson(this.session, prompt, this.masker(tool), this.options.maxArgumentTokens);
    const observation = await this.executor.call(tool.id, decoded.value);
    return { query, candidates: ranked, tool, argumentsText: decoded.text, arguments: decoded.value, observation };
  }

  private masker(tool: Tool): JsonTokenMasker {
    let masker = this.maskers.get(tool.id);
    if (masker === undefined) {
      // A pattern the decoder cannot follow is left to the executor's validation: a value that misses it comes back
      // as an invalid-arguments observation rather than a call.
      const automaton = new JsonAutomaton(tool.parameters, { maxStringLength: 48, maxArrayItems: 8, unfollowablePatterns: 'ignore' });
      masker = new JsonTokenMasker(automaton, this.vocabulary, this.retriever.terminator);
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
