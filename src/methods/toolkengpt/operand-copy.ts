/**
 * Operand copying for ToolkenGPT's tool mode — a diagnostic beside the paper's method, not part of it. A small base
 * trained from scratch picks the right tool long before it copies the operands digit by digit, so every method's EM
 * stays near 0 and the orderings the paper reports cannot show. Restricting a call's argument text to numbers the
 * context already holds (the question, the reasoning so far and earlier results), written `a, b, ...)`, measures
 * what the methods would score with a base that copies: the model still chooses the tool, which numbers, in which
 * order and how many; it can only not invent a number.
 */

const NUMBER = /-?\d+(?:\.\d+)?/g;

/** The numbers a context states, as written (`1,000` gives `1` and `000`: FuncQA writes no thousands separators). */
export function statedNumbers(texts: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const text of texts) for (const m of text.matchAll(NUMBER)) out.add(m[0]);
  return out;
}

/** Whether `text` (the arguments after `(`) can still become a list of stated numbers closed by `)`. */
export class OperandGrammar {
  private readonly prefixes = new Set<string>();

  constructor(private readonly numbers: ReadonlySet<string>) {
    for (const n of numbers) for (let i = 1; i <= n.length; i++) this.prefixes.add(n.slice(0, i));
  }

  get empty(): boolean {
    return this.numbers.size === 0;
  }

  /** True while `text` is a prefix of `n1, n2, ..., nk)` with every n stated (anything may follow the `)`). */
  accepts(text: string): boolean {
    let at = 0;
    for (;;) {
      let end = at;
      while (end < text.length && /[-\d.]/.test(text[end]!)) end++;
      const number = text.slice(at, end);
      if (end === text.length) return number === '' || this.prefixes.has(number);
      if (!this.numbers.has(number)) return false;
      if (text[end] === ')') return true;
      if (text[end] !== ',') return false;
      if (end + 1 === text.length) return true;
      if (text[end + 1] !== ' ') return false;
      at = end + 2;
    }
  }
}
