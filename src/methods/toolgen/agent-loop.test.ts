import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChatMessage } from '../../tokenizer/chat-template.js';
import { FunctionExecutor } from '../../tools/executors/registry.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import { writeJsonAtomic } from '../../util/fs.js';
import {
  runAgent,
  UNKNOWN_ACTION_OBSERVATION,
  type ActionChoice,
  type AgentEvent,
  type AgentPolicy,
  type ArgumentsChoice,
  type CopyContext,
  type TurnSampling,
} from './agent-loop.js';
import { agentTuningExample, FINISH_FUNCTION, readToolBenchAnswer } from './examples.js';
import { functionNameOf, trajectoryAnswerFile } from './trajectory.js';

const tool = (id: string, properties: Tool['parameters']['properties']): Tool => ({
  id,
  name: id,
  description: `The ${id} tool.`,
  parameters: { type: 'object', properties, required: Object.keys(properties) },
});
const add = tool('add', { a: { type: 'number' }, b: { type: 'number' } });
const square = tool('square', { x: { type: 'number' } });
const broken = tool('broken', {});
const slow = tool('slow', {});
const TOOLS = [add, square, broken, slow];

function executor(): FunctionExecutor {
  const e = new FunctionExecutor({ timeoutMs: 50 });
  e.register(add, (a) => String((a.a as number) + (a.b as number)));
  e.register(square, (a) => String((a.x as number) ** 2));
  e.register(broken, () => {
    throw new Error('the service is down');
  });
  e.register(slow, (_a, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve('late'))));
  return e;
}

/** One scripted step: what the model writes at each turn, possibly depending on the sampling temperature. */
interface ScriptStep {
  thought?: string;
  action: string;
  args?: JsonValue | string;
}

/**
 * A policy that plays a script: `steps(temperature)` at every step, so a test can make the greedy try give up and
 * a hotter one answer. It records every turn it was asked for, with the temperature.
 */
class ScriptedPolicy implements AgentPolicy {
  readonly asked: { turn: string; temperature: number; last: ChatMessage | undefined }[] = [];
  private step = 0;
  private current: ScriptStep | undefined;

  constructor(private readonly script: (step: number, temperature: number) => ScriptStep) {}

  toolText(toolId: string): string {
    return `<<${toolId}>>`;
  }

  thought(messages: readonly ChatMessage[], sampling: TurnSampling): string {
    this.asked.push({ turn: 'thought', temperature: sampling.temperature, last: messages[messages.length - 1] });
    // A new step begins after the task or after an observation; a retry of the same step comes after the same turn.
    const stepIndex = messages.filter((m) => m.role === 'tool').length;
    this.step = stepIndex;
    this.current = this.script(this.step, sampling.temperature);
    return this.current.thought ?? '';
  }

  action(messages: readonly ChatMessage[], allowed: readonly string[], sampling: TurnSampling): ActionChoice {
    this.asked.push({ turn: 'action', temperature: sampling.temperature, last: messages[messages.length - 1] });
    const name = this.current!.action;
    return { text: `<<${name}>>`, toolId: allowed.includes(name) ? name : undefined };
  }

  arguments(messages: readonly ChatMessage[], _tool: Tool, _context: CopyContext, sampling: TurnSampling): ArgumentsChoice {
    this.asked.push({ turn: 'arguments', temperature: sampling.temperature, last: messages[messages.length - 1] });
    const args = this.current!.args ?? {};
    const text = typeof args === 'string' ? args : JSON.stringify(args);
    try {
      return { text, value: JSON.parse(text) as JsonValue };
    } catch {
      return { text, value: undefined };
    }
  }
}

const answer = (text: string): ScriptStep => ({ thought: 'I have the answer.', action: FINISH_FUNCTION, args: { return_type: 'give_answer', final_answer: text } });
const giveUp: ScriptStep = { thought: 'This cannot be done.', action: FINISH_FUNCTION, args: { return_type: 'give_up_and_restart' } };

