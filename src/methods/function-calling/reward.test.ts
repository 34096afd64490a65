// The AST reward: the BFCL checker's official verdict on an answer against the example's gold calls, with partial
// credit by rule below 1, and never an exception whatever the answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../tensor/random.js';
import type { ChatToolSpec } from '../../tokenizer/chat-template.js';
import type { FcExample } from './data.js';
import { fcReward, goldCalls, judgeFcAnswer, PARTIAL_CREDIT } from './reward.js';

const weather: ChatToolSpec = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } } };
const news: ChatToolSpec = { type: 'function', function: { name: 'get_news', description: 'News of a topic', parameters: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] } } };
const call = (name: string, args: Record<string, string | number>) => ({ type: 'function' as const, function: { name, arguments: args } });

const single: FcExample = {
  id: 'weather', source: 'test:1', tools: [weather, news],
  messages: [{ role: 'user', content: 'Weather in Paris for 3 days?' }, { role: 'assistant', content: '', tool_calls: [call('get_weather', { city: 'Paris', days: 3 })] }],
};
const parallel: FcExample = {
  ...single, id: 'both',
  messages: [{ role: 'user', content: 'Weather in Paris and news on AI?' }, { role: 'assistant', content: '', tool_calls: [call('get_weather', { city: 'Paris' }), call('get_news', { topic: 'AI' })] }],
};

test("the reward is 1 exactly when the checker accepts: the leaderboard's string standardisation, any order of parallel calls", () => {
  const style = { style: 'prompting' } as const;
  assert.equal(fcReward(single, "[get_weather(city='Paris', days=3)]", style), 1);
  // The checker standardises strings (case, spaces and punctuation ignored).
  assert.equal(fcReward(single, "[get_weather(city='paris ', days=3)]", style), 1);
  assert.equal(fcReward(single, "[get_weather(city='Paris', days=4)]", style), 0);
  assert.equal(fcReward(single, "[get_weather(city='Paris')]", style), 0);
  assert.equal(fcReward(parallel, "[get_news(topic='AI'), get_weather(city='Paris')]", style), 1);
  assert.equal(fcReward(parallel, "[get_weather(city='Paris')]", style), 0);
  // Official prompting reading: a Markdown fence is not unwrapped, so the answer does not decode.
  assert.equal(fcReward(single, "```python\n[get_weather(city='Paris', days=3)]\n```", style), 0);
  assert.equal(judgeFcAnswer(single, "[get_weather(city='Paris', days=4)]", 'prompting').check.valid, false);
});

test('fc style reads <tool_call> blocks of JSON', () => {
  const fc = { style: 'fc' } as const;
  assert.equal(fcReward(single, '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}\n</tool_call>', fc), 1);
  assert.equal(fcReward(single, '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": "3"}}\n</tool_call>', fc), 0);
  assert.equal(fcReward(parallel, '<tool_call>\n{"name": "get_news", "arguments": {"topic": "AI"}}\n</tool_call>\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>', fc), 1);
});

test('partial credit: syntax, then function names, then argument names, each a step, never 1 unless correct', () => {
  const partial = { style: 'prompting', partialCredit: true } as const;
  const { decodes, functionNames, argumentNames } = PARTIAL_CREDIT;
  assert.equal(fcReward(single, 'the weather please', partial), 0);
  assert.equal(fcReward(single, "[get_news(topic='Paris')]", partial), decodes);
  assert.equal(fcReward(single, "[get_weather(town='Paris')]", partial), decodes + functionNames);
  assert.equal(fcReward(single, "[get_weather(city='Paris', days=5)]", partial), decodes + functionNames + argumentNames);
  assert.equal(fcReward(single, "[get_weather(city='Paris', days=3)]", partial), 1);
  assert.ok(decodes + functionNames + argumentNames < 1);
  // Parallel: the names must match as a multiset.
  assert.equal(fcReward(parallel, "[get_weather(city='Paris'), get_weather(city='Rome')]", partial), decodes);
  assert.equal(fcReward(parallel, "[get_news(topic='ML'), get_weather(city='Paris')]", partial), decodes + functionNames + argumentNames);
});

test('the gold is the last calling turn of a dialogue', () => {
  const dialogue: FcExample = {
    ...single,
    messages: [
      ...single.messages,
      { role: 'tool', content: '"sunny"', name: 'get_weather' },
      { role: 'user', content: 'And news on AI?' },
      { role: 'assistant', content: '', tool_calls: [call('get_news', { topic: 'AI' })] },
    ],
  };
  assert.deepEqual(goldCalls(dialogue).map((c) => c.function.name), ['get_news']);
  assert.equal(fcReward(dialogue, "[get_news(topic='AI')]", { style: 'prompting' }), 1);
});

test('fuzzed malformed answers never throw and never earn 1', () => {
  const rng = new Rng(3);
  const pieces = ['[', ']', '(', ')', '{', '}', "'", '"', ',', '=', ':', 'get_weather', 'city', 'Paris', '3', '<tool_call>', '</tool_call>', '\n', ' ', '\\', 'True', '1e999', '-', '.', '__import__', 'eval('];
  for (let i = 0; i < 2000; i++) {
    const length = 1 + rng.int(24);
    const text = Array.from({ length }, () => pieces[rng.int(pieces.length)]!).join('');
    for (const style of ['prompting', 'fc'] as const) {
      const r = fcReward(single, text, { style, partialCredit: true });
      assert.ok(r >= 0 && r <= 1 && Number.isFinite(r), `${JSON.stringify(text)}: ${r}`);
      // A random string may by chance be a correct call; then it is one the checker accepts.
      if (r === 1) assert.ok(judgeFcAnswer(single, text, style).check.valid);
    }
  }
});
