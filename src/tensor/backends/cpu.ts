/**
 * The native CPU backend: the kernels of `Backend` in C++ (native/, built by node-gyp into
 * build/Release/toolken_native.node), multithreaded over a persistent thread pool (TOOLKEN_THREADS sets its size),
 * with AVX-512 / AVX2+FMA code paths chosen at run time and a portable fallback.
 *
 * Storage is a plain Float32Array handed to C++ zero-copy; integer inputs (token ids, targets, positions) are
 * Int32Array. The addon validates every length it is given and throws an Error naming the kernel and the mismatch.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { uninitializedFloats } from './host-memory.js';
import type { Backend, Storage } from '../backend.js';
import { KERNEL_NAMES, wireArguments, wireTable, type KernelName } from '../kernels.js';

/** One kernel as the addon exports it: the flat argument list of its table entry (../kernels.ts). */
type NativeKernel = (...wire: unknown[]) => unknown;

/** The functions the addon exports (native/binding.cc). */
interface NativeAddon {
  describe(): string;
  features(): CpuFeatures;
  getThreads(): number;
  setThreads(threads: number): void;
  /** Checks the kernel table against the addon's handlers and returns one function per kernel. */
  bind(table: ReturnType<typeof wireTable>): Record<KernelName, NativeKernel>;
}

export type MatmulPath = 'amx' | 'avx512-bf16' | 'fp32';

/** How a quantized matmul runs: int8 dot products with AVX-512 VNNI, or portable scalar C++. */
export type QuantPath = 'avx512-vnni' | 'scalar';

/** What the CPU offers and which kernel path the addon chose. */
export interface CpuFeatures {
  readonly avx2: boolean;
  readonly fma: boolean;
  readonly avx512f: boolean;
  readonly avx512bf16: boolean;
  readonly avx512vnni: boolean;
  readonly amxTile: boolean;
  readonly amxBf16: boolean;
  readonly amxInt8: boolean;
  /** The bf16 matmul paths this machine runs, fastest first ('fp32' always: fp32 FMA on the bf16-rounded inputs).
   * AMX is listed only once Linux granted the tile-data permission. A bf16 matmul takes the first, or the one
   * TOOLKEN_MATMUL_PATH names when it is listed here (read at every call); describe() names the one in use. */
  readonly matmulPaths: readonly MatmulPath[];
  /** The quantized matmul paths this machine runs, fastest first ('scalar' always). A quantized matmul takes the
   * first, or the one TOOLKEN_QUANT_PATH names when it is listed here (read at every call); describe() says
   * `int8 matmul <path>`. */
  readonly quantPaths: readonly QuantPath[];
  /** The micro-kernels in use: 'avx512', 'avx2-fma' or 'scalar' (portable C++). TOOLKEN_NATIVE_KERNELS=avx2|portable
   * caps the choice at load time. */
  readonly path: 'avx512' | 'avx2-fma' | 'scalar';
}

/** The native backend, plus controls benchmarks use. */
export interface CpuBackend extends Backend {
  readonly features: CpuFeatures;
  /** One line: kernel path, thread count, blocking. */
  describe(): string;
  /** Resizes the thread pool (1 <= threads); results are deterministic for a fixed count. */
  setThreads(threads: number): void;
}

/** Where node-gyp puts the addon, relative to this file in src/ or in dist/ (both sit two levels below the root). */
export const nativeAddonPath = fileURLToPath(new URL('../../../build/Release/toolken_native.node', import.meta.url));

function host(s: Storage, kernel: string, name: string): Float32Array {
  if (!(s instanceof Float32Array)) throw new Error(`cpu.${kernel}: ${name} must be cpu storage (a Float32Array)`);
  return s;
}

/** Every kernel of the table as a Backend method: its arguments flattened to the wire list, one native call. */
function kernelMethods(addon: NativeAddon): Pick<Backend, KernelName> {
  const native = addon.bind(wireTable());
  const methods: Partial<Record<KernelName, (...args: unknown[]) => unknown>> = {};
  for (const name of KERNEL_NAMES) {
    const call = native[name];
    const wire = wireArguments(name, 'cpu');
    methods[name] = (...args) => call(...wire(args));
  }
  // The addon checked each kernel's argument kinds and result against the table, and kernels.ts checks the table's
  // kernels and arities against Backend.
  return methods as unknown as Pick<Backend, KernelName>;
}

function createBackend(addon: NativeAddon): CpuBackend {
  const features = addon.features();
  return {
    name: 'cpu',
    get threads() {
      return addon.getThreads();
    },
    features,
    describe: () => addon.describe(),
    setThreads(threads: number) {
      if (!Number.isInteger(threads) || threads < 1) throw new Error(`cpu.setThreads: threads must be a positive integer, got ${threads}`);
      addon.setThreads(threads);
    },
    alloc: (length) => new Float32Array(length),
    allocUninitialized: (length) => uninitializedFloats(length),
    upload: (data) => Float32Array.from(data),
    download: (s) => host(s, 'download', 's'),
    ...kernelMethods(addon),
  };
}

const loaded = new Map<string, { backend: CpuBackend } | { error: string }>();

/**
 * Loads the native backend (once per process and path). Returns `{ error }` (never throws) when the addon was not
 * built or cannot be loaded here, so callers can fall back to the `ref` backend and say why.
 */
export function loadCpuBackend(addonPath: string = nativeAddonPath): { backend: CpuBackend } | { error: string } {
  const known = loaded.get(addonPath);
  if (known) return known;
  let result: { backend: CpuBackend } | { error: string };
  if (!existsSync(addonPath)) {
    result = { error: `the native CPU backend is not built (${addonPath} is missing); run \`npm run build\` with a C++ compiler installed` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
      result = { backend: createBackend(addon) };
    } catch (err) {
      result = { error: `the native CPU backend at ${addonPath} failed to load: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  loaded.set(addonPath, result);
  return result;
}
