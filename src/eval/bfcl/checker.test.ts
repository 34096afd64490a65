// Hand-written perturbations of small BFCL entries, each with the verdict the official AST checker's rules give.
// Every case goes through the full path: decode the output, then check it against the possible answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { standardizeString } from './checker.js';
import type { BfclCategory, BfclEntry, FunctionDoc, GroundTruthCall, ParamSchema } from './dataset.js';
import { parseJson } from '../../tools/calls/json.js';
import { judgeEntry } from './score.js';
import { PyValue, isPyDict, isPyList } from '../../tools/calls/values.js';
import type { CallMode } from '../../tools/calls/decode.js';
import type { CallReading } from '../../tools/calls/python-syntax.js';

const fn = (name: string, properties: Record<string, ParamSchema>, required: string[]): FunctionDoc => ({
  name,
  description: '',
  parameters: { type: 'dict', properties, required },
});

/** Possible answers written exactly as in the data files: `[{"f": {"a": [1], "b": ["x", ""]}}]`. */
function truth(json: string): GroundTruthCall[] {
  const raw = parseJson(json);
  assert.ok(isPyList(raw));
  return raw.map((call) => {
    assert.ok(isPyDict(call));
    const [name, args] = [...call][0]!;
    assert.ok(typeof name === 'string' && isPyDict(args));
    return { name, params: new Map([...args].map(([k, v]) => [String(k), v as readonly PyValue[]])) };
  });
}

const entry = (category: BfclCategory, functions: FunctionDoc[], groundTruth?: string): BfclEntry => ({
  id: `${category}_0`,
  category,
  functions,
  ...(groundTruth !== undefined ? { groundTruth: truth(groundTruth) } : {}),
});

interface Case {
  readonly name: string;
  readonly entry: BfclEntry;
  readonly output: string | PyValue;
  /** The official error_type, or 'valid'. */
  readonly verdict: string;
  /** Default: the official reading, so `verdict` is the leaderboard's. */
  readonly reading?: CallReading;
  /** Default: the prompting decoder. */
  readonly mode?: CallMode;
}

function run(cases: readonly Case[]): void {
  for (const c of cases) {
    const how = c.reading === 'lenient' ? ' (lenient)' : '';
    test(`${c.name}${how}${c.mode === 'fc' ? ' [fc]' : ''} → ${c.verdict}`, () => {
      const v = judgeEntry(c.entry, c.output, { reading: c.reading ?? 'official', mode: c.mode ?? 'prompting' });
      assert.equal(v.valid ? 'valid' : v.rule, c.verdict, v.reason);
    });
  }
}

const area = entry(
  'simple_python',
  [
    fn(
      'geometry.area',
      {
        base: { type: 'integer' },
        height: { type: 'integer' },
        unit: { type: 'string' },
        precision: { type: 'integer' },
      },
      ['base', 'height'],
    ),
  ],
  '[{"geometry.area": {"base": [10], "height": [5], "unit": ["cm", ""]}}]',
);

