// The audience segment language: a small, readable expression over a person's profile,
// e.g.
//   traits.country = "CN" and interest("sci-fi") >= 0.3
//     and did("purchase", within: 30d, count >= 2, where: price > 100)
//     and not in_segment("churned")
//
// Grammar (keywords are lower case; `and` binds tighter than `or`):
//   expr       := and_expr ("or" and_expr)*
//   and_expr   := unary ("and" unary)*
//   unary      := "not" unary | "(" expr ")" | predicate
//   predicate  := path op value | path "in" list | path "contains" value
//               | path "exists"
//               | "interest" "(" string ")" op number
//               | "did" "(" string ("," did_arg)* ")"
//               | "in_segment" "(" string ")"
//   did_arg    := "within" ":" duration | "count" op number | "where" ":" condition
//   condition  := a comparison like `path op value` over the event's properties, or
//                 several joined by and / or / not with parentheses
//   path       := name ("." name)*        traits.country, computed.orders_30d, price
//   op         := "=" | "!=" | "<" | "<=" | ">" | ">="
//   value      := string | number | "true" | "false" | "null" | list
//   list       := "[" value ("," value)* "]"
//   duration   := whole number and d, h or m: 30d, 12h, 15m
// Strings are in double quotes with JSON escapes. Paths start with `traits.` or
// `computed.` at the top level; inside `where:` they name event properties.
//
// Parse errors name the line and column and what was expected there.
// Thread-safe: pure functions; an Expression is an immutable value once parsed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace aidmp::audience {

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
std::string_view CompareOpText(CompareOp op);

// A literal: null, a boolean, a number, a string, or a list of literals.
struct Literal {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kList } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<Literal> items;
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  enum class Kind : uint8_t {
    kAnd,        // children
    kOr,         // children
    kNot,        // children[0]
    kCompare,    // path op value
    kIn,         // path in value (a list)
    kContains,   // path contains value
    kExists,     // path exists
    kInterest,   // interest(name) op value (a number)
    kDid,        // did(name, within_us, count op count_value, where)
    kInSegment,  // in_segment(name)
  } kind = Kind::kAnd;
  std::vector<NodePtr> children;
  std::vector<std::string> path;  // kCompare, kIn, kContains, kExists
  CompareOp op = CompareOp::kEq;  // kCompare, kInterest, kDid's count
  Literal value;                  // kCompare, kIn, kContains, kInterest
  std::string name;               // kInterest tag, kDid event, kInSegment segment
  // kDid: the window (0: all time), the count condition (default: count >= 1), and the
  // property filter (null: none).
  int64_t within_us = 0;
  CompareOp count_op = CompareOp::kGe;
  double count_value = 1;
  NodePtr where;
  // Where the node starts in the source (1-based), for later errors (unknown segment).
  int line = 0;
  int column = 0;
};

struct Expression {
  NodePtr root;
  // The expression in canonical form: fully parenthesised, one space around operators;
  // parsing it again gives the same canonical form.
  std::string ToString() const;
};

// Parses `text`. InvalidArgument on a syntax error, its message like
// "line 1, column 18: expected a value (a string, number, true, false, null or list), found ')'".
// Limits: 64 KiB of text, nesting 64 deep.
absl::StatusOr<Expression> ParseExpression(std::string_view text);

// `left op right` for two numbers.
bool CompareNumbers(double left, CompareOp op, double right);
// Whether `x op value` holds for every x in [low, high], for none, or for some only.
enum class RangeAnswer : uint8_t { kAll, kNone, kSome };
RangeAnswer CompareRange(double low, double high, CompareOp op, double value);

std::string NodeToString(const Node& node);
std::string LiteralToString(const Literal& literal);

}  // namespace aidmp::audience
