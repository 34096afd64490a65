/**
 * ToolkenGPT's decoding loop, greedy, KV-cached and batched over questions. Each question owns two slots of a
 * session whose logits are [vocabulary ; tools]:
 *
 * - reasoning mode decodes the question's prompt with the tool rows joined (plus `toolBias`); when a toolken wins,
 *   the question switches to tool mode (or, with a `chooser`, Toolken+ may pick another tool or Reject it);
 * - tool mode decodes the tool's few-shot prompt + the generation so far (earlier calls re-expanded as
 *   `<op>(args)=result`) + `<op>(` with the tool rows disabled until `)` closes the call; the arguments are
 *   executed, the normalised result is spliced into the reasoning text as tokens, and the next reasoning token may
 *   not contain a digit (so the model does not continue the number);
 * - a call whose arguments fail to parse or execute falls back to the next-ranked entry of the step where the
 *   toolken won (another tool, or a vocabulary token), as the original does.
 *
 * The same loop runs the baselines: tool rows disabled (no tools), and calls written in the text as
 * `<op>(args)=` executed in place (in-context tool use, the paper's ReAct baseline).
 */

import { OperandGrammar, statedNumbers } from './operand-copy.js';

/** A session whose every logits row holds vocabSize + toolCount entries: the vocabulary, then the tools. */
export interface JointSession {
  readonly vocabSize: number;
  readonly toolCount: number;
  readonly capacity: number;
  /** Appends tokens to a slot; returns the joint logits after its last token (reused by the next call). */
  prefill(slot: number, tokens: readonly number[]): Float32Array;
  /** Appends one token to each listed slot; returns (slots.length, vocabSize + toolCount) logits. */
  decode(slots: readonly number[], tokens: readonly number[]): Float32Array;
  resetSequence(slot: number): void;
}

export interface JointModel {
  /** The largest session capacity the model supports. */
  readonly maxPositions: number;
  createSession(slots: number, capacity: number): JointSession;
}