describe('simple: names, required, unexpected and optional parameters', () => {
  run([
    { name: 'the exact answer', entry: area, output: '[geometry.area(base=10, height=5, unit="cm")]', verdict: 'valid' },
    { name: 'an optional parameter whose answers include "" left out', entry: area, output: 'geometry.area(base=10, height=5)', verdict: 'valid' },
    { name: 'keyword order does not matter', entry: area, output: '[geometry.area(unit="cm", height=5, base=10)]', verdict: 'valid' },
    { name: 'another function name', entry: area, output: '[geometry.volume(base=10, height=5)]', verdict: 'simple_function_checker:wrong_func_name' },
    { name: 'the name without its module', entry: area, output: '[area(base=10, height=5)]', verdict: 'simple_function_checker:wrong_func_name' },
    { name: 'a required parameter missing', entry: area, output: '[geometry.area(base=10)]', verdict: 'simple_function_checker:missing_required' },
    { name: 'a parameter outside the schema', entry: area, output: '[geometry.area(base=10, height=5, color="red")]', verdict: 'simple_function_checker:unexpected_param' },
    { name: 'a schema parameter outside the possible answer', entry: area, output: '[geometry.area(base=10, height=5, precision=2)]', verdict: 'simple_function_checker:unexpected_param' },
    { name: 'two calls where one is expected', entry: area, output: '[geometry.area(base=10, height=5), geometry.area(base=10, height=5)]', verdict: 'simple_function_checker:wrong_count' },
    { name: 'no call at all', entry: area, output: '[]', verdict: 'simple_function_checker:wrong_count' },
    { name: 'a wrong integer value', entry: area, output: '[geometry.area(base=11, height=5)]', verdict: 'value_error:others' },
  ]);

  const strictUnit = entry('simple_python', area.functions as FunctionDoc[], '[{"geometry.area": {"base": [10], "height": [5], "unit": ["cm"]}}]');
  run([{ name: 'an optional parameter left out although its answers lack ""', entry: strictUnit, output: '[geometry.area(base=10, height=5)]', verdict: 'simple_function_checker:missing_optional' }]);
});

const convert = entry('simple_python', [fn('convert', { amount: { type: 'float' }, rate: { type: 'integer' } }, ['amount'])], '[{"convert": {"amount": [100.0], "rate": [2, ""]}}]');

describe('simple: types', () => {
  run([
    { name: 'an int where a float is expected (Python widens it)', entry: convert, output: '[convert(amount=100)]', verdict: 'valid' },
    { name: 'a float written as 100.0', entry: convert, output: '[convert(amount=100.0)]', verdict: 'valid' },
    { name: 'a float where an int is expected', entry: convert, output: '[convert(amount=100, rate=2.0)]', verdict: 'type_error:simple' },
    { name: 'a string holding the number', entry: convert, output: '[convert(amount="100")]', verdict: 'type_error:simple' },
    { name: 'a bool where an int is expected (bool is its own type)', entry: convert, output: '[convert(amount=100, rate=True)]', verdict: 'type_error:simple' },
    { name: 'an int computed by arithmetic', entry: convert, output: '[convert(amount=100, rate=1 + 1)]', verdict: 'valid' },
    { name: 'a negative value that is not an answer', entry: convert, output: '[convert(amount=-100)]', verdict: 'value_error:others' },
    { name: 'a name instead of a value reads as a string', entry: convert, output: '[convert(amount=hundred)]', verdict: 'type_error:simple' },
  ]);
});

const strings = entry('simple_python', [fn('find', { date: { type: 'string' }, phrase: { type: 'string' } }, ['date'])], `[{"find": {"date": ["April 1, 2024"], "phrase": ["it's", ""]}}]`);

describe('simple: string standardisation', () => {
  run([
    { name: 'case, spaces and commas differ', entry: strings, output: '[find(date="april 1 2024")]', verdict: 'valid' },
    { name: 'dots, slashes, dashes, underscores, stars and carets are ignored', entry: strings, output: '[find(date="A.p/r-i_l*^ 1, 2024")]', verdict: 'valid' },
    { name: 'single and double quotes are the same character', entry: strings, output: `[find(date="April 1, 2024", phrase='it"s')]`, verdict: 'valid' },
    { name: 'other punctuation counts', entry: strings, output: '[find(date="April 1!, 2024")]', verdict: 'value_error:string' },
    { name: 'another date', entry: strings, output: '[find(date="April 2, 2024")]', verdict: 'value_error:string' },
  ]);

  test('standardizeString drops spaces and ,./-_*^, lower-cases and turns single into double quotes', () => {
    assert.equal(standardizeString("New-York_City, N.Y. 'A'/B*C^D"), 'newyorkcityny"a"bcd');
  });
});

