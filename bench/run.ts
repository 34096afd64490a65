/**
 * `npm run bench [suite...]`: runs bench/suites/<suite>.ts (each exports `run(): Promise<BenchRecord[]>`), prints a
 * table per suite and writes bench/results/<suite>.json. With no arguments every suite runs, in name order.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { formatTable, writeResults, type BenchRecord } from './lib.js';

interface Suite {
  run(): Promise<BenchRecord[]>;
}

const suitesDir = fileURLToPath(new URL('./suites', import.meta.url));

function availableSuites(): string[] {
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function isSuite(module: unknown): module is Suite {
  return typeof module === 'object' && module !== null && typeof (module as { run?: unknown }).run === 'function';
}

async function main(argv: readonly string[]): Promise<number> {
  const available = availableSuites();
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: npm run bench [suite...]\n\nsuites: ${available.join(', ')}\n`);
    return 0;
  }
  const unknown = argv.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown suite ${unknown.map((u) => `"${u}"`).join(', ')}; available: ${available.join(', ')}\n`);
    return 2;
  }
  const selected = argv.length > 0 ? [...argv] : available;
  process.stderr.write(`bench: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  for (const name of selected) {
    const module: unknown = await import(pathToFileURL(join(suitesDir, `${name}.ts`)).href);
    if (!isSuite(module)) {
      process.stderr.write(`bench: bench/suites/${name}.ts does not export run()\n`);
      return 1;
    }
    const records = await module.run();
    process.stdout.write(formatTable(name, records) + '\n\n');
    const path = writeResults(name, records);
    process.stderr.write(`bench: wrote ${path}\n`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
