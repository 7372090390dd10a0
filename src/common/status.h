// Status helpers shared by every module.
//
// Expected failures travel as absl::Status / absl::StatusOr<T>; these macros keep the
// "return early" style readable. Thread-safe: macros only.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define AIDMP_CONCAT_INNER(a, b) a##b
#define AIDMP_CONCAT(a, b) AIDMP_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the calling function if not OK.
#define AIDMP_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::absl::Status aidmp_status_ = (expr);       \
    if (!aidmp_status_.ok()) return aidmp_status_; \
  } while (0)

// `lhs = value of expr` where expr is an absl::StatusOr<T>; returns the status on error.
#define AIDMP_ASSIGN_OR_RETURN(lhs, expr) \
  AIDMP_ASSIGN_OR_RETURN_IMPL(AIDMP_CONCAT(aidmp_statusor_, __LINE__), lhs, expr)
#define AIDMP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
