// The prompts the leaderboard shows a model, checked against what its Python code prints. (Across the 1,603 questions
// of simple_python, simple_java, simple_javascript and live_multiple, bfclSystemPrompt was compared once with the
// official formulate_system_prompt run on the same files: byte for byte equal.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJson } from '../../tools/calls/json.js';
import type { BfclEntry } from './dataset.js';
import { argumentSchema, bfclSystemPrompt, fcTools, languageHintedFunctions, promptingMessages, pythonJsonDumps } from './prompts.js';

const value = parseJson('{"name": "f.g", "d": "café ☕ \\"q\\"\\n", "n": [1, 2.0, 1e-07, -0.5], "e": [], "o": {}, "b": [true, null]}');

describe("Python's json.dumps", () => {
  test('indent=4, ensure_ascii, ints apart from floats (as Python prints it)', () => {
    assert.equal(
      pythonJsonDumps(value, 4),
      '{\n    "name": "f.g",\n    "d": "caf\\u00e9 \\u2615 \\"q\\"\\n",\n    "n": [\n        1,\n        2.0,\n        1e-07,\n        -0.5\n    ],\n    "e": [],\n    "o": {},\n    "b": [\n        true,\n        null\n    ]\n}',
    );
  });
  test('without indent, with its default separators', () => {
    assert.equal(pythonJsonDumps(value), '{"name": "f.g", "d": "caf\\u00e9 \\u2615 \\"q\\"\\n", "n": [1, 2.0, 1e-07, -0.5], "e": [], "o": {}, "b": [true, null]}');
  });
});

const doc = parseJson('{"name": "Db.query", "description": "Runs a query.", "parameters": {"type": "dict", "properties": {"ids": {"type": "ArrayList", "description": "Row ids.", "items": {"type": "long"}}, "ctx": {"type": "any", "description": "Context."}, "ratio": {"type": "float", "description": "Ratio."}}, "required": ["ids"]}}');
const entry = (category: BfclEntry['category']): BfclEntry => ({
  id: `${category}_0`,
  category,
  functions: [],
  turns: [[{ role: 'user', content: 'Find rows 1 and 2.' }]],
  functionSource: [doc],
});

describe('function docs as the leaderboard shows them', () => {
  test('Java: a language note, every parameter a string naming its Java type, list element types folded in', () => {
    const [fn] = languageHintedFunctions(entry('simple_java'));
    assert.equal(
      pythonJsonDumps(fn!),
      '{"name": "Db.query", "description": "Runs a query. Note that the provided function is in Java 8 SDK syntax.", "parameters": {"type": "dict", "properties": {"ids": {"type": "string", "description": "Row ids. This is Java ArrayList type parameter in string representation. The list elements are of type long; they are not in string representation."}, "ctx": {"type": "string", "description": "Context. This parameter can be of any type of Java object in string representation."}, "ratio": {"type": "string", "description": "Ratio. This is Java float type parameter in string representation."}}, "required": ["ids"]}}',
    );
  });

  test('Python keeps its types; the source doc is not changed', () => {
    const [fn] = languageHintedFunctions(entry('simple_python'));
    assert.match(pythonJsonDumps(fn!), /"description": "Runs a query\. Note that the provided function is in Python 3 syntax\."/);
    assert.match(pythonJsonDumps(doc), /"description": "Runs a query\.", /);
  });

  test('the system prompt: persona and task joined as the template joins them, then the docs', () => {
    const prompt = bfclSystemPrompt([doc]);
    assert.ok(prompt.startsWith('You are an expert in composing functions.You are given a question and a set of possible functions.'));
    assert.ok(prompt.includes('you MUST put it in the format of [func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)].  You SHOULD NOT include any other text in the response.\n\nAt each turn,'));
    assert.ok(prompt.endsWith(`Here is a list of functions in json format that you can invoke.\n${pythonJsonDumps([doc], 4)}\n`));
  });

  test('a question with its own system message gets the prompt in front of it', () => {
    const e = { ...entry('simple_python'), turns: [[{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]] };
    const messages = promptingMessages(e);
    assert.equal(messages.length, 2);
    assert.ok(messages[0]!.content.endsWith('\n\nBe brief.'));
  });

  test('fc tools are the hinted docs themselves; the argument schema has OpenAPI types', () => {
    const [tool] = fcTools(entry('simple_python'));
    assert.equal(tool!.name, 'Db.query');
    assert.deepEqual(argumentSchema(doc), {
      type: 'object',
      properties: {
        ids: { type: 'array', description: 'Row ids.', items: { type: 'integer' } },
        ctx: { type: 'string', description: 'Context.' },
        ratio: { type: 'number', description: 'Ratio. This is a float type value.', format: 'float' },
      },
      required: ['ids'],
    });
  });
});
