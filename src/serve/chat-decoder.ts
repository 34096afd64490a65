/**
 * One request's decoding, as a state machine the scheduler drives one step at a time: given the logits after the
 * last fed token it picks the next token and says what to feed next (the token, or the token and a forced piece of
 * the call format). The machine never touches the model, so many requests share one batched session.
 *
 * Phases: `text` samples freely (watching for the tool-call marker under tool_choice auto, and for stop strings);
 * `name` walks a trie of the offered tool names; `arguments` follows the chosen tool's JSON schema mask; `between`
 * lets the model end the turn or open another call (parallel_tool_calls); `json` follows a response_format schema.
 * Under tool_choice required or a named function the call is forced from the first token, so even a model that has
 * never seen the tools returns a call that names one of them and whose arguments validate.
 */
import { randomBytes } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { Sampler } from '../generate/sampling.js';
import { StopStringMatcher, TextStream } from '../generate/stop.js';
import { JsonTokenMasker } from '../generate/constraints/json-token-mask.js';
import type { JsonState } from '../generate/constraints/json-automaton.js';
import { ToolTrie, type ToolTrieNode } from '../generate/constraints/tool-trie.js';
import type { ChatRequest, RequestTool } from './request.js';
import type { ServedModel } from './served-model.js';
import { TOOL_CALL_OPEN } from './prompt.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** What the client sees as it is decoded. */
export interface DecodeEvents {
  content(text: string): void;
  toolCallStart(index: number, id: string, name: string): void;
  toolCallArguments(index: number, fragment: string): void;
}

/** What to feed the model next; `reset` empties the slot first (the feed is then the whole sequence). */
export interface Feed {
  readonly tokens: readonly number[];
  readonly reset: boolean;
}

type Phase =
  | { kind: 'text'; stream: TextStream; matcher: StopStringMatcher | null; raw: string; emitted: string }
  | { kind: 'name'; node: ToolTrieNode }
  | { kind: 'arguments'; masker: JsonTokenMasker; state: JsonState | null; text: TextDecoder; index: number }
  | { kind: 'between' }
  | { kind: 'json'; masker: JsonTokenMasker; state: JsonState | null; text: TextDecoder };

/** What the scheduler drives: one request's turn, a token at a time. */
export interface TurnDecoder {
  /** Why the turn ended; null while it runs. */
  readonly finish: FinishReason | null;
  /** Completion tokens so far. */
  readonly used: number;
  /** The least max_tokens the request can be served with. */
  minimumTokens(): number;
  /** The first feed (the prompt and any forced opening). */
  start(): Feed;
  /** Chooses the next token from `logits` (changed in place); returns what to feed, or null when the turn is over. */
  step(logits: Float32Array): Feed | null;
  /** Ends the turn early (time budget spent or client gone). */
  stop(reason: FinishReason): void;
}

/** The most calls one turn may make. */
const MAX_CALLS = 16;

/** Sets every logit outside `mask` (and past the tokenizer's vocabulary) to -Infinity. */
export function constrain(logits: Float32Array, mask: Uint8Array): void {
  for (let i = 0; i < logits.length; i++) if (i >= mask.length || mask[i] === 0) logits[i] = -Infinity;
}

/** Sets every logit but those of `allowed` to -Infinity. */
export function keep(logits: Float32Array, allowed: readonly number[]): void {
  const values = allowed.map((id) => logits[id]!);
  logits.fill(-Infinity);
  allowed.forEach((id, i) => (logits[id] = values[i]!));
}

/** A JSON value decoded under its schema's mask: the masker, the automaton state so far, the text decoded so far. */
export interface MaskedJson {
  readonly masker: JsonTokenMasker;
  state: JsonState | null;
  readonly text: TextDecoder;
}

/**
 * Samples the next token of `json` under its mask, leaving room for `budget` more tokens (the end id included), and
 * hands the text it completes to `emit`. Returns the token to feed, or null when the sampled token is the end id: the
 * value is complete and its last bytes are emitted.
 */
export function maskedJsonToken(logits: Float32Array, json: MaskedJson, budget: number, sampler: Sampler, model: ServedModel, emit: (text: string) => void): number | null {
  constrain(logits, json.masker.allowed(json.state, budget));
  const token = sampler.sample(logits);
  if (token === json.masker.endId) {
    const tail = json.text.decode();
    if (tail.length > 0) emit(tail);
    return null;
  }
  json.state = json.masker.advanceToken(json.state, token)!;
  const fragment = json.text.decode(model.vocabulary.table.tokenBytes(token), { stream: true });
  if (fragment.length > 0) emit(fragment);
  return token;
}

export const newCallId = (): string => `call_${randomBytes(12).toString('hex')}`;

