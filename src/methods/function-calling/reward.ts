/**
 * The reward of a model's answer to a function-calling example: 1 when the BFCL checker, official reading, accepts
 * the calls decoded from the answer against the example's gold calls, else 0 — the AST reward of "What Actually
 * Improves LLM Tool Calling?". The gold calls are those of the example's last assistant turn that calls (the turn a
 * prompt built from the example asks for, train-prompts.ts), each argument's gold value the only acceptable one,
 * checked against the example's own tools as in data-check.ts. The answer is decoded the way the BFCL runner's
 * answers are scored in the same style: Python call syntax (`prompting`) or `<tool_call>` / JSON calls (`fc`).
 *
 * Partial credit (optional, for GRPO, where a group of all-zero rewards trains nothing) rewards an answer the
 * checker rejects by rule, each step only when the ones before it hold:
 *   0.25  it decodes to at least one call (valid syntax);
 *   0.25  the called functions are the gold ones (the same names, as many times each);
 *   0.25  every call names each required argument of its function and no argument the function does not declare.
 * So a rejected answer earns at most 0.75: only the checker's acceptance is worth 1. Malformed output is a reward,
 * never an exception.
 */
import { checkCalls, type CheckResult } from '../../eval/bfcl/checker.js';
import { decodeModelOutput } from '../../tools/calls/decode.js';
import type { DecodedCall } from '../../tools/calls/python-syntax.js';
import type { ChatToolCall } from '../../tokenizer/chat-template.js';
import { functionDoc, goldTruths } from './data-check.js';
import type { FcExample } from './data.js';
import type { FcStyle } from './train-render.js';

export interface FcRewardOptions {
  readonly style: FcStyle;
  /** Reward rejected answers by the rules above (default: 0 or 1 only). */
  readonly partialCredit?: boolean;
}

/** What each partial-credit rule is worth; together less than 1. */
export const PARTIAL_CREDIT = { decodes: 0.25, functionNames: 0.25, argumentNames: 0.25 } as const;

/** The verdict on one answer: the checker's result, and the calls it decoded (none when it did not decode). */
export interface FcJudgement {
  readonly check: CheckResult;
  readonly calls: readonly DecodedCall[];
}

/** The index of the example's last assistant turn with tool calls: the turn its prompt asks for. */
export function targetTurn(example: FcExample): number {
  for (let i = example.messages.length - 1; i >= 0; i--) {
    const m = example.messages[i]!;
    if (m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0) return i;
  }
  throw new Error(`example ${example.id} has no assistant turn with tool calls`);
}

/** The gold calls of the example's target turn. */
export function goldCalls(example: FcExample): readonly ChatToolCall[] {
  return example.messages[targetTurn(example)]!.tool_calls!;
}

/** Decodes an answer and checks it against the example's gold calls (BFCL checker, official reading). */
export function judgeFcAnswer(example: FcExample, answer: string, style: FcStyle): FcJudgement {
  const decoded = decodeModelOutput(answer, 'python', { reading: 'official', mode: style });
  if (!decoded.ok) return { check: { valid: false, rule: 'ast_decoder:decoder_failed', message: decoded.error }, calls: [] };
  const gold = goldCalls(example);
  const check = checkCalls(gold.length > 1 ? 'parallel' : 'multiple', example.tools.map(functionDoc), decoded.calls, goldTruths(gold, example.tools), { language: 'python', reading: 'official' });
  return { check, calls: decoded.calls };
}

const sortedNames = (names: readonly string[]): string => [...names].sort().join('\u0000');

/** The argument-name rule: every call names its function's required arguments and only declared ones. */
function argumentNamesRight(example: FcExample, calls: readonly DecodedCall[]): boolean {
  return calls.every((call) => {
    const tool = example.tools.find((t) => t.function.name === call.name);
    if (tool === undefined) return false;
    const doc = functionDoc(tool);
    const declared = Object.keys(doc.parameters.properties);
    return doc.parameters.required.every((r) => call.args.has(r)) && [...call.args.keys()].every((k) => declared.includes(k));
  });
}

/** 1 when the checker accepts the answer, else 0 or, with partial credit, the rules' sum (< 1). */
export function fcReward(example: FcExample, completionText: string, options: FcRewardOptions): number {
  const { check, calls } = judgeFcAnswer(example, completionText, options.style);
  if (check.valid) return 1;
  if (!options.partialCredit || calls.length === 0) return 0;
  let reward = PARTIAL_CREDIT.decodes;
  if (sortedNames(calls.map((c) => c.name)) !== sortedNames(goldCalls(example).map((c) => c.function.name))) return reward;
  reward += PARTIAL_CREDIT.functionNames;
  if (argumentNamesRight(example, calls)) reward += PARTIAL_CREDIT.argumentNames;
  return reward;
}