const lists = entry(
  'simple_python',
  [
    fn(
      'plot',
      {
        labels: { type: 'array', items: { type: 'string' } },
        sizes: { type: 'array', items: { type: 'integer' } },
        origin: { type: 'tuple', items: { type: 'float' } },
        options: { type: 'dict' },
        layers: { type: 'array', items: { type: 'dict' } },
      },
      ['labels'],
    ),
  ],
  '[{"plot": {"labels": [["Cats", "Dogs"]], "sizes": [[1, 2], ""], "origin": [[0.0, 1.5], ""], "options": [{"color": ["red"], "alpha": [0.5, ""]}, ""], "layers": [[{"name": ["a"]}, {"name": ["b"]}], ""]}}]',
);

describe('simple: lists, tuples and dicts', () => {
  run([
    { name: 'list strings are standardised element-wise', entry: lists, output: '[plot(labels=["cats", "DOGS"])]', verdict: 'valid' },
    { name: 'list order matters', entry: lists, output: '[plot(labels=["Dogs", "Cats"])]', verdict: 'value_error:list/tuple' },
    { name: 'a list one element short', entry: lists, output: '[plot(labels=["Cats"])]', verdict: 'value_error:list/tuple' },
    { name: 'a tuple where a list is expected', entry: lists, output: '[plot(labels=("Cats", "Dogs"))]', verdict: 'type_error:simple' },
    { name: 'list elements of the wrong type', entry: lists, output: '[plot(labels=[1, 2])]', verdict: 'type_error:nested' },
    // A non-list option ("" here) passes the official element type check, so only the value comparison fails.
    { name: 'wrong element types where "" is also an option', entry: lists, output: '[plot(labels=["Cats", "Dogs"], sizes=["1", "2"])]', verdict: 'value_error:list/tuple' },
    { name: 'a tuple parameter given as a tuple', entry: lists, output: '[plot(labels=["Cats", "Dogs"], origin=(0.0, 1.5))]', verdict: 'valid' },
    { name: 'a tuple parameter given as a list', entry: lists, output: '[plot(labels=["Cats", "Dogs"], origin=[0.0, 1.5])]', verdict: 'valid' },
    { name: 'ints inside a float tuple compare equal to the floats', entry: lists, output: '[plot(labels=["Cats", "Dogs"], origin=(0, 1.5))]', verdict: 'valid' },
    { name: 'dict values standardised, optional key left out', entry: lists, output: '[plot(labels=["Cats", "Dogs"], options={"color": "RED"})]', verdict: 'valid' },
    { name: 'a dict key outside the answer', entry: lists, output: '[plot(labels=["Cats", "Dogs"], options={"color": "red", "size": 3})]', verdict: 'value_error:dict_key' },
    { name: 'a required dict key missing', entry: lists, output: '[plot(labels=["Cats", "Dogs"], options={"alpha": 0.5})]', verdict: 'value_error:dict_key' },
    { name: 'a wrong dict value', entry: lists, output: '[plot(labels=["Cats", "Dogs"], options={"color": "blue"})]', verdict: 'value_error:dict_value' },
    { name: 'a list of dicts in order', entry: lists, output: '[plot(labels=["Cats", "Dogs"], layers=[{"name": "a"}, {"name": "b"}])]', verdict: 'valid' },
    // The last option tried ("", read as an empty list) gives the reported reason.
    { name: 'a list of dicts out of order', entry: lists, output: '[plot(labels=["Cats", "Dogs"], layers=[{"name": "b"}, {"name": "a"}])]', verdict: 'value_error:list_dict_count' },
    { name: 'a list of dicts one short', entry: lists, output: '[plot(labels=["Cats", "Dogs"], layers=[{"name": "a"}])]', verdict: 'value_error:list_dict_count' },
  ]);
});

const variable = entry('simple_python', [fn('save', { profile: { type: 'dict' } }, ['profile'])], '[{"save": {"profile": ["userProfile"]}}]');

describe('simple: a variable name as the answer for a structured parameter', () => {
  run([
    { name: 'the variable name', entry: variable, output: '[save(profile=userProfile)]', verdict: 'valid' },
    { name: 'the variable name in other case (compared exactly)', entry: variable, output: '[save(profile=userprofile)]', verdict: 'value_error:others' },
  ]);
});

