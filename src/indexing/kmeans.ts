import { seededRandom } from '../util/random.js';

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) {
    const diff = a[d]! - b[d]!;
    s += diff * diff;
  }
  return s;
}

function nearest(p: Float32Array, centres: readonly Float32Array[]): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let c = 0; c < centres.length; c++) {
    const dist = squaredDistance(p, centres[c]!);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = c;
    }
  }
  return best;
}

export interface KMeansOptions {
  readonly seed: number;
  /** Lloyd iterations at most; it stops earlier once at most 1% of the assignments change. Default 10. */
  readonly maxIterations?: number;
  /** Centres are fitted on at most this many members drawn at random, then every member is assigned to its
   * nearest centre: the clustering of 50,000 tools then costs little more than one assignment pass. Default 1024. */
  readonly sampleSize?: number;
}

/**
 * Seeded k-means with k-means++ initialisation over `points[members[i]]`. Returns the cluster of each member
 * (0..k-1; some clusters may end up empty). Deterministic for the same inputs and seed.
 */
export function kmeans(points: readonly Float32Array[], members: readonly number[], k: number, options: KMeansOptions): Int32Array {
  const n = members.length;
  const assignment = new Int32Array(n);
  if (n === 0) return assignment;
  const random = seededRandom(options.seed);
  const sampleSize = options.sampleSize ?? 1024;
  let sample = members.map((m) => points[m]!);
  if (n > sampleSize) {
    // Partial Fisher-Yates shuffle: the first sampleSize entries become a uniform sample.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (n - i));
      [sample[i], sample[j]] = [sample[j]!, sample[i]!];
    }
    sample = sample.slice(0, sampleSize);
  }
  const centres = fitCentres(sample, k, random, options.maxIterations ?? 10);
  for (let i = 0; i < n; i++) assignment[i] = nearest(points[members[i]!]!, centres);
  return assignment;
}

/** k-means++ seeding, then Lloyd iterations, over `sample`. */
function fitCentres(sample: readonly Float32Array[], k: number, random: () => number, maxIterations: number): Float32Array[] {
  const n = sample.length;
  const dim = sample[0]!.length;
  // k-means++: each next centre is drawn with probability proportional to its squared distance to the nearest one.
  const centres: Float32Array[] = [Float32Array.from(sample[Math.floor(random() * n)]!)];
  const closest = new Float64Array(n).fill(Infinity);
  while (centres.length < Math.min(k, n)) {
    const last = centres[centres.length - 1]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      closest[i] = Math.min(closest[i]!, squaredDistance(sample[i]!, last));
      total += closest[i]!;
    }
    if (total === 0) break; // every point coincides with a centre already
    let target = random() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= closest[i]!;
      if (target <= 0) {
        pick = i;
        break;
      }
    }
    centres.push(Float32Array.from(sample[pick]!));
  }

  const assignment = new Int32Array(n).fill(-1);
  const sums = centres.map(() => new Float64Array(dim));
  const counts = new Int32Array(centres.length);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const c = nearest(sample[i]!, centres);
      if (assignment[i] !== c) {
        assignment[i] = c;
        changed++;
      }
    }
    // Past this point the clusters barely move; the index only needs a reasonable grouping, not a converged one.
    if (changed <= n / 100) break;
    for (const s of sums) s.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!;
      const p = sample[i]!;
      const s = sums[c]!;
      for (let d = 0; d < dim; d++) s[d]! += p[d]!;
      counts[c]!++;
    }
    for (let c = 0; c < centres.length; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its old centre
      for (let d = 0; d < dim; d++) centres[c]![d] = sums[c]![d]! / counts[c]!;
    }
  }
  return centres;
}
