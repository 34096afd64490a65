/**
 * A turn of a ToolGen model served with a catalog and asked without `tools`: retrieval-free tool use. The model
 * answers the conversation the way ToolGen's retrieval stage trains it to, by writing a tool's index text (a tool
 * token, for the atomic scheme), decoded under the trie of the catalog's tools, so it can only name a catalog
 * tool, however many there are. The arguments are then decoded under that tool's JSON-Schema mask from the prompt
 * the argument stage trains on (`argumentsRequest`: the request, the chosen tool's text and its documentation),
 * so they always validate.
 *
 * tool_choice `required` (or a named catalog tool) forces the call from the first token; under `auto` the model's
 * first token decides: one that begins a catalog tool's text starts a call (the rest is then constrained), any
 * other starts a text answer. One call per turn (ToolGen names one tool per answer), so `parallel_tool_calls`
 * changes nothing here.
 */
import { TextDecoder } from 'node:util';
import { JsonAutomaton, type JsonState } from '../generate/constraints/json-automaton.js';
import { JsonTokenMasker } from '../generate/constraints/json-token-mask.js';
import type { LogitsProcessor } from '../generate/constraints/logits-processor.js';
import type { ToolTrieNode } from '../generate/constraints/tool-trie.js';
import { priorProcessor } from '../generate/constraints/trie-prior.js';
import { StopStringMatcher, TextStream } from '../generate/stop.js';
import { copyBudget, copyCandidates, withCopiedValues } from '../generate/constraints/copy-values.js';
import { argumentsRequest } from '../methods/toolgen/model.js';
import { chatPromptIds } from '../tokenizer/chat-template.js';
import { keep, maskedJsonToken, newCallId, PhasedDecoder, type DecodeEvents, type Feed } from './chat-decoder.js';
import type { ChatRequest } from './request.js';
import type { CatalogEntry, ServedCatalog } from './served-catalog.js';
import type { ServedModel } from './served-model.js';

type Phase =
  | { kind: 'first' }
  | { kind: 'text'; stream: TextStream; matcher: StopStringMatcher | null }
  | { kind: 'name'; node: ToolTrieNode; walked: number[]; prior: LogitsProcessor | undefined }
  | { kind: 'arguments'; masker: JsonTokenMasker; state: JsonState | null; text: TextDecoder };

export class CatalogDecoder extends PhasedDecoder {
  private phase: Phase = { kind: 'first' };
  /** The completion-token count at which the arguments must be complete. */
  private argumentsEnd = 0;
  /** The fewest tokens any call takes: the longest index text, its end, and the largest smallest arguments. */
  private readonly callCost: number;

  constructor(
    private readonly model: ServedModel,
    private readonly catalog: ServedCatalog,
    private readonly request: ChatRequest,
    private readonly prompt: readonly number[],
    readonly maxTokens: number,
    private readonly events: DecodeEvents,
  ) {
    super(request);
    this.callCost = catalog.longestText + 1 + catalog.largestMinimalArguments;
  }

  minimumTokens(): number {
    const choice = this.request.toolChoice;
    if (choice.kind === 'named') {
      const entry = this.catalog.byApiName.get(choice.name)!;
      return entry.automaton.minBytesToComplete(entry.automaton.initial());
    }
    return choice.kind === 'required' ? this.callCost : 1;
  }

  start(): Feed {
    const choice = this.request.toolChoice;
    if (choice.kind === 'named') return this.enterArguments(this.catalog.byApiName.get(choice.name)!);
    if (choice.kind === 'required') this.phase = this.nameFromRoot();
    return { tokens: this.prompt, reset: false };
  }

  protected phaseStep(logits: Float32Array): Feed | null {
    switch (this.phase.kind) {
      case 'first':
        return this.firstStep(logits);
      case 'text':
        return this.textStep(logits, this.phase);
      case 'name':
        return this.nameStep(logits, this.phase);
      case 'arguments':
        return this.argumentsStep(logits, this.phase);
    }
  }

  /** Completion tokens left: to the request's max_tokens, and in the arguments to what the context holds. */
  private remaining(): number {
    return (this.phase.kind === 'arguments' ? this.argumentsEnd : this.maxTokens) - this.used;
  }

  /** Under auto: a first token that begins a tool's text is a call; any other begins a text answer. */
  private firstStep(logits: Float32Array): Feed | null {
    const root = this.catalog.trie.root;
    if (this.remaining() < this.callCost) {
      // No call fits the budget: the turn can only be text.
      for (const id of root.children.keys()) logits[id] = -Infinity;
    }
    const token = this.sampler.sample(logits);
    const child = root.children.get(token);
    if (child !== undefined && this.catalog.lexicalPrior !== undefined) {
      // The model decided to call; with the lexical prior, which tool is decided again from the root, under it.
      this.phase = this.nameFromRoot();
      return this.nameStep(logits, this.phase);
    }
    if (child !== undefined) {
      this.used++;
      this.phase = { kind: 'name', node: child, walked: [token], prior: undefined };
      return { tokens: [token], reset: false };
    }
    const stops = this.request.stop;
    this.phase = { kind: 'text', stream: new TextStream(this.model.tokenizer), matcher: stops.length > 0 ? new StopStringMatcher(stops) : null };
    return this.acceptText(token, this.phase);
  }

