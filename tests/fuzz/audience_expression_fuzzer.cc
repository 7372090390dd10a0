// Fuzzes the audience segment language's parser (audience/expression.h).
//
// Input: an expression's text.
//
// Invariants: nothing crashes or hangs; a rejected text is InvalidArgument with a
// message; an accepted one prints a canonical form that parses again to the same form.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audience/expression.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expression = aidmp::audience::ParseExpression(text);
  if (!expression.ok()) {
    AIDMP_FUZZ_CHECK(absl::IsInvalidArgument(expression.status()));
    AIDMP_FUZZ_CHECK(!expression.status().message().empty());
    return 0;
  }
  std::string canonical = expression->ToString();
  auto again = aidmp::audience::ParseExpression(canonical);
  AIDMP_FUZZ_CHECK(again.ok());
  AIDMP_FUZZ_CHECK(again->ToString() == canonical);
  return 0;
}