/**
 * What the two turn decoders share: the finish reason, set once (by the decoding or by `stop`, whichever comes
 * first) and after which a step feeds nothing; the completion-token count; the sampler the request configures.
 */
export abstract class PhasedDecoder implements TurnDecoder {
  finish: FinishReason | null = null;
  /** Completion tokens so far (forced pieces of the call format included). */
  used = 0;
  protected readonly sampler: Sampler;

  constructor(request: ChatRequest) {
    this.sampler = new Sampler({ temperature: request.temperature, topP: request.topP, seed: request.seed ?? randomBytes(4).readUInt32LE() });
  }

  abstract minimumTokens(): number;
  abstract start(): Feed;

  /** Ends the turn early (time budget spent or client gone). */
  stop(reason: FinishReason): void {
    if (this.finish === null) this.finish = reason;
  }

  /** Chooses the next token from `logits` (changed in place); returns what to feed, or null when the turn is over. */
  step(logits: Float32Array): Feed | null {
    return this.finish === null ? this.phaseStep(logits) : null;
  }

  /** The step of the phase the turn is in; called only while the turn runs. */
  protected abstract phaseStep(logits: Float32Array): Feed | null;
}

export class ChatDecoder extends PhasedDecoder {
  calls = 0;
  private phase: Phase;
  private readonly trie: ToolTrie | null;
  private readonly toolsByName: Map<string, RequestTool>;
  /** The fewest tokens a call can take from its opening marker, under the longest name and largest minimal arguments. */
  private readonly callCost: number;

  constructor(
    private readonly model: ServedModel,
    private readonly request: ChatRequest,
    private readonly prompt: readonly number[],
    readonly maxTokens: number,
    private readonly events: DecodeEvents,
  ) {
    super(request);
    const choice = request.toolChoice;
    const callable = choice.kind === 'none' ? [] : choice.kind === 'named' ? request.tools.filter((t) => t.name === choice.name) : request.tools;
    this.toolsByName = new Map(callable.map((t) => [t.name, t]));
    const { tokenizer, pieces } = model;
    const sequences = callable.map((t) => ({ toolId: t.name, tokens: tokenizer.encode(t.name) }));
    this.trie = sequences.length > 0 ? new ToolTrie(sequences, pieces.quote) : null;
    const longestName = Math.max(0, ...sequences.map((s) => s.tokens.length));
    const largestArguments = Math.max(0, ...callable.map((t) => t.automaton.minBytesToComplete(t.automaton.initial())));
    this.callCost = pieces.open.length + longestName + 1 + pieces.beforeArguments.length + largestArguments + pieces.close.length;
    this.phase = this.textPhase();
  }

  /** The least max_tokens this request can be served with (a forced call or schema needs room to finish). */
  minimumTokens(): number {
    if (this.request.responseFormat.kind === 'json_schema') {
      const { automaton } = this.request.responseFormat;
      return automaton.minBytesToComplete(automaton.initial());
    }
    return this.forcesCall() ? this.callCost : 1;
  }

  /** The first feed: the prompt, followed by the opening of a call when one is forced. */
  start(): Feed {
    if (this.request.responseFormat.kind === 'json_schema') {
      this.phase = this.jsonPhase();
      return { tokens: this.prompt, reset: false };
    }
    if (this.forcesCall()) return { tokens: [...this.prompt, ...this.openCall(this.model.pieces.open)], reset: false };
    return { tokens: this.prompt, reset: false };
  }

  protected phaseStep(logits: Float32Array): Feed | null {
    switch (this.phase.kind) {
      case 'text':
        return this.textStep(logits, this.phase);
      case 'name':
        return this.nameStep(logits, this.phase);
      case 'arguments':
        return this.argumentsStep(logits, this.phase);
      case 'between':
        return this.betweenStep(logits);
      case 'json':
        return this.jsonStep(logits, this.phase);
    }
  }

  private forcesCall(): boolean {
    const kind = this.request.toolChoice.kind;
    return kind === 'required' || kind === 'named';
  }

  private textPhase(): Phase {
    const watchForCalls = this.request.toolChoice.kind === 'auto' && this.trie !== null;
    const stops = [...this.request.stop, ...(watchForCalls ? [TOOL_CALL_OPEN] : [])];
    return { kind: 'text', stream: new TextStream(this.model.tokenizer), matcher: stops.length > 0 ? new StopStringMatcher(stops) : null, raw: '', emitted: '' };
  }

  private jsonPhase(): Phase {
    if (this.request.responseFormat.kind !== 'json_schema') throw new Error('json phase without a JSON schema response format');
    const masker = new JsonTokenMasker(this.request.responseFormat.automaton, this.model.vocabulary, this.model.endId);
    return { kind: 'json', masker, state: masker.automaton.initial(), text: new TextDecoder() };
  }

