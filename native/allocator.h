// The allocator policy applied once when the addon loads (see allocator.cc for why).
#pragma once

#include <string>

namespace toolken {

// Applies the policy and returns a one-line description of what is in effect, for describe().
std::string tune_allocator();

}  // namespace toolken
