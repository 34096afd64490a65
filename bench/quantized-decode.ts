/**
 * `npm run bench:quantized-decode`: only the weight-format records of the model suite (toolken prefill / decode M in
 * fp32, bf16, q8_0 and q4_0 beside llama.cpp prefill / decode M f16 / q8_0 / q4_0 on the same exports, when
 * TOOLKEN_LLAMA_DIR is set), merged into
 * bench/results/model.json in place of earlier records of the same names, so the rest of the suite's results stay.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { loadCpuBackend } from '../src/tensor/backends/cpu.js';
import { setBackend } from '../src/tensor/backends/index.js';
import { formatTable, resultsDir, writeResults, type BenchRecord } from './lib.js';
import { quantizedDecodeRecords } from './suites/model.js';

const loaded = loadCpuBackend();
if ('error' in loaded) {
  process.stderr.write(`bench:quantized-decode needs the native cpu backend: ${loaded.error}\n`);
  process.exit(1);
}
loaded.backend.setThreads(2);
setBackend(loaded.backend);
process.stderr.write(`bench: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
const records = quantizedDecodeRecords(loaded.backend);
process.stdout.write(formatTable('model (quantized decode)', records) + '\n');
const previous = join(resultsDir, 'model.json');
const kept = existsSync(previous) ? (JSON.parse(readFileSync(previous, 'utf8')) as { records: BenchRecord[] }).records : [];
const names = new Set(records.map((r) => r.name));
process.stderr.write(`bench: wrote ${writeResults('model', [...kept.filter((r) => !names.has(r.name)), ...records])}\n`);
