import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HubError, resolveModelPath } from './hub.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-hub-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in Hub serving a few files of "org/tiny"; everything else is 404. */
async function fakeHub(files: Record<string, string>): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/org\/tiny\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    const body = match ? files[match[1]!] : undefined;
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('resolveModelPath', () => {
  test('an existing local directory is used as is', async () => {
    assert.equal(await resolveModelPath(dir), dir);
  });

  test('an unreachable Hub gives an error that says so and explains passing a local directory', async () => {
    // A port that was just free: connecting is refused at once.
    const probe = await fakeHub({});
    probe.server.close();
    await assert.rejects(resolveModelPath('org/tiny', { cacheDir: join(dir, 'offline'), baseUrl: probe.url, log: () => undefined }), (err: Error) => {
      assert.ok(err.message.startsWith(`cannot reach the Hugging Face Hub at ${probe.url} to download "org/tiny" (ECONNREFUSED)`), err.message);
      assert.match(err.message, /pass its local directory/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'offline', 'org--tiny', '.toolken-download.json')), false);
  });

  test('something that is neither a path nor an org/name id is rejected', async () => {
    await assert.rejects(resolveModelPath('no-such-dir-or-id'), /"no-such-dir-or-id" is neither an existing file or directory nor a Hugging Face model id/);
  });

  test('an id is downloaded once into <cache>/<org>--<name> with config, tokenizer and sharded weights', async () => {
    const files = {
      'config.json': '{"model_type":"llama"}',
      'tokenizer.json': '{"model":{}}',
      'model.safetensors.index.json': '{"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors"}}',
      'model-1.safetensors': 'shard one',
      'model-2.safetensors': 'shard two',
    };
    const hub = await fakeHub(files);
    try {
      const cacheDir = join(dir, 'cache');
      const path = await resolveModelPath('org/tiny', { cacheDir, baseUrl: hub.url, log: () => undefined });
      assert.equal(path, join(cacheDir, 'org--tiny'));
      for (const [name, body] of Object.entries(files)) assert.equal(readFileSync(join(path, name), 'utf8'), body);
      assert.equal(existsSync(join(path, 'generation_config.json')), false, 'optional files the Hub lacks are skipped');
      const before = hub.requests.length;
      assert.equal(await resolveModelPath('org/tiny', { cacheDir, baseUrl: hub.url }), path);
      assert.equal(hub.requests.length, before, 'a completed download is not fetched again');
    } finally {
      hub.server.close();
    }
  });

  test('a model without safetensors weights is refused', async () => {
    const hub = await fakeHub({ 'config.json': '{}' });
    try {
      await assert.rejects(resolveModelPath('org/tiny', { cacheDir: join(dir, 'noweights'), baseUrl: hub.url, log: () => undefined }), /has no model\.safetensors or model\.safetensors\.index\.json/);
    } finally {
      hub.server.close();
    }
  });

  test('an index naming shards outside the model folder is a Hub error: nothing is requested or written outside the cache', async () => {
    for (const shard of ['../../escaped.safetensors', '..\\..\\escaped.safetensors', '/tmp/escaped.safetensors', '.toolken-download.json', 'sub/model.safetensors', '..']) {
      const root = mkdtempSync(join(dir, 'escape-'));
      const hub = await fakeHub({ 'config.json': '{}', 'model.safetensors.index.json': JSON.stringify({ weight_map: { a: 'model-1.safetensors', b: shard } }), 'model-1.safetensors': 'one' });
      try {
        const cacheDir = join(root, 'a', 'b', 'cache');
        await assert.rejects(resolveModelPath('org/tiny', { cacheDir, baseUrl: hub.url, log: () => undefined }), (err: Error) => {
          assert.ok(err instanceof HubError, String(err));
          assert.match(err.message, /model\.safetensors\.index\.json .* is malformed: shard .* is not a plain \.safetensors file name/);
          return true;
        });
        assert.ok(!hub.requests.some((r) => r.includes('escaped') || r.endsWith('/..')), `no request for ${shard}: ${hub.requests.join(' ')}`);
        assert.deepEqual(readdirSync(root), ['a'], 'nothing appears beside the cache');
        assert.equal(existsSync(join(root, 'escaped.safetensors')), false);
        assert.equal(existsSync(join(cacheDir, 'org--tiny', '.toolken-download.json')), false);
      } finally {
        hub.server.close();
      }
    }
  });

  test('a malformed index (not JSON, no weight_map, non-string shard) is a Hub error naming the file', async () => {
    for (const index of ['{not json', '[]', '{"weight_map":[]}', '{"weight_map":{"a":7}}', '{"weight_map":{}}']) {
      const hub = await fakeHub({ 'config.json': '{}', 'model.safetensors.index.json': index });
      try {
        await assert.rejects(resolveModelPath('org/tiny', { cacheDir: mkdtempSync(join(dir, 'bad-index-')), baseUrl: hub.url, log: () => undefined }), (err: Error) => {
          assert.ok(err instanceof HubError, String(err));
          assert.match(err.message, /"org\/tiny": model\.safetensors\.index\.json from http:\/\/127\.0\.0\.1:\d+ is (not valid JSON|malformed)/);
          return true;
        });
      } finally {
        hub.server.close();
      }
    }
  });
});