/** Text <-> tokens (a Tokenizer is one). */
export interface TextCodec {
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** How tools are used: not at all, written in the text (in-context), or as toolkens (ToolkenGPT / Toolken+). */
export type ToolUse = 'none' | 'in-context' | 'toolken';

/** What a chooser sees when the head fires: the question, the text so far, the tools ranked by joint logit. */
export interface ToolChoiceContext {
  readonly question: string;
  readonly text: string;
  readonly rankedTools: readonly number[];
}

/** Toolken+'s hook: a tool index to call, or 'reject' to emit the best vocabulary token instead. */
export type ToolChooser = (context: ToolChoiceContext) => number | 'reject';

export interface DecodeOptions {
  /** Tool names; tool k is logits row entry vocabSize + k. */
  readonly tools: readonly string[];
  readonly use: ToolUse;
  /** The reasoning-mode prompt of a question. */
  readonly reasoningPrompt: (question: string) => string;
  /** The tool-mode few-shot prompt of a tool for a question (before the generation so far). */
  readonly toolPrompt: (tool: string, question: string) => string;
  /** Runs a call: the tool and its argument text `(...)`; returns the normalised result or throws. */
  readonly execute: (tool: string, args: string) => string;
  /** Added to every tool logit in reasoning mode. */
  readonly toolBias?: number;
  readonly maxCalls?: number;
  /** Reasoning tokens per question (spliced results included). */
  readonly maxTokens?: number;
  /** Tokens of one call's arguments. */
  readonly maxArgumentTokens?: number;
  /** Generation ends at the first of these (default: a newline). */
  readonly stop?: readonly string[];
  /** Ranked entries kept at a toolken step for fallback (default 5). */
  readonly fallbackDepth?: number;
  readonly chooser?: ToolChooser;
  /** A winning toolken is its own text, spliced without tool mode (VirtualHome's action and object toolkens). */
  readonly directTools?: boolean;
  /** When a toolken wins, stop there instead of calling it (KAMEL scores the tool chosen). */
  readonly stopAtToolken?: boolean;
  /**
   * Tool mode may only write numbers the question, the reasoning so far or earlier results state (operand-copy.ts):
   * a diagnostic of what operand copying is worth, not the paper's decoding. Off by default.
   */
  readonly copyOperands?: boolean;
  /** Called after each question finishes (progress). */
  readonly onDone?: () => void;
}

export interface ExecutedCall {
  readonly tool: string;
  readonly args: string;
  /** The result, or undefined when the call failed (then `error` says why). */
  readonly result?: string;
  readonly error?: string;
}

export interface DecodedAnswer {
  /** The reasoning text, results spliced in place of calls. */
  readonly text: string;
  /** The same text with every call written out as `<op>(args)=result`. */
  readonly expanded: string;
  readonly calls: readonly ExecutedCall[];
  /** Toolkens a chooser rejected. */
  readonly rejected: number;
  /** The tool chosen at a toolken step when `stopAtToolken` (undefined when none fired). */
  readonly firstTool?: string;
  readonly tokens: number;
}

/** Tokens a spliced result may take (longer results are cut): a splice happens below maxTokens, so a slot needs at
 * most maxTokens + RESULT_ROOM positions after its prompt. */
const RESULT_ROOM = 24;

/** A call written in the text and ready to run: `<op>(args)=` at the end. */
const WRITTEN_CALL_AT_END = /(<[A-Za-z_]\w*>)(\([^()]*\))=$/;

type Mode = 'reason' | 'tool' | 'done';

interface QuestionState {
  readonly question: string;
  mode: Mode;
  /** Reasoning tokens generated so far (spliced results included). */
  ids: number[];
  /** The reasoning text before the current segment, calls expanded. */
  expandedHead: string;
  /** Reasoning tokens since the last splice (the tail of `expanded`). */
  segment: number[];
  calls: ExecutedCall[];
  rejected: number;
  firstTool?: string;
  /** The next reasoning token may not contain a digit. */
  banDigits: boolean;
  /** The logits row this question decides from next, copied out of the session's buffer. */
  logits: Float32Array;
  /** Ranked joint entries of the step where the current toolken won (fallbacks). */
  ranked: number[];
  tool: number;
  argIds: number[];
  /** With copyOperands: the arguments the current call may write. */
  operands: OperandGrammar | null;
}

function argmax(row: Float32Array, from: number, to: number, banned?: (i: number) => boolean): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = from; i < to; i++) {
    const v = row[i]!;
    if (v > bestValue && !(banned?.(i) ?? false)) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

function topEntries(row: Float32Array, count: number): number[] {
  const order = Array.from(row.keys()).filter((i) => Number.isFinite(row[i]!));
  order.sort((a, b) => row[b]! - row[a]!);
  return order.slice(0, count);
}

/** Decodes answers for many questions at once. */
export function decodeAnswers(model: JointModel, codec: TextCodec, questions: readonly string[], o: DecodeOptions): DecodedAnswer[] {
  const maxTokens = o.maxTokens ?? 256;
  const maxCalls = o.maxCalls ?? 8;
  const maxArgumentTokens = o.maxArgumentTokens ?? 32;
  const stop = o.stop ?? ['\n'];
  const bias = o.toolBias ?? 0;
  const depth = o.fallbackDepth ?? 5;
  const bos = codec.bosId === undefined ? [] : [codec.bosId];
  const encodePrompt = (text: string): number[] => [...bos, ...codec.encode(text)];

  // Slots hold the model's whole context. A prompt longer than its room keeps its tail (the question and the
  // generation so far sit at the end, the few-shot demonstrations at the start).
  const capacity = model.maxPositions;
  const reasoningRoom = capacity - maxTokens - RESULT_ROOM;
  const toolRoom = capacity - maxArgumentTokens - 1;
  if (reasoningRoom < 1) throw new RangeError(`decodeAnswers: maxTokens ${maxTokens} leaves no room for a prompt in ${capacity} positions`);
  const keepTail = (ids: number[], room: number): number[] => (ids.length <= room ? ids : [...bos, ...ids.slice(ids.length - room + bos.length)]);
  const prompts = questions.map((q) => keepTail(encodePrompt(o.reasoningPrompt(q)), reasoningRoom));
  const session = model.createSession(2 * questions.length, capacity);
  const vocab = session.vocabSize;
  const width = vocab + session.toolCount;
  if (o.use === 'toolken' && session.toolCount !== o.tools.length) throw new RangeError(`decodeAnswers: the model has ${session.toolCount} tool rows for ${o.tools.length} tools`);
  const digitToken = digitTokens(codec, vocab);
  let texts: string[] | null = null;
  /** Each vocabulary token's text, decoded once when operand copying first needs it. */
  const tokenTexts = (): string[] => (texts ??= Array.from({ length: vocab }, (_, i) => codec.decode([i])));

  const states: QuestionState[] = questions.map((question, q) => {
    const logits = Float32Array.from(session.prefill(2 * q, prompts[q]!));
    return { question, mode: 'reason', ids: [], expandedHead: '', segment: [], calls: [], rejected: 0, banDigits: false, logits, ranked: [], tool: -1, argIds: [], operands: null };
  });

  const finish = (s: QuestionState): void => {
    s.mode = 'done';
    o.onDone?.();
  };
  const textOf = (s: QuestionState): string => codec.decode(s.ids);
  const expandedOf = (s: QuestionState): string => s.expandedHead + codec.decode(s.segment);

  /** Starts tool mode for tool k: a fresh tool slot holding the tool's prompt and the generation so far. */
  const enterTool = (s: QuestionState, q: number, k: number): void => {
    s.mode = 'tool';
    s.tool = k;
    s.argIds = [];
    if (o.copyOperands === true) {
      const grammar = new OperandGrammar(statedNumbers([s.question, expandedOf(s)]));
      s.operands = grammar.empty ? null : grammar;
    }
    session.resetSequence(2 * q + 1);
    const tool = o.tools[k]!;
    s.logits = Float32Array.from(session.prefill(2 * q + 1, keepTail(encodePrompt(o.toolPrompt(tool, s.question) + expandedOf(s) + `${tool}(`), toolRoom)));
  };

  /** Appends result tokens to the reasoning slot after a successful call. */
  const splice = (s: QuestionState, q: number, call: ExecutedCall, written: string): void => {
    const resultIds = codec.encode(call.result!).slice(0, RESULT_ROOM);
    s.expandedHead = expandedOf(s) + written + call.result!;
    s.segment = [];
    s.ids.push(...resultIds);
    s.calls.push(call);
    s.banDigits = true;
    s.mode = 'reason';
    s.logits = Float32Array.from(session.prefill(2 * q, resultIds));
  };

  /** Takes the next fallback entry after a failed call: another tool (tool mode again) or a vocabulary token. */
  const fallBack = (s: QuestionState, q: number): number | undefined => {
    while (s.ranked.length > 0) {
      const next = s.ranked.shift()!;
      if (next >= vocab) {
        if (s.calls.length < maxCalls) {
          enterTool(s, q, next - vocab);
          return undefined;
        }
        continue;
      }
      s.mode = 'reason';
      return next;
    }
    s.mode = 'reason';
    return argmax(s.logits, 0, vocab);
  };

  /** The reasoning token to feed next, or undefined when the question entered tool mode or finished. */
  const reasonStep = (s: QuestionState, q: number): number | undefined => {
    const row = s.logits;
    const toolsOn = o.use === 'toolken' && !s.banDigits && s.calls.length < maxCalls;
    const scored = new Float32Array(width).fill(-Infinity);
    for (let i = 0; i < vocab; i++) scored[i] = s.banDigits && digitToken[i] === 1 ? -Infinity : row[i]!;
    if (toolsOn) for (let k = 0; k < session.toolCount; k++) scored[vocab + k] = row[vocab + k]! + bias;
    s.banDigits = false;
    const best = argmax(scored, 0, width);
    if (best < vocab) return best;
    let ranked = topEntries(scored, depth);
    let k = best - vocab;
    if (o.chooser !== undefined) {
      const choice = o.chooser({ question: s.question, text: textOf(s), rankedTools: ranked.filter((i) => i >= vocab).map((i) => i - vocab) });
      if (choice === 'reject') {
        s.rejected++;
        return argmax(scored, 0, vocab);
      }
      k = choice;
      ranked = [vocab + k, ...ranked.filter((i) => i !== vocab + k)];
    }
    if (o.stopAtToolken === true) {
      s.firstTool = o.tools[k]!;
      finish(s);
      return undefined;
    }
    if (o.directTools === true) {
      const tool = o.tools[k]!;
      splice(s, q, { tool, args: '', result: tool }, '');
      s.banDigits = false;
      return undefined;
    }
    s.ranked = ranked.slice(1);
    enterTool(s, q, k);
    return undefined;
  };

  /** Accepts a reasoning token: ends the question at a stop string, EOS or the budget; runs a written call. */
  const accept = (s: QuestionState, q: number, token: number): number | undefined => {
    if (token === codec.eosId) {
      finish(s);
      return undefined;
    }
    s.ids.push(token);
    s.segment.push(token);
    const text = textOf(s);
    if (stop.some((x) => text.includes(x)) || s.ids.length >= maxTokens) {
      finish(s);
      return undefined;
    }
    if (o.use === 'in-context' && s.calls.length < maxCalls) {
      const written = WRITTEN_CALL_AT_END.exec(expandedOf(s));
      if (written !== null) {
        const [, tool, args] = written;
        const call = runCall(tool!, args!);
        s.calls.push(call);
        if (call.result !== undefined) {
          // The written call stays in the text; its result follows the `=`.
          const resultIds = codec.encode(call.result).slice(0, RESULT_ROOM);
          s.ids.push(...resultIds);
          s.segment.push(...resultIds);
          s.banDigits = true;
          s.logits = Float32Array.from(session.prefill(2 * q, [token, ...resultIds]));
          return undefined;
        }
      }
    }
    return token;
  };

  const runCall = (tool: string, args: string): ExecutedCall => {
    try {
      return { tool, args, result: o.execute(tool, args) };
    } catch (err) {
      return { tool, args, error: (err as Error).message };
    }
  };

  /** One tool-mode token: closes the call at `)` (or fails it at the budget). Returns a reasoning token on fallback. */
  const toolStep = (s: QuestionState, q: number): { slot: number; token: number } | { reason: number } | undefined => {
    const operands = s.operands;
    const written = operands === null ? '' : codec.decode(s.argIds);
    // A token that would leave the stated numbers is banned; so is the end of the sequence before the `)`.
    const copied = operands === null ? -1 : argmax(s.logits, 0, vocab, (i) => i === codec.eosId || !operands.accepts(written + tokenTexts()[i]!));
    // No token continues the stated numbers (a vocabulary without `,` or `)`): the model writes freely.
    const token = copied === -1 ? argmax(s.logits, 0, vocab) : copied;
    const ended = token === codec.eosId;
    if (!ended) s.argIds.push(token);
    const generated = codec.decode(s.argIds);
    const close = generated.indexOf(')');
    if (close === -1 && s.argIds.length < maxArgumentTokens && !ended) return { slot: 2 * q + 1, token };
    const tool = o.tools[s.tool]!;
    const args = '(' + (close === -1 ? generated : generated.slice(0, close + 1));
    const unclosed = ended ? 'the model ended before closing the call' : `the arguments did not close within ${maxArgumentTokens} tokens`;
    const call = close === -1 ? { tool, args, error: unclosed } : runCall(tool, args);
    if (call.result !== undefined) {
      splice(s, q, call, `${tool}${args}=`);
      return undefined;
    }
    s.calls.push(call);
    const next = fallBack(s, q);
    return next === undefined ? undefined : { reason: next };
  };

  for (;;) {
    const slots: number[] = [];
    const tokens: number[] = [];
    const owners: number[] = [];
    states.forEach((s, q) => {
      // A question may change mode several times before it needs the model again (a failed call falls back).
      for (;;) {
        if (s.mode === 'done') return;
        let token: number | undefined;
        if (s.mode === 'reason') token = reasonStep(s, q);
        else {
          const step = toolStep(s, q);
          if (step === undefined) continue;
          if ('slot' in step) {
            slots.push(step.slot);
            tokens.push(step.token);
            owners.push(q);
            return;
          }
          token = step.reason;
        }
        if (token === undefined) continue;
        const fed = accept(s, q, token);
        if (fed === undefined) continue;
        slots.push(2 * q);
        tokens.push(fed);
        owners.push(q);
        return;
      }
    });
    if (slots.length === 0) break;
    const rows = session.decode(slots, tokens);
    owners.forEach((q, i) => {
      states[q]!.logits = Float32Array.from(rows.subarray(i * width, (i + 1) * width));
    });
  }

  return states.map((s) => {
    const text = textOf(s);
    const cut = Math.min(...stop.map((x) => (text.includes(x) ? text.indexOf(x) : text.length)));
    const expanded = expandedOf(s);
    const expandedCut = Math.min(...stop.map((x) => (expanded.includes(x) ? expanded.indexOf(x) : expanded.length)));
    const answer: DecodedAnswer = { text: text.slice(0, cut), expanded: expanded.slice(0, expandedCut), calls: s.calls, rejected: s.rejected, tokens: s.ids.length };
    return s.firstTool === undefined ? answer : { ...answer, firstTool: s.firstTool };
  });
}

/** 1 for every vocabulary token whose text contains a digit. */
function digitTokens(codec: TextCodec, vocab: number): Uint8Array {
  const out = new Uint8Array(vocab);
  for (let i = 0; i < vocab; i++) if (/\d/.test(codec.decode([i]))) out[i] = 1;
  return out;
}
