import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { toolDocument } from '../../tools/catalog.js';
import type { Tool } from '../../tools/types.js';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import {
  agentTuningExample,
  isTrainedTurn,
  memorizationExamples,
  readToolBenchAnswer,
  retrievalExamples,
  type AgentTuningOptions,
} from './examples.js';

const token = (id: string): string => `<<${id}>>`;

const tool: Tool = {
  id: 'Weather&&forecast',
  name: 'forecast_for_weather',
  description: 'Daily forecast',
  group: { name: 'Weather', description: 'Weather data' },
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', description: 'City name' }, days: { type: 'integer' } },
    required: ['city'],
  },
};

test('memorization maps the tool document to its tool text', () => {
  assert.deepEqual(memorizationExamples([tool], token), [
    {
      messages: [
        { role: 'user', content: toolDocument(tool) },
        { role: 'assistant', content: '<<Weather&&forecast>>' },
      ],
    },
  ]);
  assert.match(toolDocument(tool), /^Tool name: Weather\n/);
});

test('retrieval gives one example per query and relevant tool', () => {
  const examples = retrievalExamples([{ id: 'q', query: 'rain and sun?', relevant: ['a', 'b'] }], token);
  assert.deepEqual(examples, [
    { messages: [{ role: 'user', content: 'rain and sun?' }, { role: 'assistant', content: '<<a>>' }] },
    { messages: [{ role: 'user', content: 'rain and sun?' }, { role: 'assistant', content: '<<b>>' }] },
  ]);
  assert.deepEqual(examples[0]!.messages.map(isTrainedTurn), [false, true]);
});

const dir = mkdtempSync(join(tmpdir(), 'toolken-toolgen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function answerFile(finishType: string, chain: unknown[]): string {
  const path = join(dir, `${finishType}-${chain.length}.json`);
  const functions = [
    {
      name: 'forecast_for_weather',
      description: 'This is the subfunction for tool "weather", you can use this tool.The description of this function is: "Daily forecast"',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'], optional: [] },
    },
    { name: 'Finish', description: 'finish', parameters: { type: 'object', properties: {} } },
  ];
  writeFileSync(path, JSON.stringify({ answer_generation: { valid_data: true, finish_type: finishType, query: 'q', function: functions, train_messages: [chain.slice(0, 2), chain] } }));
  return path;
}

const chain = [
  { role: 'system', content: 'You have access of the following tools: weather ...' },
  { role: 'user', content: '\nWill it rain in Oslo?\nBegin!\n' },
  { role: 'assistant', content: 'I should call forecast_for_weather for Oslo.', function_call: { name: 'forecast_for_weather', arguments: '{\n  "city": "Oslo"\n}' } },
  { role: 'function', name: 'forecast_for_weather', content: '{"rain": true}' },
  { role: 'assistant', content: null, function_call: { name: 'Finish', arguments: '{"return_type": "give_answer", "final_answer": "Yes"}' } },
];
const options: AgentTuningOptions = { toolText: token, toolIdOf: (name) => (name === 'forecast_for_weather' ? 'Weather&&forecast' : undefined), finishText: '<<Finish>>', systemPrompt: 'SYSTEM' };

test('agent tuning splits each step into thought, action token, documentation, arguments and result', () => {
  const result = agentTuningExample(readToolBenchAnswer(answerFile('give_answer', chain)), options);
  assert.ok(result.ok);
  const doc = '{"name":"<<Weather&&forecast>>","description":"Daily forecast","required":[{"name":"city","type":"string","description":"City name"}],"optional":[]}';
  assert.deepEqual(result.example.messages, [
    { role: 'system', content: 'SYSTEM' },
    { role: 'user', content: 'Will it rain in Oslo?\nBegin!' },
    { role: 'assistant', content: 'I should call <<Weather&&forecast>> for Oslo.' },
    { role: 'user', content: 'Generate the action.' },
    { role: 'assistant', content: '<<Weather&&forecast>>' },
    { role: 'user', content: `Please give the input. Here is the documentation: ${doc}` },
    { role: 'assistant', content: '{"city":"Oslo"}' },
    { role: 'tool', content: '{"rain": true}' },
    { role: 'assistant', content: '<<Finish>>' },
    {
      role: 'user',
      content:
        'Please give the input. Here is the documentation: {"name":"<<Finish>>","description":"Ends the task. Use return_type \\"give_answer\\" with the final answer shown to the user, or \\"give_up_and_restart\\" when the task cannot be completed from this state.","required":[{"name":"return_type","type":"string","description":"\\"give_answer\\" or \\"give_up_and_restart\\""}],"optional":[{"name":"final_answer","type":"string","description":"The complete answer for the user (with give_answer)"}]}',
    },
    { role: 'assistant', content: '{"return_type":"give_answer","final_answer":"Yes"}' },
  ]);
});

test('agent tuning refuses give-ups, unknown tools and chains without Finish, saying why', () => {
  const gaveUp = answerFile('give_up', chain);
  assert.deepEqual(agentTuningExample(readToolBenchAnswer(gaveUp), options), { ok: false, reason: `${gaveUp}: finishes with 'give_up', not give_answer` });
  assert.equal(agentTuningExample(readToolBenchAnswer(gaveUp), { ...options, keepGiveUps: true }).ok, true);
  const path = answerFile('give_answer', chain);
  assert.deepEqual(agentTuningExample(readToolBenchAnswer(path), { ...options, toolIdOf: () => undefined }), {
    ok: false,
    reason: `${path}: no tool id for function 'forecast_for_weather'`,
  });
  const unfinished = answerFile('give_answer', chain.slice(0, 4));
  assert.deepEqual(agentTuningExample(readToolBenchAnswer(unfinished), options), { ok: false, reason: `${unfinished}: the chain does not end with a call to Finish` });
});

test('the real ToolBench answers convert, or are refused with a reason', (t) => {
  const answers = join(sharedDatasetsDir(), 'toolbench-examples', 'data_example', 'answer');
  if (!existsSync(answers)) return t.skip('../shared absent');
  let converted = 0;
  for (const group of readdirSync(answers)) {
    for (const file of readdirSync(join(answers, group))) {
      const result = agentTuningExample(readToolBenchAnswer(join(answers, group, file)), { ...options, toolIdOf: (name) => name });
      if (!result.ok) continue;
      converted++;
      const roles = result.example.messages.map((m) => m.role);
      assert.equal(roles[0], 'system');
      assert.equal(result.example.messages.at(-2)!.content.startsWith('Please give the input.'), true);
      for (let i = 0; i < roles.length; i++) {
        if (result.example.messages[i]!.content === 'Generate the action.') assert.equal(roles[i - 1], 'assistant');
      }
    }
  }
  assert.equal(converted, 8);
});