const twoFunctions = [
  fn('weather.get', { city: { type: 'string' }, days: { type: 'integer' } }, ['city']),
  fn('time.get', { city: { type: 'string' } }, ['city']),
];
const multiple = entry('multiple', twoFunctions, '[{"weather.get": {"city": ["Paris"], "days": [3, ""]}}]');
const parallel = entry('parallel_multiple', twoFunctions, '[{"weather.get": {"city": ["Paris"], "days": [3]}}, {"weather.get": {"city": ["Rome"], "days": [1]}}, {"time.get": {"city": ["Oslo"]}}]');

describe('multiple and parallel', () => {
  run([
    { name: 'multiple: the right function among several', entry: multiple, output: '[weather.get(city="paris")]', verdict: 'valid' },
    { name: 'multiple: a documented but wrong function', entry: multiple, output: '[time.get(city="Paris")]', verdict: 'simple_function_checker:wrong_func_name' },
    { name: 'multiple: two calls', entry: multiple, output: '[weather.get(city="Paris"), time.get(city="Paris")]', verdict: 'multiple_function_checker:wrong_count' },
    { name: 'parallel: calls in the answer order', entry: parallel, output: '[weather.get(city="Paris", days=3), weather.get(city="Rome", days=1), time.get(city="Oslo")]', verdict: 'valid' },
    { name: 'parallel: calls in another order', entry: parallel, output: '[time.get(city="Oslo"), weather.get(city="Rome", days=1), weather.get(city="Paris", days=3)]', verdict: 'valid' },
    { name: 'parallel: one call missing', entry: parallel, output: '[weather.get(city="Paris", days=3), time.get(city="Oslo")]', verdict: 'parallel_function_checker_no_order:wrong_count' },
    { name: 'parallel: values swapped between two calls', entry: parallel, output: '[weather.get(city="Paris", days=1), weather.get(city="Rome", days=3), time.get(city="Oslo")]', verdict: 'parallel_function_checker_no_order:cannot_find_match' },
    { name: 'parallel: a call repeated instead of another', entry: parallel, output: '[weather.get(city="Paris", days=3), weather.get(city="Paris", days=3), time.get(city="Oslo")]', verdict: 'parallel_function_checker_no_order:cannot_find_match' },
  ]);
});

const irrelevance = entry('irrelevance', twoFunctions);
const relevance = entry('live_relevance', twoFunctions);

describe('irrelevance and relevance', () => {
  run([
    { name: 'irrelevance: a plain answer (decode error)', entry: irrelevance, output: 'I cannot look that up with these tools.', verdict: 'valid' },
    { name: 'irrelevance: an empty list', entry: irrelevance, output: '[]', verdict: 'valid' },
    { name: 'irrelevance: empty tool_calls', entry: irrelevance, output: parseJson('{"role": "assistant", "tool_calls": []}'), verdict: 'valid' },
    { name: 'irrelevance: a call', entry: irrelevance, output: '[time.get(city="Oslo")]', verdict: 'irrelevance_error:decoder_success' },
    { name: 'irrelevance: a call to an undocumented function still counts', entry: irrelevance, output: '[search(q="x")]', verdict: 'irrelevance_error:decoder_success' },
    { name: 'relevance: any call, whatever its values', entry: relevance, output: '[time.get(city="nowhere")]', verdict: 'valid' },
    { name: 'relevance: a plain answer', entry: relevance, output: 'Which city?', verdict: 'relevance_error:decoder_failed' },
    { name: 'relevance: an empty list', entry: relevance, output: '[]', verdict: 'relevance_error:decoder_failed' },
  ]);
});

