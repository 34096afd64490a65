/**
 * Fuzz targets for everything toolken reads about tools: catalog files through the importers (JSON, JSON lines and
 * YAML) and the catalog loader, model output through the BFCL decoders (Python, Java and JavaScript call syntax, with
 * the leaderboard's type conversions), and arguments through the schema normalizer and validator. Seeds are small
 * valid inputs of each kind. A clean rejection is one of the typed errors whose message names the input and the
 * problem; the decoders may throw nothing at all (a bad answer is an error value).
 */
import { CatalogError, parseCatalog } from '../../../src/tools/catalog.js';
import { decodeModelOutput, type CallLanguage } from '../../../src/tools/calls/decode.js';
import { ImportError, importText } from '../../../src/tools/import/index.js';
import { normalizeParameters, SchemaError } from '../../../src/tools/schema.js';
import { validateJson } from '../../../src/tools/validate.js';
import { convertJava } from '../../../src/eval/bfcl/java-types.js';
import { convertJs } from '../../../src/eval/bfcl/js-types.js';
import type { FuzzTarget } from '../target.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (input: Uint8Array): string => new TextDecoder().decode(input);

const OPENAI = JSON.stringify({
  tools: [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather for a city.',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string', pattern: '^[A-Z][a-z]+$' }, days: { type: 'integer', minimum: 1, maximum: 7 }, units: { enum: ['c', 'f'] } },
          required: ['city'],
        },
      },
    },
  ],
});
const BFCL = [
  JSON.stringify({ id: 'simple_0', question: [[{ role: 'user', content: 'area' }]], function: [{ name: 'calc.area', description: 'Area.', parameters: { type: 'dict', properties: { base: { type: 'integer' }, unit: { type: 'string', enum: ['cm', 'm'] } }, required: ['base'] } }] }),
  JSON.stringify({ id: 'simple_1', question: [[{ role: 'user', content: 'sum' }]], function: [{ name: 'sum', parameters: { type: 'dict', properties: { xs: { type: 'array', items: { type: 'float' } } }, required: [] } }] }),
].join('\n');
const OPENAPI_JSON = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Pets' },
  servers: [{ url: 'https://pets.example.test' }],
  paths: {
    '/pets/{petId}': { get: { operationId: 'getPet', parameters: [{ name: 'petId', in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } }, { name: 'X-Trace', in: 'header', schema: { type: 'string' } }] } },
    '/pets': { post: { operationId: 'addPet', requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } } } } },
  },
  components: { schemas: { Id: { type: 'integer', minimum: 1 } } },
});
const OPENAPI_YAML = [
  'openapi: 3.0.3',
  'info: { title: Pets }',
  'servers: [{ url: "https://pets.example.test" }]',
  'paths:',
  '  /pets/{petId}:',
  '    get:',
  '      operationId: getPet',
  '      parameters:',
  '        - { name: petId, in: path, required: true, schema: { $ref: "#/components/schemas/Id" } }',
  'components:',
  '  schemas:',
  '    Id: &id { type: integer, minimum: 1 }',
  '    Other: *id',
].join('\n');
const TOOLBENCH = JSON.stringify({
  tool_name: 'Weather',
  tool_description: 'Forecasts.',
  api_list: [{ name: 'forecast', url: 'https://weather.example.test/forecast', method: 'GET', description: 'Days ahead.', required_parameters: [{ name: 'q', type: 'STRING', description: 'city' }], optional_parameters: [{ name: 'days', type: 'NUMBER', default: 3 }] }],
});
const MCP = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'add', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }, outputSchema: { type: 'object', properties: { sum: { type: 'number' } } } }] } });
const CATALOG = JSON.stringify({
  version: 1,
  tools: [
    { id: 'add', name: 'add', description: 'Add.', parameters: { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] }, endpoint: { method: 'POST', url: 'https://x.example.test/add', parameterLocations: { a: 'body' } } },
  ],
});

const importRejects = (error: unknown): boolean => error instanceof ImportError;

