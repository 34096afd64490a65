/**
 * Stage-by-stage diagnosis of a math method's answers, so that an EM of zero says where the chain broke:
 * - answer format: does the generation end in an answer the scorer reads (`answer is` or `####`)?
 * - firing: did the method call a tool at all, and was its first call the gold solution's first tool?
 * - arguments: did the calls' arguments parse and execute, and do the arguments of a call of a gold tool equal
 *   that gold call's operands (operand copying)?
 * - the last step: when a call returned the gold answer, was the final answer extracted right?
 */
import { parseFuncqaArguments } from '../../tools/executors/funcqa.js';
import type { MathQuestion } from './data.js';
import type { MethodResult } from './pipeline.js';
import { approxMatch } from './scoring.js';

export interface MathDiagnostics {
  /** Generations holding `answer is` or `####`. */
  readonly answerFormat: number;
  /** Questions with at least one call. */
  readonly fired: number;
  /** Among questions with a call: the first call's tool is the first gold call's tool. */
  readonly firstToolAccuracy: number;
  /** Calls whose arguments parsed and executed. */
  readonly argumentsExecuted: number;
  /** Calls matched by tool to a gold call (in order, each gold call once). */
  readonly goldToolCalls: number;
  /** Among those: the arguments equal the gold call's operands, in order. */
  readonly operandCopy: number;
  /** Questions where some call returned the gold answer. */
  readonly correctCallQuestions: number;
  /** Among those: the final answer is an exact match. */
  readonly answerAfterCorrectCall: number;
}

const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d);

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= 1e-9 * Math.max(1, Math.abs(b[i]!)));
}

function argumentsOf(text: string): number[] | undefined {
  try {
    return parseFuncqaArguments(text);
  } catch {
    return undefined;
  }
}

/** Diagnoses a method's results on the questions they answer (same order). */
export function diagnoseMath(result: MethodResult, questions: readonly MathQuestion[]): MathDiagnostics {
  if (result.results.length !== questions.length) throw new RangeError(`diagnoseMath: ${result.results.length} results for ${questions.length} questions`);
  let formatted = 0;
  let fired = 0;
  let firstRight = 0;
  let calls = 0;
  let executed = 0;
  let goldToolCalls = 0;
  let copied = 0;
  let correctCall = 0;
  let rightAfter = 0;
  result.results.forEach((r, i) => {
    const q = questions[i]!;
    if (/answer is|####/.test(r.text)) formatted++;
    if (r.calls.length > 0) {
      fired++;
      if (r.calls[0]!.tool === q.calls[0]?.tool) firstRight++;
    }
    const unused = [...q.calls];
    for (const call of r.calls) {
      calls++;
      if (call.result !== undefined) executed++;
      const at = unused.findIndex((g) => g.tool === call.tool);
      if (at === -1) continue;
      const gold = unused.splice(at, 1)[0]!;
      goldToolCalls++;
      const args = argumentsOf(call.args);
      if (args !== undefined && sameNumbers(args, gold.args)) copied++;
    }
    if (r.calls.some((c) => c.result !== undefined && approxMatch(Number(c.result), q.answer))) {
      correctCall++;
      if (r.correct) rightAfter++;
    }
  });
  const n = questions.length;
  return {
    answerFormat: ratio(formatted, n), fired: ratio(fired, n), firstToolAccuracy: ratio(firstRight, fired), argumentsExecuted: ratio(executed, calls),
    goldToolCalls, operandCopy: ratio(copied, goldToolCalls), correctCallQuestions: correctCall, answerAfterCorrectCall: ratio(rightAfter, correctCall),
  };
}