describe('malformed and wrapped output', () => {
  run([
    { name: 'an unclosed call', entry: area, output: '[geometry.area(base=10, height=5', verdict: 'ast_decoder:decoder_failed' },
    { name: 'prose', entry: area, output: 'The area is 25 square centimetres.', verdict: 'ast_decoder:decoder_failed' },
    { name: 'a positional argument is ignored, leaving a required one missing', entry: area, output: '[geometry.area(10, height=5)]', verdict: 'simple_function_checker:missing_required' },
    { name: 'a lambda value', entry: area, output: '[geometry.area(base=lambda: 10, height=5)]', verdict: 'ast_decoder:decoder_failed' },
    { name: 'a ```python fence', entry: area, output: '```python\n[geometry.area(base=10, height=5)]\n```', verdict: 'valid', reading: 'lenient' },
    // Officially backticks are stripped, leaving `python[...]`, a subscript and no call.
    { name: 'a ```python fence', entry: area, output: '```python\n[geometry.area(base=10, height=5)]\n```', verdict: 'ast_decoder:decoder_failed' },
    { name: 'a bare ``` fence', entry: area, output: '```\n[geometry.area(base=10, height=5)]\n```', verdict: 'valid' },
    { name: 'a <tool_call> block of JSON', entry: area, output: '<tool_call>\n{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}\n</tool_call>', verdict: 'valid', reading: 'lenient' },
    { name: 'a <tool_call> block of JSON', entry: area, output: '<tool_call>\n{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}\n</tool_call>', verdict: 'ast_decoder:decoder_failed' },
    { name: 'a <tool_call> block of JSON', entry: area, output: '<tool_call>\n{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}\n</tool_call>', verdict: 'valid', mode: 'fc' },
    // The Qwen handler's pattern needs the newlines right inside the tags.
    { name: 'a <tool_call> block on one line', entry: area, output: '<tool_call>{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}</tool_call>', verdict: 'simple_function_checker:wrong_count', mode: 'fc' },
    { name: 'Llama-3 JSON calls separated by ;', entry: area, output: '<|python_tag|>{"name": "geometry.area", "parameters": {"base": 10, "height": 5}}', verdict: 'valid', mode: 'fc' },
    { name: 'a Llama-3 call without "parameters"', entry: area, output: '{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}', verdict: 'ast_decoder:decoder_failed', mode: 'fc' },
    { name: 'a ```json fence with a float for an int', entry: area, output: '```json\n[{"name": "geometry.area", "arguments": {"base": 10.0, "height": 5}}]\n```', verdict: 'type_error:simple', reading: 'lenient' },
    { name: 'JSON calls in prompting mode', entry: area, output: '[{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}]', verdict: 'valid', reading: 'lenient' },
    // Officially the list holds dicts, not calls.
    { name: 'JSON calls in prompting mode', entry: area, output: '[{"name": "geometry.area", "arguments": {"base": 10, "height": 5}}]', verdict: 'ast_decoder:decoder_failed' },
    { name: 'unary plus', entry: area, output: '[geometry.area(base=+10, height=5)]', verdict: 'valid', reading: 'lenient' },
    // The official decoder negates every unary operand: +10 reads as -10.
    { name: 'unary plus', entry: area, output: '[geometry.area(base=+10, height=5)]', verdict: 'value_error:others' },
    { name: 'unary minus on a name', entry: area, output: '[geometry.area(base=-x, height=5)]', verdict: 'ast_decoder:decoder_failed' },
    { name: 'a repeated keyword argument', entry: area, output: '[geometry.area(base=3, base=10, height=5)]', verdict: 'ast_decoder:decoder_failed', reading: 'lenient' },
    // Python's parser accepts it (only its compiler refuses); the last value wins.
    { name: 'a repeated keyword argument', entry: area, output: '[geometry.area(base=3, base=10, height=5)]', verdict: 'valid' },
    {
      name: 'OpenAI tool_calls with JSON-string arguments',
      entry: area,
      output: parseJson('{"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "geometry.area", "arguments": "{\\"base\\": 10, \\"height\\": 5}"}}]}'),
      verdict: 'valid',
      mode: 'fc',
    },
    { name: 'the leaderboard FC result form {name: arguments JSON}', entry: area, output: parseJson('[{"geometry.area": "{\\"base\\": 10, \\"height\\": 5}"}]'), verdict: 'valid', mode: 'fc' },
    { name: 'tool calls to the prompting decoder', entry: area, output: parseJson('[{"geometry.area": {"base": 10, "height": 5}}]'), verdict: 'ast_decoder:decoder_failed' },
    { name: 'tool_calls whose arguments are not JSON', entry: area, output: parseJson('[{"name": "geometry.area", "arguments": "base=10"}]'), verdict: 'ast_decoder:decoder_failed', mode: 'fc' },
  ]);
});

