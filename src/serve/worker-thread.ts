/**
 * Starting a worker thread on one of toolken's own modules. Installed, the module is the compiled .js file; run from
 * the TypeScript sources (tests, `tsx`), only the .ts file exists, and a worker thread does not inherit the parent's
 * module hooks: a two-line bootstrap registers tsx's loader in the worker before importing the module.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `entry` is the compiled module's URL (`new URL('./x.js', import.meta.url)`); `data` reaches it as `workerData`. */
export function spawnModuleWorker(entry: URL, data: unknown): Worker {
  if (existsSync(fileURLToPath(entry))) return new Worker(entry, { workerData: data });
  const source = entry.href.replace(/\.js$/, '.ts');
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}
