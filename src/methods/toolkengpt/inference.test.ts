import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateFuncqa, parseFuncqaArguments, type FuncqaOperation } from '../../tools/executors/funcqa.js';
import { decodeAnswers, type DecodeOptions, type JointModel, type JointSession, type TextCodec } from './inference.js';

// A scripted model over a character vocabulary: what each slot wants next is a function of the slot's whole text,
// given as a ranking of characters and tool names (the first gets the highest logit, the next one less, ...).
const CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789()=,+-*/.: <>\nRTQ'];
const codec: TextCodec = {
  bosId: undefined,
  eosId: undefined,
  encode: (text) => [...text].map((c) => {
    const id = CHARS.indexOf(c);
    if (id === -1) throw new Error(`no token for ${JSON.stringify(c)}`);
    return id;
  }),
  decode: (ids) => ids.map((i) => CHARS[i]!).join(''),
};
const TOOLS = ['<add>', '<multiply>', '<divide>'];
type Script = (text: string) => readonly string[];

function scriptedModel(script: Script, log: string[] = []): JointModel {
  return {
    maxPositions: 4096,
    createSession(slots: number): JointSession {
      const texts = Array.from({ length: slots }, () => '');
      const width = CHARS.length + TOOLS.length;
      const row = (text: string): Float32Array => {
        const out = new Float32Array(width).fill(-5);
        script(text).forEach((entry, rank) => {
          const tool = TOOLS.indexOf(entry);
          out[tool === -1 ? CHARS.indexOf(entry) : CHARS.length + tool] = 10 - rank;
        });
        return out;
      };
      return {
        vocabSize: CHARS.length,
        toolCount: TOOLS.length,
        capacity: 4096,
        prefill(slot, tokens) {
          texts[slot] += codec.decode(tokens);
          log.push(`prefill ${slot} ${JSON.stringify(codec.decode(tokens))}`);
          return row(texts[slot]!);
        },
        decode(slotList, tokens) {
          const out = new Float32Array(slotList.length * width);
          slotList.forEach((slot, i) => {
            texts[slot] += CHARS[tokens[i]!]!;
            out.set(row(texts[slot]!), i * width);
          });
          return out;
        },
        resetSequence(slot) {
          texts[slot] = '';
        },
      };
    },
  };
}

/** Wants `continuation` character by character after `prefix` (the rest of the text is ignored). */
function follow(text: string, prefix: string, continuation: string): string | undefined {
  const at = text.lastIndexOf(prefix);
  if (at === -1) return undefined;
  const done = text.slice(at + prefix.length);
  if (!continuation.startsWith(done) || done.length >= continuation.length) return undefined;
  return continuation[done.length];
}

const options = (over: Partial<DecodeOptions> = {}): DecodeOptions => ({
  tools: TOOLS,
  use: 'toolken',
  reasoningPrompt: (q) => `R:${q}:`,
  toolPrompt: (tool, q) => `T${tool}:${q}:`,
  execute: (tool, args) => evaluateFuncqa(tool.slice(1, -1) as FuncqaOperation, parseFuncqaArguments(args)),
  maxTokens: 40,
  ...over,
});