const java = entry(
  'simple_java',
  [
    fn(
      'Db.query',
      {
        id: { type: 'long' },
        ratio: { type: 'float' },
        weight: { type: 'double' },
        force: { type: 'boolean' },
        name: { type: 'String' },
        tags: { type: 'Array', items: { type: 'String' } },
        ids: { type: 'ArrayList', items: { type: 'integer' } },
        params: { type: 'HashMap' },
        ctx: { type: 'any' },
      },
      ['id'],
    ),
  ],
  '[{"Db.query": {"id": [42], "ratio": [0.5, ""], "weight": [2.0, ""], "force": [true, ""], "name": ["Customers", ""], "tags": [["a", "b"], ""], "ids": [[1, 2], ""], "params": [{"limit": [50]}, ""], "ctx": ["dbCtx", ""]}}]',
);

describe('simple_java: Java call syntax and type rules', () => {
  run([
    { name: 'long with an L suffix', entry: java, output: 'Db.query(id=42L)', verdict: 'valid' },
    { name: 'long without its suffix stays a string', entry: java, output: 'Db.query(id=42)', verdict: 'type_error:simple' },
    { name: 'float with an f suffix', entry: java, output: 'Db.query(id=42L, ratio=0.5f)', verdict: 'valid' },
    { name: 'float without its suffix', entry: java, output: 'Db.query(id=42L, ratio=0.5)', verdict: 'type_error:simple' },
    { name: 'double written plainly', entry: java, output: 'Db.query(id=42L, weight=2.0)', verdict: 'valid' },
    { name: 'boolean true', entry: java, output: 'Db.query(id=42L, force=true)', verdict: 'valid' },
    { name: 'boolean in Python spelling', entry: java, output: 'Db.query(id=42L, force=True)', verdict: 'type_error:simple' },
    { name: 'String literal, standardised', entry: java, output: 'Db.query(id=42L, name="customers")', verdict: 'valid' },
    { name: 'String[] array literal', entry: java, output: 'Db.query(id=42L, tags=new String[]{"a", "b"})', verdict: 'valid', reading: 'lenient' },
    // Officially String elements keep their quotes: ['"a"', '"b"'].
    { name: 'String[] array literal', entry: java, output: 'Db.query(id=42L, tags=new String[]{"a", "b"})', verdict: 'value_error:list/tuple' },
    { name: 'ArrayList from Arrays.asList', entry: java, output: 'Db.query(id=42L, ids=new ArrayList<>(Arrays.asList(1, 2)))', verdict: 'valid' },
    { name: 'ArrayList built with add()', entry: java, output: 'Db.query(id=42L, ids=new ArrayList<Integer>() {{ add(1); add(2); }})', verdict: 'valid', reading: 'lenient' },
    // Officially an anonymous class body is dropped: the double-brace list reads as [], which passes only because
    // the optional marker "" iterates as an empty list; the double-brace map reads as {} and misses its key.
    { name: 'ArrayList built with add()', entry: java, output: 'Db.query(id=42L, ids=new ArrayList<Integer>() {{ add(1); add(2); }})', verdict: 'valid' },
    { name: 'HashMap with put()', entry: java, output: 'Db.query(id=42L, params=new HashMap<String, Object>() {{ put("limit", 50); }})', verdict: 'valid', reading: 'lenient' },
    { name: 'HashMap with put()', entry: java, output: 'Db.query(id=42L, params=new HashMap<String, Object>() {{ put("limit", 50); }})', verdict: 'value_error:dict_key' },
    { name: 'HashMap with a wrong value', entry: java, output: 'Db.query(id=42L, params=new HashMap<String, Object>() {{ put("limit", 5); }})', verdict: 'value_error:dict_value', reading: 'lenient' },
    { name: 'two Java calls for one', entry: java, output: '[Db.query(id=42L), Db.query(id=43L)]', verdict: 'simple_function_checker:wrong_count', reading: 'lenient' },
    // The tree-sitter decoder returns the first call it finds.
    { name: 'two Java calls for one', entry: java, output: '[Db.query(id=42L), Db.query(id=43L)]', verdict: 'valid' },
    { name: 'an identifier for an any parameter', entry: java, output: '[Db.query(id=42L, ctx=dbCtx)]', verdict: 'valid' },
    { name: 'a positional argument', entry: java, output: 'Db.query(42L)', verdict: 'ast_decoder:decoder_failed' },
    { name: 'JSON tool call with a non-string value', entry: java, output: parseJson('[{"name": "Db.query", "arguments": {"id": 42}}]'), verdict: 'type_error:java', mode: 'fc' },
    { name: 'JSON tool call with Java source text as the value', entry: java, output: parseJson('[{"name": "Db.query", "arguments": {"id": "42L"}}]'), verdict: 'valid', mode: 'fc' },
  ]);
});

