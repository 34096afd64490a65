/**
 * Progress while a model loads: a checkpoint of billions of weights takes long enough to read that a silent CLI
 * looks hung. Small models (the tests', the demo's) load without a bar.
 */
import type { LoadProgress } from '../models/decoder.js';
import { ProgressBar } from '../report/progress.js';

/** Below this many weights a model loads in well under a second: no bar. */
const SHOWN_FROM_WEIGHTS = 50_000_000;

/** A `loadModel` onProgress callback drawing a bar in millions of weights read. */
export function modelLoadProgress(label = 'load model'): (progress: LoadProgress) => void {
  let bar: ProgressBar | undefined;
  let shown = 0;
  return (p) => {
    if (p.totalElements < SHOWN_FROM_WEIGHTS) return;
    bar ??= new ProgressBar({ total: Math.ceil(p.totalElements / 1e6), label, unit: 'M weights' });
    const millions = Math.floor(p.elements / 1e6);
    bar.tick(millions - shown, { tensor: `${p.tensors}/${p.totalTensors}` });
    shown = millions;
    if (p.tensors === p.totalTensors) bar.finish();
  };
}