describe('ToolkenGPT decoding with a scripted model', () => {
  // Reasoning: "s=" then the <add> toolken; tool mode writes "1, 2)"; after the result the model would write the
  // digit 9 (ranked first) or x, then stops.
  const script: Script = (text) => {
    if (text.startsWith('T<add>')) return [follow(text, '<add>(', '1, 2)') ?? ')'];
    if (text.endsWith('=3')) return ['9', 'x'];
    if (text.endsWith('x')) return ['\n'];
    return [follow(text, ':', 's=') ?? '<add>', 'q'];
  };

  test('a winning toolken switches to tool mode; the result is spliced; the next token has no digit', () => {
    const log: string[] = [];
    const [answer] = decodeAnswers(scriptedModel(script, log), codec, ['Q'], options());
    assert.equal(answer!.text, 's=3x');
    assert.equal(answer!.expanded, 's=<add>(1, 2)=3x');
    assert.deepEqual(answer!.calls, [{ tool: '<add>', args: '(1, 2)', result: '3' }]);
    // The tool-mode prompt holds the tool's template, the question and the generation so far, then `<add>(`.
    assert.ok(log.includes('prefill 1 "T<add>:Q:s=<add>("'));
    // The result enters the reasoning slot as tokens; the toolken itself never does.
    assert.ok(log.includes('prefill 0 "3"'));
  });

  test('earlier calls are re-expanded in a later tool-mode prompt', () => {
    const log: string[] = [];
    const twoCalls: Script = (text) => {
      if (text.startsWith('T<add>')) return [follow(text, '<add>(', '1, 2)') ?? ')'];
      if (text.startsWith('T<multiply>')) return [follow(text, '<multiply>(', '3, 4)') ?? ')'];
      if (text.endsWith('=3')) return [' '];
      if (text.endsWith('3 ')) return ['<multiply>'];
      if (text.endsWith('12')) return ['\n'];
      return [follow(text, ':', 's=') ?? '<add>'];
    };
    const [answer] = decodeAnswers(scriptedModel(twoCalls, log), codec, ['Q'], options());
    assert.equal(answer!.text, 's=3 12');
    assert.ok(log.includes('prefill 1 "T<multiply>:Q:s=<add>(1, 2)=3 <multiply>("'));
  });

  test('arguments that fail to parse fall back to the next-ranked tool', () => {
    const broken: Script = (text) => {
      if (text.startsWith('T<add>')) return [follow(text, '<add>(', 'x)') ?? ')'];
      if (text.startsWith('T<multiply>')) return [follow(text, '<multiply>(', '2, 5)') ?? ')'];
      if (text.endsWith('10')) return ['\n'];
      return [follow(text, ':', 'p=') ?? '<add>', '<multiply>', 'q'];
    };
    const [answer] = decodeAnswers(scriptedModel(broken), codec, ['Q'], options());
    assert.equal(answer!.calls.length, 2);
    assert.equal(answer!.calls[0]!.tool, '<add>');
    assert.match(answer!.calls[0]!.error!, /not a number/);
    assert.deepEqual(answer!.calls[1], { tool: '<multiply>', args: '(2, 5)', result: '10' });
    assert.equal(answer!.text, 'p=10');
  });

  test('with copyOperands the arguments can only be numbers the question or the reasoning states', () => {
    // Tool mode wants 7 (stated nowhere); its second choices spell 12 and 5, which the question states.
    const wants: Record<string, readonly string[]> = { '': ['7', '1'], '1': ['3', '2'], '12': [',', ')'], '12,': [' '], '12, ': ['7', '5'], '12, 5': [')'] };
    const copying: Script = (text) => {
      if (text.startsWith('T<add>')) return wants[text.slice(text.lastIndexOf('<add>(') + '<add>('.length)] ?? [')'];
      if (text.endsWith('=17') || text.endsWith('=7')) return ['\n'];
      return [follow(text, ':', 's=') ?? '<add>'];
    };
    const [free] = decodeAnswers(scriptedModel(copying), codec, ['q12 and 5'], options());
    assert.deepEqual(free!.calls, [{ tool: '<add>', args: '(7)', result: '7' }]);
    const [copied] = decodeAnswers(scriptedModel(copying), codec, ['q12 and 5'], options({ copyOperands: true }));
    assert.deepEqual(copied!.calls, [{ tool: '<add>', args: '(12, 5)', result: '17' }]);
    // Without a stated number, tool mode writes freely.
    const [none] = decodeAnswers(scriptedModel(copying), codec, ['q'], options({ copyOperands: true }));
    assert.equal(none!.calls[0]!.args, '(7)');
  });

  test('after the call limit the tool rows are off', () => {
    const greedy: Script = (text) => {
      if (text.startsWith('T<add>')) return [follow(text, '<add>(', '1, 1)') ?? ')'];
      return ['<add>', 'z'];
    };
    const [answer] = decodeAnswers(scriptedModel(greedy), codec, ['Q'], options({ maxCalls: 2, maxTokens: 8 }));
    assert.equal(answer!.calls.length, 2);
    assert.equal(answer!.text, '2z2zzzzz');
    assert.equal(answer!.tokens, 8);
  });

  test('a chooser that rejects the toolken makes the best vocabulary token come out instead', () => {
    const [answer] = decodeAnswers(scriptedModel(script), codec, ['Q'], options({ chooser: () => 'reject', maxTokens: 4 }));
    assert.equal(answer!.calls.length, 0);
    assert.equal(answer!.rejected, 2);
    assert.equal(answer!.text, 's=qq');
  });

  test('a chooser may pick another of the ranked tools', () => {
    const seen: number[][] = [];
    const chosen: Script = (text) => {
      if (text.startsWith('T<multiply>')) return [follow(text, '<multiply>(', '2, 3)') ?? ')'];
      if (text.endsWith('6')) return ['\n'];
      return [follow(text, ':', 's=') ?? '<add>', '<multiply>'];
    };
    const [answer] = decodeAnswers(scriptedModel(chosen), codec, ['Q'], options({ chooser: (c) => (seen.push([...c.rankedTools]), 1) }));
    assert.deepEqual(seen[0]!.slice(0, 2), [0, 1]);
    assert.equal(answer!.text, 's=6');
  });

  test('without tools the tool rows never fire', () => {
    const [answer] = decodeAnswers(scriptedModel(script), codec, ['Q'], options({ use: 'none', maxTokens: 4 }));
    assert.equal(answer!.text, 's=qq');
    assert.equal(answer!.calls.length, 0);
  });

  test('in-context tool use runs calls written in the text', () => {
    const written: Script = (text) => {
      if (text.endsWith('=7')) return ['\n'];
      return [follow(text, ':', 'v=<add>(3, 4)=') ?? 'q'];
    };
    const [answer] = decodeAnswers(scriptedModel(written), codec, ['Q'], options({ use: 'in-context' }));
    assert.equal(answer!.text, 'v=<add>(3, 4)=7');
    assert.deepEqual(answer!.calls, [{ tool: '<add>', args: '(3, 4)', result: '7' }]);
  });

  test('questions decode together in one batch', () => {
    const answers = decodeAnswers(scriptedModel(script), codec, ['Q', 'Q', 'Q'], options());
    assert.deepEqual(answers.map((a) => a.text), ['s=3x', 's=3x', 's=3x']);
  });

  test('direct toolkens are spliced as their own text, without tool mode', () => {
    const plan: Script = (text) => {
      if (text.endsWith(':')) return ['<multiply>'];
      if (text.endsWith('<multiply>')) return [' '];
      if (text.endsWith(' ')) return ['<add>'];
      return ['\n'];
    };
    const log: string[] = [];
    const [answer] = decodeAnswers(scriptedModel(plan, log), codec, ['Q'], options({ directTools: true }));
    assert.equal(answer!.text, '<multiply> <add>');
    assert.equal(answer!.calls.length, 2);
    assert.ok(!log.some((l) => l.startsWith('prefill 1')));
  });

  test('a prompt longer than the context keeps its tail', () => {
    const log: string[] = [];
    const model = { ...scriptedModel(() => ['\n'], log), maxPositions: 60 };
    decodeAnswers(model, codec, ['Q'], options({ reasoningPrompt: (q) => 'a'.repeat(100) + q, maxTokens: 10 }));
    // 60 positions - 10 generated - 24 for a spliced result = 26 prompt tokens, the question at the end.
    assert.ok(log.includes(`prefill 0 ${JSON.stringify('a'.repeat(25) + 'Q')}`), log[0]);
  });

  test('stopAtToolken reports the first tool chosen', () => {
    const [answer] = decodeAnswers(scriptedModel(script), codec, ['Q'], options({ stopAtToolken: true }));
    assert.equal(answer!.firstTool, '<add>');
    assert.equal(answer!.text, 's=');
  });
});