  private textStep(logits: Float32Array, phase: Extract<Phase, { kind: 'text' }>): Feed | null {
    return this.acceptText(this.sampler.sample(logits), phase);
  }

  private acceptText(token: number, phase: Extract<Phase, { kind: 'text' }>): Feed | null {
    const emit = (text: string): void => {
      if (text.length > 0) this.events.content(text);
    };
    const ends = this.model.eosIds.has(token) || token === this.catalog.trie.terminator;
    if (!ends) this.used++;
    const piece = ends ? phase.stream.flush() : phase.stream.push(token);
    emit(phase.matcher ? phase.matcher.push(piece) : piece);
    const stopped = phase.matcher?.stopped === true;
    if (!ends && !stopped && this.used < this.maxTokens) return { tokens: [token], reset: false };
    if (!stopped) {
      // Out of tokens or at the end: release what the stream and the stop-string matcher still hold back.
      const tail = ends ? '' : phase.stream.flush();
      emit(phase.matcher ? phase.matcher.push(tail) + phase.matcher.flush() : tail);
    }
    this.finish = ends || stopped ? 'stop' : 'length';
    return null;
  }

  /** The name phase at the trie's root, with the lexical prior for this request when the catalog has one. */
  private nameFromRoot(): Extract<Phase, { kind: 'name' }> {
    const { trie, lexicalPrior } = this.catalog;
    const prior = lexicalPrior === undefined ? undefined : priorProcessor(trie, lexicalPrior.forQuery(this.requestText(), trie));
    return { kind: 'name', node: trie.root, walked: [], prior };
  }

  private nameStep(logits: Float32Array, phase: Extract<Phase, { kind: 'name' }>): Feed | null {
    const { trie } = this.catalog;
    if (phase.prior !== undefined) phase.prior(logits, phase.walked);
    else keep(logits, trie.allowedAfter(phase.node));
    const token = this.sampler.sample(logits);
    if (token !== trie.terminator) {
      this.used++;
      phase.node = phase.node.children.get(token)!;
      phase.walked.push(token);
      return { tokens: [token], reset: false };
    }
    this.used++;
    return this.enterArguments(this.catalog.byId.get(phase.node.toolId!)!);
  }

  /** Announces the call and starts the arguments turn: a fresh prompt, so the slot is refilled from empty. */
  private enterArguments(entry: CatalogEntry): Feed {
    this.events.toolCallStart(0, newCallId(), entry.apiName);
    let ids = chatPromptIds(this.model.tokenizer, argumentsRequest(this.requestText(), entry.text, entry.tool));
    // The arguments get what the budget leaves, as far as the context holds it beside their prompt, but never less
    // than the smallest valid arguments: for those the prompt gives up its beginning (keeping the documentation).
    const automaton = this.argumentsAutomaton(entry);
    const minimal = automaton.minBytesToComplete(automaton.initial());
    const budget = Math.min(this.remaining(), Math.max(minimal, this.model.contextLength - ids.length - 1));
    if (ids.length + budget + 1 > this.model.contextLength) ids = ids.slice(ids.length - Math.max(1, this.model.contextLength - budget - 1));
    this.argumentsEnd = this.used + budget;
    const masker = new JsonTokenMasker(automaton, this.model.vocabulary, this.catalog.trie.terminator);
    this.phase = { kind: 'arguments', masker, state: masker.automaton.initial(), text: new TextDecoder() };
    return { tokens: ids, reset: true };
  }

  /**
   * The mask of the call's arguments. With value copying, each free string / number parameter may only take a value
   * the request holds (a span, a quoted string, a number), when one fits its schema, and as often as the request
   * says it; the smallest such arguments must fit the tokens left, else the tool's own schema applies.
   */
  private argumentsAutomaton(entry: CatalogEntry): JsonAutomaton {
    if (!this.catalog.copyValues) return entry.automaton;
    const candidates = copyCandidates([this.requestText()]);
    const parameters = withCopiedValues(entry.tool.parameters, candidates);
    if (Object.values(parameters.properties).every((p, i) => p === Object.values(entry.tool.parameters.properties)[i])) return entry.automaton;
    // A value the request says once fills one parameter only.
    const copying = new JsonAutomaton(parameters, { ...this.catalog.automatonOptions, literalBudget: copyBudget(entry.tool.parameters, candidates) });
    return copying.minBytesToComplete(copying.initial()) <= this.remaining() ? copying : entry.automaton;
  }

  /** The request the arguments answer: the conversation's last user turn. */
  private requestText(): string {
    const users = this.request.messages.filter((m) => m.role === 'user');
    return users[users.length - 1]?.content ?? '';
  }

  private argumentsStep(logits: Float32Array, phase: Extract<Phase, { kind: 'arguments' }>): Feed | null {
    const token = maskedJsonToken(logits, phase, this.remaining() + 1, this.sampler, this.model, (text) => this.events.toolCallArguments(0, text));
    if (token === null) {
      this.finish = 'tool_calls';
      return null;
    }
    this.used++;
    return { tokens: [token], reset: false };
  }
}
