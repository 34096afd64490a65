import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelInsideHint } from './model-dir-hint.js';

test('modelInsideHint points from a folder that is not a model to the model inside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-hint-'));
  try {
    // The demo's --out folder: the model (config.json, tool-index.json) is in model/ below it.
    const demoOut = join(dir, 'demo');
    mkdirSync(join(demoOut, 'model'), { recursive: true });
    writeFileSync(join(demoOut, 'model', 'config.json'), '{}');
    writeFileSync(join(demoOut, 'model', 'tool-index.json'), '{}');
    assert.equal(modelInsideHint(demoOut), `; the model is in a folder below it: pass ${join(demoOut, 'model')}`);
    assert.equal(modelInsideHint(demoOut, 'tool-index.json'), `; the model is in a folder below it: pass ${join(demoOut, 'model')}`);

    // A folder of llama2.c / GGUF checkpoints: name the files, not the tokenizer beside them.
    const checkpoints = join(dir, 'stories');
    mkdirSync(checkpoints);
    for (const name of ['stories.bin', 'stories.gguf', 'tok512.bin', 'README.md']) writeFileSync(join(checkpoints, name), '');
    assert.equal(modelInsideHint(checkpoints), `; it holds checkpoint files: pass one of them, e.g. ${join(checkpoints, 'stories.bin')} (also: stories.gguf)`);
    assert.equal(modelInsideHint(checkpoints, 'tool-index.json'), '');

    assert.equal(modelInsideHint(join(dir, 'missing')), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
