/**
 * Finite-difference gradient checking for ops and models.
 *
 * The scalar checked is L = sum(f(inputs) * R) for a fixed random projection R (so every output element
 * contributes with its own weight). Analytic gradients come from backward(); numeric ones from central differences
 * (L(x + h) - L(x - h)) / 2h, with L accumulated in float64 on the host. The forward runs in float32, so the
 * numeric estimate carries roundoff of order 1e-7 * |L| / h besides the O(h^2) truncation error; the defaults
 * (h = 1e-2, |analytic - numeric| <= atol 5e-3 + rtol 1e-2 * |numeric|) leave room for both on inputs of
 * magnitude about 1, while a wrong gradient is off by far more.
 */
import { grad, noGrad } from '../autograd.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { formatShape, tensor } from '../tensor.js';

export interface GradcheckOptions {
  readonly step?: number;
  readonly atol?: number;
  readonly rtol?: number;
  readonly seed?: number;
}

export interface GradcheckMismatch {
  readonly input: number;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

export interface GradcheckResult {
  /** Largest |analytic - numeric| / (atol + rtol |numeric|) over all checked elements; <= 1 passes. */
  readonly worstRatio: number;
  readonly checked: number;
  readonly mismatches: readonly GradcheckMismatch[];
}

export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const h = options.step ?? 1e-2;
  const atol = options.atol ?? 5e-3;
  const rtol = options.rtol ?? 1e-2;
  const rng = new Rng(options.seed ?? 7);
  const outShape = noGrad(() => tidy(() => fn(...inputs).shape));
  const projection = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < projection.length; i++) projection[i] = rng.uniform() * 2 - 1;

  const projected = (): number =>
    noGrad(() =>
      tidy(() => {
        const out = fn(...inputs).toArray();
        let acc = 0;
        for (let i = 0; i < out.length; i++) acc += out[i]! * projection[i]!;
        return acc;
      }),
    );

  const analytic = tidy(() => {
    const r = tensor(projection, outShape);
    return grad(() => sum(mul(fn(...inputs), r)), inputs).map((g) => g.toArray());
  });

  const mismatches: GradcheckMismatch[] = [];
  let worstRatio = 0;
  let checked = 0;
  inputs.forEach((x, inputIndex) => {
    const original = x.toArray();
    for (let i = 0; i < x.size; i++) {
      x.backend.fill(x.storage, original[i]! + h, i, 1);
      const plus = projected();
      x.backend.fill(x.storage, original[i]! - h, i, 1);
      const minus = projected();
      x.backend.fill(x.storage, original[i]!, i, 1);
      const numeric = (plus - minus) / (2 * h);
      const a = analytic[inputIndex]![i]!;
      const ratio = Math.abs(a - numeric) / (atol + rtol * Math.abs(numeric));
      worstRatio = Number.isNaN(ratio) ? Infinity : Math.max(worstRatio, ratio);
      if (!(ratio <= 1)) mismatches.push({ input: inputIndex, index: i, analytic: a, numeric });
      checked++;
    }
  });
  return { worstRatio, checked, mismatches };
}

/** Throws with the first mismatches (input, element, both values) when any gradient element is out of tolerance. */
export function assertGradcheck(
  name: string, fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {},
): GradcheckResult {
  const result = gradcheck(fn, inputs, options);
  if (result.mismatches.length > 0) {
    const shown = result.mismatches.slice(0, 5).map(
      (m) => `input ${m.input} ${formatShape(inputs[m.input]!.shape)} [${m.index}]: analytic ${m.analytic.toPrecision(6)}, numeric ${m.numeric.toPrecision(6)}`,
    );
    throw new Error(`gradcheck ${name}: ${result.mismatches.length} of ${result.checked} gradient elements differ\n  ${shown.join('\n  ')}`);
  }
  return result;
}
