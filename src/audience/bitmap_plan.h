// Answers a segment expression over everyone at once, on a BitmapIndex of their values,
// with the reference semantics of evaluate.h (a property test holds the two equal).
//
// The expression is the plan: `and` narrows a candidate set child by child, bitmap
// leaves first; `or` unions, asking each child only about people not yet in; `not`
// subtracts from the candidates. Leaves map to fields (FieldName):
//   traits.a.b           the trait a's member b (objects flattened kMaxIndexedPath deep)
//   computed.NAME        a computed trait's value at the index's time
//   interest("t")        the tag's score; people without the tag score 0
//   did("e")             the person's event count by selector, all time
// What the bitmaps cannot answer is checked person by person (a "residual", reading the
// profile and events like the reference), but only for the candidates that remain:
// did(...) with a window or `where:` first keeps only people whose all-time count makes
// the condition possible, and decides at once those for whom it is certain; a window
// without `where:` then narrows each remaining person's count by their recent daily
// counts (WindowBounds), and only people those leave undecided are read.
//
// Thread-safety: reads the index; `check` is called on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/bitmap_index.h"
#include "audience/evaluate.h"
#include "audience/expression.h"

namespace aidmp::audience {

// Trait paths up to this many names ("traits", "a", "b", "c") are in the index.
constexpr size_t kMaxIndexedPath = 4;

// Field names; parts are joined by '\x1f', which names in the language cannot hold.
std::string PathField(const std::vector<std::string>& path);  // traits.* and computed.*
std::string InterestField(std::string_view tag);
std::string EventCountField(std::string_view selector);
// A field name for people to read ('.' for the separator).
std::string DisplayField(std::string_view field);

// The residual check: does the person in `slot` match `node` (reference semantics)?
using ResidualCheck = std::function<absl::StatusOr<bool>(uint32_t slot, const Node& node)>;

// Bounds on how many events by `selector` the person in `slot` had in the `within_us`
// before the evaluation time; nullopt when unknown. Lets did(..., within: W) decide
// most people without reading their events.
using WindowBounds =
    std::function<std::optional<std::pair<uint64_t, uint64_t>>(uint32_t slot, std::string_view selector, int64_t within_us)>;

// One line of an explained plan: the node, how it was answered, and how many of the
// candidates it kept.
struct PlanStep {
  int depth = 0;
  std::string node;
  std::string how;
  uint64_t candidates = 0;
  uint64_t result = 0;
  uint64_t residual_checks = 0;  // people checked one by one
  double micros = 0;
};

// The slots of `index` matching `node`, among `among` (null: everyone). `segments` names
// the saved segments that in_segment(...) refers to (null: none); `explain`, if given,
// receives the steps.
absl::StatusOr<Roaring> EvaluateOnBitmaps(const Node& node, const BitmapIndex& index, const ResidualCheck& check,
                                          const SegmentDefinitions* segments, std::vector<PlanStep>* explain = nullptr,
                                          const Roaring* among = nullptr, const WindowBounds* bounds = nullptr);

// How many slots of `index` match `node`, over everyone: the same answer as
// EvaluateOnBitmaps(...).cardinality(), without building the members' bitmap.
// When the bitmaps alone answer `node` and nothing is explained, the slots are split
// into `threads` slices counted at once (0: one per core, for indexes of a million
// slots or more); `check` and `bounds` must then be safe to call from several threads.
absl::StatusOr<uint64_t> CountOnBitmaps(const Node& node, const BitmapIndex& index, const ResidualCheck& check,
                                        const SegmentDefinitions* segments, std::vector<PlanStep>* explain = nullptr,
                                        const WindowBounds* bounds = nullptr, int threads = 0);

// The steps as an indented table.
std::string FormatPlan(const std::vector<PlanStep>& steps);

}  // namespace aidmp::audience