const js = entry(
  'simple_javascript',
  [
    fn(
      'chart.draw',
      {
        points: { type: 'array', items: { type: 'float' } },
        labels: { type: 'array', items: { type: 'String' } },
        config: { type: 'dict' },
        count: { type: 'integer' },
        title: { type: 'String' },
        animate: { type: 'Boolean' },
      },
      ['points'],
    ),
  ],
  '[{"chart.draw": {"points": [[60.0, 30.0]], "labels": [["x", "y"], ""], "config": [{"method": ["GET"], "retry": [true, ""]}, ""], "count": [5, ""], "title": ["Sales", ""], "animate": [true, ""]}}]',
);

describe('simple_javascript: JavaScript call syntax and type rules', () => {
  run([
    { name: 'integers in a float array become floats', entry: js, output: 'chart.draw(points=[60, 30])', verdict: 'valid' },
    { name: 'new Array(...) form', entry: js, output: 'chart.draw(points=new Array(60.0, 30.0))', verdict: 'valid' },
    { name: 'string array with either quote style', entry: js, output: `chart.draw(points=[60, 30], labels=["x", 'y'])`, verdict: 'valid' },
    { name: 'an object literal with bare keys', entry: js, output: 'chart.draw(points=[60, 30], config={method: "get", retry: true})', verdict: 'valid' },
    { name: 'an object literal with a wrong value', entry: js, output: 'chart.draw(points=[60, 30], config={method: "POST"})', verdict: 'value_error:dict_value' },
    { name: 'a fractional integer', entry: js, output: 'chart.draw(points=[60, 30], count=5.5)', verdict: 'type_error:simple' },
    { name: 'a single-quoted string', entry: js, output: "chart.draw(points=[60, 30], title='sales')", verdict: 'valid' },
    { name: 'Boolean true', entry: js, output: 'chart.draw(points=[60, 30], animate=true)', verdict: 'valid' },
    { name: 'an unterminated string', entry: js, output: 'chart.draw(points=[60, 30], title="Sales)', verdict: 'ast_decoder:decoder_failed' },
    { name: 'two statements, the second one right', entry: js, output: 'chart.draw(points=[1]); chart.draw(points=[60, 30])', verdict: 'simple_function_checker:wrong_count', reading: 'lenient' },
    // The official decoder reads the first call statement only.
    { name: 'two statements, the second one right', entry: js, output: 'chart.draw(points=[1]); chart.draw(points=[60, 30])', verdict: 'value_error:list/tuple' },
  ]);
});
