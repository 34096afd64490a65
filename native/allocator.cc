// Process allocator policy. A training step allocates and frees the same large buffers every step (activations,
// gradients, the LM head's logits): with glibc's defaults each buffer above the mmap threshold is a fresh mmap,
// so every step pays page faults, kernel page zeroing and TLB-shootdown interrupts on munmap, about a sixth of a
// stories15M step on two cores. Keeping freed memory in the heap lets the next step reuse it, the same reason
// PyTorch's tuned setups preload tcmalloc. TOOLKEN_SYSTEM_MALLOC=1 leaves the defaults alone.
#include "allocator.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace toolken {

std::string tune_allocator() {
  const char* opt_out = std::getenv("TOOLKEN_SYSTEM_MALLOC");
  if (opt_out != nullptr && opt_out[0] != '\0' && opt_out[0] != '0') return "system defaults (TOOLKEN_SYSTEM_MALLOC)";
#if defined(__GLIBC__)
  // Large blocks come from the heap instead of private mappings, and freed memory is returned to the system only
  // beyond 1 GiB of free space at the top of the heap.
  const bool ok = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return ok ? "glibc, freed memory kept for reuse" : "glibc defaults (mallopt refused)";
#else
  return "system defaults";
#endif
}

}  // namespace toolken