  /** Enters the name phase after `opening` (counted as completion tokens); returns it for feeding. */
  private openCall(opening: readonly number[]): readonly number[] {
    this.used += opening.length;
    this.phase = { kind: 'name', node: this.trie!.root };
    return opening;
  }

  private remaining(): number {
    return this.maxTokens - this.used;
  }

  private textStep(logits: Float32Array, phase: Extract<Phase, { kind: 'text' }>): Feed | null {
    const token = this.sampler.sample(logits);
    const emit = (text: string): void => {
      if (text.length === 0) return;
      phase.emitted += text;
      this.events.content(text);
    };
    if (this.model.eosIds.has(token)) {
      const tail = phase.stream.flush();
      emit(phase.matcher ? phase.matcher.push(tail) + phase.matcher.flush() : tail);
      this.finish = 'stop';
      return null;
    }
    this.used++;
    const piece = phase.stream.push(token);
    phase.raw += piece;
    emit(phase.matcher ? phase.matcher.push(piece) : piece);
    if (phase.matcher?.stopped) {
      const at = phase.emitted.length;
      if (!phase.raw.startsWith(TOOL_CALL_OPEN, at) || this.remaining() < this.callCost) {
        this.finish = phase.raw.startsWith(TOOL_CALL_OPEN, at) ? 'length' : 'stop';
        return null;
      }
      const leftover = phase.raw.slice(at + TOOL_CALL_OPEN.length);
      if (leftover === '') return { tokens: [token, ...this.openCall(this.model.pieces.afterMarker)], reset: false };
      // The marker's last token ran on into text the call format does not allow: re-read the turn up to the marker.
      const before = this.model.tokenizer.encode(phase.emitted);
      this.used = before.length;
      return { tokens: [...this.prompt, ...before, ...this.openCall(this.model.pieces.open)], reset: true };
    }
    if (this.used >= this.maxTokens) {
      const tail = phase.stream.flush();
      emit(phase.matcher ? phase.matcher.push(tail) + phase.matcher.flush() : tail);
      this.finish = 'length';
      return null;
    }
    return { tokens: [token], reset: false };
  }

  private nameStep(logits: Float32Array, phase: Extract<Phase, { kind: 'name' }>): Feed {
    const trie = this.trie!;
    keep(logits, trie.allowedAfter(phase.node));
    const token = this.sampler.sample(logits);
    this.used++;
    if (token !== trie.terminator) {
      phase.node = phase.node.children.get(token)!;
      return { tokens: [token], reset: false };
    }
    const tool = this.toolsByName.get(phase.node.toolId!)!;
    const index = this.calls++;
    this.events.toolCallStart(index, newCallId(), tool.name);
    const masker = new JsonTokenMasker(tool.automaton, this.model.vocabulary, this.model.endId);
    this.phase = { kind: 'arguments', masker, state: masker.automaton.initial(), text: new TextDecoder(), index };
    const { beforeArguments } = this.model.pieces;
    this.used += beforeArguments.length;
    return { tokens: [token, ...beforeArguments], reset: false };
  }

  private argumentsStep(logits: Float32Array, phase: Extract<Phase, { kind: 'arguments' }>): Feed {
    const { close } = this.model.pieces;
    // This token and the end id (which is never fed) share the budget left once the closing text is paid for.
    const token = maskedJsonToken(logits, phase, this.remaining() - close.length + 1, this.sampler, this.model, (text) => this.events.toolCallArguments(phase.index, text));
    if (token === null) {
      this.used += close.length;
      this.phase = { kind: 'between' };
      return { tokens: close, reset: false };
    }
    this.used++;
    return { tokens: [token], reset: false };
  }

  private betweenStep(logits: Float32Array): Feed | null {
    const { next } = this.model.pieces;
    const room = this.remaining() >= this.callCost - this.model.pieces.open.length + next.length;
    if (!this.request.parallelToolCalls || this.calls >= MAX_CALLS || !room) {
      this.finish = 'tool_calls';
      return null;
    }
    keep(logits, [this.model.endId, next[0]!]);
    const token = this.sampler.sample(logits);
    if (token === this.model.endId) {
      this.finish = 'tool_calls';
      return null;
    }
    return { tokens: this.openCall(next), reset: false };
  }

  private jsonStep(logits: Float32Array, phase: Extract<Phase, { kind: 'json' }>): Feed | null {
    const token = maskedJsonToken(logits, phase, this.remaining() + 1, this.sampler, this.model, (text) => this.events.content(text));
    if (token === null) {
      this.finish = 'stop';
      return null;
    }
    this.used++;
    return { tokens: [token], reset: false };
  }
}
