/**
 * Learning-rate schedules: functions of the step index (0 for the first step). Warmup ramps linearly from
 * peak / warmup to peak over the warmup steps; it is given in steps, or as a ratio of the total steps.
 */
export type LrSchedule = (step: number) => number;

export interface ScheduleOptions {
  readonly peak: number;
  readonly totalSteps: number;
  /** Warmup steps (an integer >= 1), or a ratio of totalSteps (a number in [0, 1)). Default 0. */
  readonly warmup?: number;
  /** Final learning rate for the decaying schedules. Default 0. */
  readonly min?: number;
}

function warmupSteps(warmup: number, totalSteps: number): number {
  if (!(warmup >= 0)) throw new Error(`lr schedule: warmup must be >= 0, got ${warmup}`);
  return warmup < 1 ? Math.round(warmup * totalSteps) : Math.round(warmup);
}

function checked(o: ScheduleOptions): { peak: number; total: number; warm: number; min: number } {
  if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new Error(`lr schedule: totalSteps must be a positive integer, got ${o.totalSteps}`);
  const warm = warmupSteps(o.warmup ?? 0, o.totalSteps);
  if (warm > o.totalSteps) throw new Error(`lr schedule: ${warm} warmup steps exceed ${o.totalSteps} total steps`);
  return { peak: o.peak, total: o.totalSteps, warm, min: o.min ?? 0 };
}

/** The same rate every step, after an optional warmup. */
export function constantSchedule(o: ScheduleOptions): LrSchedule {
  const { peak, warm } = checked(o);
  return (step) => (step < warm ? (peak * (step + 1)) / warm : peak);
}

/** Warmup, then linear decay from peak to min at the last step. */
export function linearSchedule(o: ScheduleOptions): LrSchedule {
  const { peak, total, warm, min } = checked(o);
  return (step) => {
    if (step < warm) return (peak * (step + 1)) / warm;
    const progress = Math.min(1, (step - warm) / Math.max(1, total - warm - 1));
    return peak + (min - peak) * progress;
  };
}

/** Warmup, then half a cosine from peak to min at the last step. */
export function cosineSchedule(o: ScheduleOptions): LrSchedule {
  const { peak, total, warm, min } = checked(o);
  return (step) => {
    if (step < warm) return (peak * (step + 1)) / warm;
    const progress = Math.min(1, (step - warm) / Math.max(1, total - warm - 1));
    return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
  };
}
