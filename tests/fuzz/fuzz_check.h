// Invariant checks for fuzz targets.
//
// A violated invariant must stop the fuzzer with a crash report and the input saved, so
// checks print what failed and abort(); they are active in every build type, unlike
// assert(). Thread-safe.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

// Aborts with the file, line and condition if `condition` is false.
#define AIDMP_FUZZ_CHECK(condition) AIDMP_FUZZ_CHECK_MSG(condition, std::string())

// As AIDMP_FUZZ_CHECK, also printing `detail` (a std::string naming the values involved).
#define AIDMP_FUZZ_CHECK_MSG(condition, detail)                                         \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n%s\n", __FILE__, __LINE__, \
                   #condition, std::string(detail).c_str());                             \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
