/**
 * Thoughts that quote the task. A ToolGen model of the demo's size picks the right tool for a one-intent request
 * (retrieval NDCG@1 0.93), but not for the next part of a two- or three-part task: thoughts that named the tool
 * tokens to use left it choosing the right first tool on 13 of 40 held-out tasks and the right later tool on 1 of
 * 44 (teacher-forced from gold histories), and its actions did not even follow the tools its thoughts named. So
 * each step's thought is the part of the task that the step does, copied from the task the way argument values
 * are (copy-values.ts): the thought may only be a run of the task's sentences that starts after the part the last
 * thought quoted — the task is worked through in reading order — and the finish thought once it is all quoted. The
 * model still decides how much of the task one step covers, which tool the quoted part needs (Finish included)
 * and its arguments; the action then reads a one-intent request right before it, which is what retrieval training
 * taught.
 */

/** What the thought before the Finish says. */
export const FINISH_THOUGHT = 'I have the answer.';

/** The task's sentences in order; a sentence ends at `.`, `?` or `!` followed by white space. */
export function taskParts(task: string): string[] {
  return task.trim().split(/(?<=[.?!])\s+/).filter((part) => part !== '');
}

/**
 * The text each call of a plan does: the whole task for one call, one sentence per call when the task has as many
 * sentences as the plan has calls; anything else needs its steps given (a DemoTask carries them).
 */
export function planSteps(task: string, calls: number): string[] {
  if (calls === 1) return [task.trim()];
  const parts = taskParts(task);
  if (parts.length !== calls) throw new Error(`a plan of ${calls} calls for a task of ${parts.length} sentences needs its step texts: ${JSON.stringify(task)}`);
  return parts;
}

/**
 * The thoughts allowed next: each run of the task's sentences that starts after the last quoted one, or, once every
 * sentence is quoted, the finish thought. Offered beside the runs, the finish thought was the demo model's choice
 * on 49 of 84 held-out steps that needed a tool (every run ends with it, so its first token is the likeliest);
 * the Finish action itself stays open at every step. `earlier` are the run's thoughts so far.
 */
export function nextThoughts(task: string, earlier: readonly string[]): string[] {
  const parts = taskParts(task);
  const start = Math.max(0, ...earlier.map((thought) => runEnd(parts, thought)));
  const runs: string[] = [];
  for (let end = start + 1; end <= parts.length; end++) runs.push(parts.slice(start, end).join(' '));
  return runs.length === 0 ? [FINISH_THOUGHT] : runs;
}

/**
 * The task as far as a step has read it: its sentences up to the end of the run `quote` (the step's thought). A
 * step's arguments are copied from this and the observations, not from what the task says later, which belongs to
 * later steps: copying from the whole task, "What is the GCD of 84 and 126? Then multiply the result by 3." became
 * gcd(3, 126). The whole task when the quote is no run of its sentences.
 */
export function taskThrough(task: string, quote: string): string {
  const parts = taskParts(task);
  const end = runEnd(parts, quote);
  return end === -1 ? task : parts.slice(0, end).join(' ');
}

/** Where the latest run of `parts` that `quote` repeats ends (an index into `parts`, exclusive); -1 when none does. */
function runEnd(parts: readonly string[], quote: string): number {
  const wanted = quote.trim();
  for (let end = parts.length; end >= 1; end--) {
    for (let start = 0; start < end; start++) if (parts.slice(start, end).join(' ') === wanted) return end;
  }
  return -1;
}
