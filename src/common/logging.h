// Process logging setup. Modules log through spdlog directly; this only configures it.
// Call once from main() before threads start.
#pragma once

#include <string_view>

namespace aidmp {

// `level` is one of trace, debug, info, warn, error, off. Unknown levels mean info.
void InitLogging(std::string_view level);

}  // namespace aidmp
