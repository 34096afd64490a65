import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { FUNCQA_TOOLS, GSM8K_XL_TOOLS } from './data.js';
import { fillTemplate, loadTemplates, TemplateError } from './templates.js';

const root = join(sharedDatasetsDir(), 'toolkengpt-data');
const tmp = mkdtempSync(join(tmpdir(), 'toolkengpt-templates-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('templates of the release', { skip: existsSync(root) ? false : '../shared absent' }, () => {
  test('FuncQA one-hop, multi-hop and GSM8K-XL load with every tool', () => {
    for (const dir of ['funcqa/template_oh', 'funcqa/template_mh']) {
      const t = loadTemplates(join(root, dir), FUNCQA_TOOLS);
      assert.equal(t.tool.size, 13);
      assert.match(t.tool.get('<add>')!, /<add>\(311, 112\)=423/);
    }
    const g = loadTemplates(join(root, 'gsm8k-xl/template'), GSM8K_XL_TOOLS);
    assert.match(fillTemplate(g.general, 'How many?'), /Question: How many\?\nAnswer:$/);
  });

  test('a folder missing a tool-mode file is an error naming the file', () => {
    const dir = mkdtempSync(join(tmp, 'missing-'));
    for (const f of readdirSync(join(root, 'funcqa/template_oh'))) if (f !== 'llama_<gcd>.txt') copyFileSync(join(root, 'funcqa/template_oh', f), join(dir, f));
    assert.throws(() => loadTemplates(dir, FUNCQA_TOOLS), (e: Error) => e instanceof TemplateError && e.message.includes(join(dir, 'llama_<gcd>.txt')) && /missing the tool-mode template of <gcd>/.test(e.message));
  });

  test('a tool-mode file that never demonstrates its operation is an error naming the file', () => {
    const dir = mkdtempSync(join(tmp, 'wrong-'));
    for (const f of readdirSync(join(root, 'gsm8k-xl/template'))) copyFileSync(join(root, 'gsm8k-xl/template', f), join(dir, f));
    writeFileSync(join(dir, 'llama_<divide>.txt'), 'Question: 6 apples, 3 people?\nAnswer: <multiply>(6, 3)=18\n\nQuestion: [QUESTION]\nAnswer:');
    assert.throws(() => loadTemplates(dir, GSM8K_XL_TOOLS), /llama_<divide>\.txt: the tool-mode template never demonstrates a call of <divide>/);
  });
});

test('a template without [QUESTION] is an error naming the file', () => {
  const dir = mkdtempSync(join(tmp, 'noq-'));
  writeFileSync(join(dir, 'llama_general.txt'), 'Q: no placeholder');
  assert.throws(() => loadTemplates(dir, ['<add>']), /llama_general\.txt: the template has no \[QUESTION\] placeholder/);
});