test('a task runs Thought -> action -> arguments -> observation until Finish gives the answer', async () => {
  const script: ScriptStep[] = [
    { thought: 'First add the numbers.', action: 'add', args: { a: 2, b: 3 } },
    { thought: 'Now square the sum.', action: 'square', args: { x: 5 } },
    answer('25'),
  ];
  const policy = new ScriptedPolicy((s) => script[s]!);
  const events: AgentEvent[] = [];
  const run = await runAgent({ task: 'Square the sum of 2 and 3.', policy, tools: TOOLS, executor: executor(), onEvent: (e) => events.push(e) });
  assert.equal(run.finishType, 'give_answer');
  assert.equal(run.answer, '25');
  assert.deepEqual(run.steps.map((s) => [s.action.toolId, s.kind, s.observation]), [
    ['add', 'call', '{"error":"","response":"5"}'],
    ['square', 'call', '{"error":"","response":"25"}'],
    [FINISH_FUNCTION, 'finish', ''],
  ]);
  // The conversation is the one agent tuning trains on, turn for turn.
  assert.deepEqual(run.messages.slice(1, 8).map((m) => [m.role, m.content.slice(0, 40)]), [
    ['user', 'Square the sum of 2 and 3.'],
    ['assistant', 'First add the numbers.'],
    ['user', 'Generate the action.'],
    ['assistant', '<<add>>'],
    ['user', 'Please give the input. Here is the docum'],
    ['assistant', '{"a":2,"b":3}'],
    ['tool', '{"error":"","response":"5"}'],
  ]);
  assert.match(run.messages[5]!.content, /"required":\[\{"name":"a","type":"number"/);
  assert.deepEqual(events.map((e) => e.kind), [
    'thought', 'action', 'arguments', 'observation',
    'thought', 'action', 'arguments', 'observation',
    'thought', 'action', 'arguments', 'finish',
  ]);
  assert.ok(policy.asked.every((a) => a.temperature === 0), 'no retry was needed, so every turn is greedy');
});

test('a give-up is regenerated at the next temperatures of the schedule until a try answers', async () => {
  const policy = new ScriptedPolicy((_s, temperature) => (temperature < 1 ? giveUp : answer('done')));
  const events: AgentEvent[] = [];
  const run = await runAgent({ task: 'Do it.', policy, tools: TOOLS, executor: executor(), onEvent: (e) => events.push(e) });
  assert.equal(run.finishType, 'give_answer');
  assert.equal(run.steps.length, 1);
  assert.equal(run.steps[0]!.retries, 2);
  assert.deepEqual(events.filter((e) => e.kind === 'retry').map((e) => (e.kind === 'retry' ? e.temperature : -1)), [0.6, 1.0]);
  assert.deepEqual([...new Set(policy.asked.map((a) => a.temperature))], [0, 0.6, 1.0]);
  // The given-up tries leave no trace in the conversation.
  assert.equal(run.messages.filter((m) => m.role === 'assistant' && m.content.includes('give_up')).length, 0);
});

test('an apology in the thought triggers a retry; with retry off the give-up ends the run', async () => {
  const sorry = new ScriptedPolicy((_s, t) => (t === 0 ? { thought: "I'm sorry, I cannot.", action: 'add', args: { a: 1, b: 1 } } : answer('2')));
  const retried = await runAgent({ task: 'Add 1 and 1.', policy: sorry, tools: TOOLS, executor: executor() });
  assert.equal(retried.finishType, 'give_answer');
  assert.equal(retried.steps[0]!.retries, 1);

  const off = await runAgent({ task: 'Do it.', policy: new ScriptedPolicy(() => giveUp), tools: TOOLS, executor: executor(), options: { retryTemperatures: [0] } });
  assert.equal(off.finishType, 'give_up');
  assert.equal(off.answer, '');
  assert.equal(off.steps[0]!.retries, 0);

  const exhausted = await runAgent({ task: 'Do it.', policy: new ScriptedPolicy(() => giveUp), tools: TOOLS, executor: executor() });
  assert.equal(exhausted.finishType, 'give_up');
  assert.equal(exhausted.steps[0]!.retries, 4, 'five tries in all');
});

test('repeating an earlier call retries only when asked to', async () => {
  const repeat = (s: number, t: number): ScriptStep => (s === 0 || t === 0 ? { thought: 'Add.', action: 'add', args: { a: 1, b: 2 } } : answer('3'));
  const plain = await runAgent({ task: 'Add.', policy: new ScriptedPolicy(repeat), tools: TOOLS, executor: executor(), options: { maxSteps: 3 } });
  assert.equal(plain.finishType, 'step_limit');
  const retried = await runAgent({ task: 'Add.', policy: new ScriptedPolicy(repeat), tools: TOOLS, executor: executor(), options: { maxSteps: 3, retryOnRepeat: true } });
  assert.equal(retried.finishType, 'give_answer');
  assert.deepEqual(retried.steps.map((s) => s.retries), [0, 1]);
});

test('the step limit stops a run that never finishes', async () => {
  const run = await runAgent({ task: 'Loop.', policy: new ScriptedPolicy(() => ({ action: 'square', args: { x: 2 } })), tools: TOOLS, executor: executor(), options: { maxSteps: 4 } });
  assert.equal(run.finishType, 'step_limit');
  assert.equal(run.steps.length, 4);
  // Without a thought the action follows the observation directly (as agent tuning writes such steps).
  assert.deepEqual(run.messages.slice(2, 4).map((m) => m.role), ['assistant', 'user']);
  assert.equal(run.messages[2]!.content, '<<square>>');
});

test('observations are cut to the configured length', async () => {
  const long = tool('long', {});
  const e = new FunctionExecutor();
  e.register(long, () => 'x'.repeat(500));
  const script: ScriptStep[] = [{ action: 'long' }, answer('ok')];
  const run = await runAgent({ task: 'Read.', policy: new ScriptedPolicy((s) => script[s]!), tools: [long], executor: e, options: { maxObservationChars: 40 } });
  assert.equal(run.steps[0]!.observation.length, 40);
  assert.equal(run.messages.find((m) => m.role === 'tool')!.content.length, 40);
});

test('a failing tool, a timing-out tool and unparsable arguments are observations; the run goes on', async () => {
  const script: ScriptStep[] = [{ action: 'broken' }, { action: 'slow' }, { action: 'add', args: '{"a": 1,' }, { action: 'add', args: { a: 'one', b: 2 } }, answer('gave up on the tools')];
  const run = await runAgent({ task: 'Try everything.', policy: new ScriptedPolicy((s) => script[s]!), tools: TOOLS, executor: executor() });
  assert.equal(run.finishType, 'give_answer');
  assert.deepEqual(run.steps.map((s) => s.kind), ['call', 'call', 'invalid-arguments', 'call', 'finish']);
  assert.match(run.steps[0]!.observation, /the service is down/);
  assert.match(run.steps[1]!.observation, /did not answer within 50 ms/);
  assert.match(run.steps[2]!.observation, /not valid JSON/);
  assert.match(run.steps[3]!.observation, /invalid arguments for add/);
});

test('without the constraint an unknown action reads "Action does not exist" and the model tries again', async () => {
  const script: ScriptStep[] = [{ thought: 'Use the multiplier.', action: 'multiply', args: { a: 2 } }, { action: 'add', args: { a: 2, b: 2 } }, answer('4')];
  const run = await runAgent({ task: 'Double 2.', policy: new ScriptedPolicy((s) => script[s]!), tools: TOOLS, executor: executor() });
  assert.equal(run.steps[0]!.kind, 'unknown-action');
  assert.equal(run.steps[0]!.observation, UNKNOWN_ACTION_OBSERVATION);
  assert.equal(run.steps[0]!.action.toolId, undefined);
  // No arguments are asked for an action that does not exist.
  assert.deepEqual(run.messages.slice(2, 6).map((m) => [m.role, m.content]), [
    ['assistant', 'Use the multiplier.'],
    ['user', 'Generate the action.'],
    ['assistant', '<<multiply>>'],
    ['tool', UNKNOWN_ACTION_OBSERVATION],
  ]);
  assert.equal(run.answer, '4');
});

const dir = mkdtempSync(join(tmpdir(), 'toolken-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a trajectory written in the ToolBench answer format reads back as the conversation the model saw', async () => {
  const weather: Tool = { ...tool('Weather&&forecast', { city: { type: 'string', description: 'City name' } }), name: 'forecast' };
  const e = new FunctionExecutor();
  e.register(weather, (a) => JSON.stringify({ city: a.city, high: 21 }));
  const script: ScriptStep[] = [{ thought: 'Look up the forecast.', action: weather.id, args: { city: 'Paris' } }, answer('21 degrees')];
  const run = await runAgent({ task: 'How warm will Paris be?', policy: new ScriptedPolicy((s) => script[s]!), tools: [weather], executor: e });
  const file = join(dir, 'run.json');
  writeJsonAtomic(file, trajectoryAnswerFile(run));
  const read = readToolBenchAnswer(file);
  assert.equal(read.finishType, 'give_answer');
  assert.equal(read.query, 'How warm will Paris be?');
  assert.deepEqual(read.functions.map((f) => f.name), [functionNameOf(weather), FINISH_FUNCTION]);
  const converted = agentTuningExample(read, {
    toolText: (id) => `<<${id}>>`,
    toolIdOf: (name) => (name === functionNameOf(weather) ? weather.id : undefined),
    finishText: `<<${FINISH_FUNCTION}>>`,
  });
  assert.ok(converted.ok, converted.ok ? '' : converted.reason);
  assert.deepEqual(converted.example.messages, run.messages);
});

test('an abort signal cancels a run at its next turn and the tool call in flight, rejecting with the reason', async () => {
  const controller = new AbortController();
  const policy = new ScriptedPolicy(() => ({ thought: 'Wait for it.', action: 'slow', args: {} }));
  const started = performance.now();
  // The slow tool only returns when its own signal aborts: the run's signal must reach the call.
  setTimeout(() => controller.abort(new Error('the user pressed stop')), 10);
  const exec = new FunctionExecutor({ timeoutMs: 60_000 });
  exec.register(slow, (_a, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve('late'))));
  await assert.rejects(runAgent({ task: 'Be slow.', policy, tools: [slow], executor: exec, signal: controller.signal }), /the user pressed stop/);
  assert.ok(performance.now() - started < 5_000);
  assert.equal(policy.asked.filter((a) => a.turn === 'thought').length, 1);

  const before = new ScriptedPolicy(() => answer('never'));
  await assert.rejects(runAgent({ task: 'x', policy: before, tools: TOOLS, executor: executor(), signal: AbortSignal.abort() }), (err: unknown) => err instanceof DOMException && err.name === 'AbortError');
  assert.equal(before.asked.length, 0);
});