/** Runs the decoder and, for Java / JavaScript, the leaderboard's conversions on every decoded argument text. */
function decodeTarget(language: CallLanguage, seeds: string[]): FuzzTarget {
  return {
    name: `bfcl-decode-${language}`,
    seeds: () => seeds.map(encode),
    run: (input) => {
      const text = decode(input);
      // Both official decoders read the same untrusted text, under the same bounds.
      decodeModelOutput(text, language, { reading: 'official', mode: 'prompting' });
      decodeModelOutput(text, language, { reading: 'official', mode: 'fc' });
      const outcome = decodeModelOutput(text, language);
      if (!outcome.ok || language === 'python') return outcome;
      for (const call of outcome.calls) {
        for (const value of call.args.values()) {
          if (typeof value !== 'string') continue;
          if (language === 'java') for (const type of ['Array', 'ArrayList', 'HashMap', 'long', 'float']) convertJava(value, type, 'String');
          else for (const type of ['array', 'dict', 'Bigint', 'float']) convertJs(value, type);
        }
      }
      return outcome;
    },
    // A decoder never throws: unreadable text is an error outcome.
    rejects: () => false,
  };
}

export const targets: FuzzTarget[] = [
  { name: 'catalog-import-json', seeds: () => [OPENAI, BFCL, OPENAPI_JSON, TOOLBENCH, MCP].map(encode), run: (input) => importText(decode(input), 'fuzz.json'), rejects: importRejects },
  { name: 'catalog-import-yaml', seeds: () => [OPENAPI_YAML, OPENAPI_JSON].map(encode), run: (input) => importText(decode(input), 'fuzz.yaml'), rejects: importRejects },
  {
    name: 'catalog-load',
    seeds: () => [encode(CATALOG)],
    run: (input) => parseCatalog(JSON.parse(decode(input)) as unknown, 'fuzz.json'),
    rejects: (error) => error instanceof CatalogError || error instanceof SyntaxError,
  },
  decodeTarget('python', ['[get_weather(city="Oslo", days=3)]', '```python\n[calc.area(base=10, unit="cm"), sum(xs=[1.5, 2 ** 3, -4])]\n```', '<TOOLCALL>[f(a={"k": (1, 2)}, b=None)]</TOOLCALL>', '<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>']),
  decodeTarget('java', ['Weather.get(city="Oslo", days=3L, list=new ArrayList<>(Arrays.asList("a", "b")))', 'Map.put(m=new HashMap<String, Integer>() {{ put("a", 1); }}, xs=new int[]{1, 2})']),
  decodeTarget('javascript', ["get(city='Oslo', grid=[[1, 2], [3, 4]], opts={a: 1, b: 'x'}, n=12n)", 'f(xs=new Array([1], [2]), flag=true)']),
  {
    name: 'argument-validator',
    seeds: () =>
      [
        { schema: JSON.parse(OPENAI).tools[0].function.parameters, value: { city: 'Oslo', days: 3, units: 'c' } },
        { schema: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string', pattern: '^(a+)+$', maxLength: 40 }, maxItems: 3 }, pick: { anyOf: [{ type: 'integer' }, { const: 'none' }] } } }, value: { tags: ['aaa'], pick: 'none' } },
      ].map((seed) => encode(JSON.stringify(seed))),
    run: (input) => {
      const { schema, value } = JSON.parse(decode(input)) as { schema?: unknown; value?: unknown };
      return validateJson(normalizeParameters(schema, '/schema'), value);
    },
    rejects: (error) => error instanceof SchemaError || error instanceof SyntaxError,
  },
];

/** Inputs known to have broken these parts (the cases of the hardening issue), run in `npm test` on every target they fit. */
export const HOSTILE_INPUTS: Readonly<Record<string, readonly string[]>> = {
  'catalog-import-json': [
    '[{"name": "deep", "parameters": ' + '{"type": "object", "properties": {"x": '.repeat(3000) + '{}' + '}}'.repeat(3000) + '}]',
    '[' + Array.from({ length: 2000 }, (_, i) => `{"name":"t${i}","parameters":{"properties":{"__proto__":{"type":"string"}}}}`).join(',') + ']',
    '# README\n\nnot a tool file',
  ],
  'catalog-import-yaml': ['a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n', 'openapi: [3\n'],
  'bfcl-decode-python': ['[f(a=9**9**9)]', "[f(a='x' * 10**9)]", '['.repeat(20_000), '```\n'.repeat(2000) + 'f(a=1)' + '\n```'.repeat(2000)],
  'bfcl-decode-java': [`f(a=${'List<'.repeat(4000)}x)`, `f(a=new HashMap<>() {{ ${'put("a", 1); '.repeat(300)} }})`],
  'bfcl-decode-javascript': [`f(a=[${'[a],'.repeat(34)}[a])`, `f(a=${'['.repeat(3000)})`],
  'argument-validator': [JSON.stringify({ schema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } }, value: { s: 'a'.repeat(29) + '!' } })],
};
