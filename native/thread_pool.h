// A persistent pool of worker threads shared by every parallel kernel.
//
// Work is split into numbered parts that idle threads claim one at a time (the calling thread works too), so a
// thread slowed down by other processes simply takes fewer parts. Kernels make each part's result depend only on
// its index (and reduce per-part partials in index order), so results never depend on which thread ran a part:
// they are deterministic for a fixed thread count. A kernel already running inside the pool runs nested parallel
// loops inline.
#pragma once

#include <cstdint>
#include <functional>

namespace toolken {

// Threads the pool computes with (the caller included).
int pool_threads();

// Resizes the pool; threads >= 1. Must not be called from inside a parallel region.
void set_pool_threads(int threads);

// Runs body(part) for every part in [0, parts), spreading parts over the pool.
void parallel_parts(int64_t parts, const std::function<void(int64_t part)>& body);

// Splits [0, n) into up to 4 * threads contiguous ranges of at least `grain` items and runs body(begin, end) on each.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& body);

}  // namespace toolken
