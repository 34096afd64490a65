/**
 * Which backend computes. The native `cpu` backend is the default when its addon loads; otherwise the pure
 * TypeScript `ref` backend is used after one warning. `TOOLKEN_BACKEND=ref|cpu` overrides the default, and
 * `setBackend` switches at run time (tensors keep the storage they were created with, so switch between host
 * backends only, or before creating tensors).
 */
import type { Backend } from '../backend.js';
import { loadCpuBackend } from './cpu.js';
import { refBackend } from './ref.js';

export type BackendName = 'ref' | 'cpu';

let current: Backend | null = null;
let cpuLoad: { backend: Backend } | { error: string } | null = null;

function loadCpu(): { backend: Backend } | { error: string } {
  cpuLoad ??= loadCpuBackend();
  return cpuLoad;
}

function chooseDefault(): Backend {
  const requested = process.env['TOOLKEN_BACKEND'];
  if (requested !== undefined && requested !== '') {
    if (requested !== 'ref' && requested !== 'cpu') {
      throw new Error(`TOOLKEN_BACKEND must be 'ref' or 'cpu', got '${requested}'`);
    }
    return backendByName(requested);
  }
  const cpu = loadCpu();
  if ('backend' in cpu) return cpu.backend;
  process.stderr.write(
    `toolken: native CPU backend unavailable (${cpu.error}); using the pure-TypeScript ref backend (slow). ` +
      'Run `npm run build` to compile the native backend.\n',
  );
  return refBackend;
}

function backendByName(name: BackendName): Backend {
  if (name === 'ref') return refBackend;
  const cpu = loadCpu();
  if ('error' in cpu) throw new Error(`cpu backend unavailable: ${cpu.error}`);
  return cpu.backend;
}

/** The backend ops compute with. */
export function getBackend(): Backend {
  current ??= chooseDefault();
  return current;
}

/** Selects the backend by name, or installs a Backend implementation directly. */
export function setBackend(backend: BackendName | Backend): void {
  current = typeof backend === 'string' ? backendByName(backend) : backend;
}

/** Every backend that can run in this process (ref always; cpu when its addon loads). */
export function availableBackends(): Backend[] {
  const cpu = loadCpu();
  return 'backend' in cpu ? [refBackend, cpu.backend] : [refBackend];
}

/** Runs fn with `backend` selected, restoring the previous selection afterwards. */
export function withBackend<T>(backend: BackendName | Backend, fn: () => T): T {
  const previous = getBackend();
  setBackend(backend);
  try {
    return fn();
  } finally {
    current = previous;
  }
}
