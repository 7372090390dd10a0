#include "audience/bitmap_plan.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/parallel.h"
#include "common/status.h"
#include "common/strings.h"

namespace aidmp::audience {
namespace {

constexpr char kSeparator = '\x1f';

absl::Status At(const Node& node, std::string_view message) {
  return absl::InvalidArgumentError(StrCat("line ", node.line, ", column ", node.column, ": ", message));
}

bool PathIndexed(const std::vector<std::string>& path) {
  if (path.size() > kMaxIndexedPath) return false;
  for (const std::string& name : path) {
    if (name.find(kSeparator) != std::string::npos) return false;
  }
  return true;
}

// Whether the bitmaps alone answer `node` (no person is read).
bool Indexable(const Node& node, const SegmentDefinitions* segments, int depth = 0) {
  switch (node.kind) {
    case Node::Kind::kCompare:
    case Node::Kind::kIn:
    case Node::Kind::kContains:
    case Node::Kind::kExists:
      return PathIndexed(node.path);
    case Node::Kind::kInterest:
      return true;
    case Node::Kind::kDid:
      return node.within_us == 0 && !node.where;
    case Node::Kind::kInSegment: {
      if (segments == nullptr || depth > 32) return false;
      auto it = segments->find(node.name);
      return it != segments->end() && Indexable(*it->second.root, segments, depth + 1);
    }
    default:
      for (const auto& child : node.children) {
        if (!Indexable(*child, segments, depth)) return false;
      }
      return true;
  }
}

// The candidates' kind of set: a Roaring, or a DenseSet for counts over everyone.
const Roaring* Scope(const Roaring& candidates, bool all) { return all ? nullptr : &candidates; }
const DenseSet& Scope(const DenseSet& candidates, bool) { return candidates; }

template <typename Set>
class Evaluator {
 public:
  Evaluator(const BitmapIndex& index, const ResidualCheck& check, const SegmentDefinitions* segments,
            std::vector<PlanStep>* explain, const WindowBounds* bounds)
      : index_(index), check_(check), segments_(segments), explain_(explain), bounds_(bounds) {}

  // The candidates matching `node`. `all` says the candidates are everyone.
  absl::StatusOr<Set> Eval(const Node& node, const Set& candidates, bool all, int depth) {
    if constexpr (std::is_same_v<Set, DenseSet>) {
      // What the bitmaps alone answer is one pass over the candidates: the answer is
      // built chunk by chunk in cache from every leaf's fill (an `and`'s clauses until
      // none is left in the chunk), where a step at a time passes over all the
      // candidates once per step.
      if (explain_ == nullptr && Indexable(node, segments_)) {
        return candidates.MeetBuilt(FillOf(node, candidates));
      }
    }
    return Step(StepText(node), candidates, depth, [&](std::string* how, uint64_t* checks) {
      return Dispatch(node, candidates, all, depth, how, checks);
    });
  }

 private:
  // Comparisons of one numeric field under an `and` (`age >= 18 and age <= 34`),
  // answered as one range.
  struct NumberRange {
    std::string field;
    std::optional<double> missing;  // the value of people without one (none: they fail)
    std::vector<const Node*> nodes;
    std::vector<NumberTest> tests;
  };

  // The field and test of a node that can join a NumberRange.
  static std::optional<NumberRange> RangeOf(const Node& node) {
    auto ordered = [](CompareOp op) { return op != CompareOp::kNe; };
    NumberRange range;
    range.nodes = {&node};
    switch (node.kind) {
      case Node::Kind::kCompare:
        if (node.value.kind != Literal::Kind::kNumber || !ordered(node.op) || !PathIndexed(node.path)) return std::nullopt;
        range.field = PathField(node.path);
        range.tests = {{node.op, node.value.number}};
        return range;
      case Node::Kind::kInterest:
        if (!ordered(node.op)) return std::nullopt;
        range.field = InterestField(node.name);
        range.missing = 0;
        range.tests = {{node.op, node.value.number}};
        return range;
      case Node::Kind::kDid:
        if (node.within_us != 0 || node.where || !ordered(node.count_op)) return std::nullopt;
        range.field = EventCountField(node.name);
        range.missing = 0;
        range.tests = {{node.count_op, node.count_value}};
        return range;
      default:
        return std::nullopt;
    }
  }

  // An `and`'s children in evaluation order (Ordered), those comparing the same numeric
  // field gathered at the first one's place.
  std::vector<NumberRange> AndSteps(const Node& node) const {
    std::vector<NumberRange> steps;
    for (const Node* child : Ordered(node)) {
      std::optional<NumberRange> range = RangeOf(*child);
      if (range) {
        auto same = std::find_if(steps.begin(), steps.end(), [&](const NumberRange& step) {
          return !step.tests.empty() && step.field == range->field && step.missing == range->missing;
        });
        if (same != steps.end()) {
          same->nodes.push_back(child);
          same->tests.push_back(range->tests[0]);
          continue;
        }
        steps.push_back(std::move(*range));
        continue;
      }
      NumberRange single;
      single.nodes = {child};
      steps.push_back(std::move(single));
    }
    return steps;
  }

  absl::StatusOr<Set> EvalStep(const NumberRange& step, const Set& candidates, bool all, int depth) {
    if (step.nodes.size() == 1) return Eval(*step.nodes[0], candidates, all, depth);
    std::string text;
    for (const Node* node : step.nodes) text += (text.empty() ? "" : " and ") + StepText(*node);
    return Step(text, candidates, depth, [&](std::string* how, uint64_t*) -> absl::StatusOr<Set> {
      *how = "numeric range, one pass";
      return index_.NumberIn(step.field, step.tests, step.missing, Scope(candidates, all));
    });
  }

  // The answer to `node`, which the bitmaps alone answer (Indexable), as a fill over the
  // chunks of `scope`'s slice.
  ChunkFill FillOf(const Node& node, const DenseSet& scope) {
    switch (node.kind) {
      case Node::Kind::kAnd: {
        std::vector<ChunkFill> parts;
        for (const NumberRange& step : AndSteps(node)) parts.push_back(StepFill(step, scope));
        if (parts.empty()) return [](uint32_t, ChunkBits& bits) {  // `and` of nothing: true
          bits.Clear();
          bits.Flip();
        };
        // Each chunk is narrowed clause by clause, until none is left in it.
        return [parts = std::move(parts), other = std::make_shared<ChunkBits>()](uint32_t key, ChunkBits& bits) {
          parts[0](key, bits);
          for (size_t part_idx = 1; part_idx < parts.size(); ++part_idx) {
            parts[part_idx](key, *other);
            if (!bits.Meet(*other)) return;
          }
        };
      }
      case Node::Kind::kOr: {
        std::vector<ChunkFill> parts;
        for (const auto& child : node.children) parts.push_back(FillOf(*child, scope));
        return [parts = std::move(parts), other = std::make_shared<ChunkBits>()](uint32_t key, ChunkBits& bits) {
          bits.Clear();
          for (const ChunkFill& part : parts) {
            part(key, *other);
            bits.Add(*other);
          }
        };
      }
      case Node::Kind::kNot:
        return [inside = FillOf(*node.children[0], scope)](uint32_t key, ChunkBits& bits) {
          inside(key, bits);
          bits.Flip();
        };
      case Node::Kind::kInSegment:  // Indexable: it exists, and its references end
        return FillOf(*segments_->find(node.name)->second.root, scope);
      case Node::Kind::kDid:
        return index_.CompareNumberFill(EventCountField(node.name), node.count_op, node.count_value, 0, scope);
      case Node::Kind::kInterest:
        return index_.CompareNumberFill(InterestField(node.name), node.op, node.value.number, 0, scope);
      case Node::Kind::kCompare:
        return index_.CompareFill(PathField(node.path), node.op, node.value, scope);
      case Node::Kind::kIn:
        return index_.EqualAnyFill(PathField(node.path), node.value.items, scope);
      case Node::Kind::kContains:
        return index_.ContainsFill(PathField(node.path), node.value, scope);
      case Node::Kind::kExists:
        return index_.PresentFill(PathField(node.path), scope);
    }
    return nullptr;
  }

  // An `and`'s step (AndSteps) as a fill.
  ChunkFill StepFill(const NumberRange& step, const DenseSet& scope) {
    if (step.nodes.size() == 1) return FillOf(*step.nodes[0], scope);
    return index_.NumberInFill(step.field, step.tests, step.missing, scope);
  }

  // The candidates that pass every one of `parts`, narrowed part by part (`and`, and
  // `not` over an `or` or an `in`): `narrow(part, in, in_all)` returns the members of `in`
  // that pass `part`, where `in` is the candidates for the first part (not copied) and
  // the previous part's answer after it, and `in_all` says `in` is everyone. With
  // `stop_when_empty`, the parts after no one is left are not run. No part run: a copy of
  // the candidates. An error from `narrow` is returned at once. `narrow` is a template
  // parameter, not a std::function: no allocation or indirect call per part.
  template <typename Parts, typename NarrowBy>
  absl::StatusOr<Set> Narrow(const Parts& parts, const Set& candidates, bool all, bool stop_when_empty,
                             NarrowBy narrow) {
    std::optional<Set> current;  // none yet: the candidates (not copied)
    for (const auto& part : parts) {
      const Set& in = current ? *current : candidates;
      if (stop_when_empty && in.isEmpty()) break;
      AIDMP_ASSIGN_OR_RETURN(Set next, narrow(part, in, !current && all));
      current = std::move(next);
    }
    if (!current) return candidates;
    return std::move(*current);
  }

  // Runs `run(&how, &checks)`, recording the step when explaining.
  template <typename Run>
  absl::StatusOr<Set> Step(std::string text, const Set& candidates, int depth, Run run) {
    size_t step = 0;
    auto start = std::chrono::steady_clock::now();
    if (explain_ != nullptr) {
      step = explain_->size();
      PlanStep entry;
      entry.depth = depth;
      entry.node = std::move(text);
      entry.candidates = candidates.cardinality();
      explain_->push_back(std::move(entry));
    }
    std::string how;
    uint64_t checks = 0;
    absl::StatusOr<Set> result = run(&how, &checks);
    if (explain_ != nullptr && result.ok()) {
      PlanStep& entry = (*explain_)[step];
      entry.how = std::move(how);
      entry.result = result->cardinality();
      entry.residual_checks = checks;
      entry.micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    }
    return result;
  }

  absl::StatusOr<Set> Dispatch(const Node& node, const Set& candidates, bool all, int depth, std::string* how,
                               uint64_t* checks) {
    switch (node.kind) {
      case Node::Kind::kAnd: {
        *how = "narrow";
        return Narrow(AndSteps(node), candidates, all, /*stop_when_empty=*/true,
                      [&](const NumberRange& step, const Set& in, bool in_all) {
                        return EvalStep(step, in, in_all, depth + 1);
                      });
      }
      case Node::Kind::kOr: {
        // Each child sees only the candidates no earlier child matched; the first
        // child's answer is the union so far, and after the last none are left over.
        // Over a DenseSet a bitmap child costs the same whatever its candidates, so the
        // children before the first that reads people one by one all see the
        // candidates: no pass to take their answers away.
        *how = "union";
        const std::vector<const Node*> children = Ordered(node);
        size_t narrow_from = 0;  // children from this one on see only what is left
        if constexpr (std::is_same_v<Set, DenseSet>) {
          while (narrow_from < children.size() && Indexable(*children[narrow_from], segments_)) ++narrow_from;
        }
        std::optional<Set> result;
        std::optional<Set> rest;  // none yet: the candidates (not copied)
        for (size_t child_idx = 0; child_idx < children.size(); ++child_idx) {
          if (rest && rest->isEmpty()) break;
          const Set& in = rest ? *rest : candidates;
          AIDMP_ASSIGN_OR_RETURN(Set matched, Eval(*children[child_idx], in, !rest && all, depth + 1));
          // Whether the next child sees only the candidates no child so far matched.
          const bool narrow_next = child_idx + 1 < children.size() && child_idx + 1 >= narrow_from;
          if (narrow_next && rest) *rest -= matched;
          if (result) {
            *result |= matched;
          } else {
            result = std::move(matched);
          }
          if (narrow_next && !rest) rest = candidates - *result;
        }
        return result ? std::move(*result) : EmptyLike(candidates);
      }
      case Node::Kind::kNot:
        return Not(*node.children[0], candidates, all, depth, how);
      case Node::Kind::kInSegment: {
        auto it = segments_ == nullptr ? SegmentDefinitions::const_iterator() : segments_->find(node.name);
        if (segments_ == nullptr || it == segments_->end()) {
          return At(node, StrCat("no segment named '", node.name.substr(0, 40), "'"));
        }
        if (++segment_depth_ > 32) return At(node, "segments refer to each other more than 32 deep");
        *how = StrCat("segment ", node.name);
        auto result = Eval(*it->second.root, candidates, all, depth + 1);
        --segment_depth_;
        return result;
      }
      case Node::Kind::kDid:
        return Did(node, candidates, all, how, checks);
      case Node::Kind::kInterest:
        *how = "numeric buckets";
        return index_.CompareNumber(InterestField(node.name), node.op, node.value.number, 0, Scope(candidates, all));
      default:
        break;
    }
    if (!PathIndexed(node.path)) {
      *how = StrCat("person by person (paths deeper than ", kMaxIndexedPath, " names are not indexed)");
      return Residual(node, candidates, checks);
    }
    const std::string field = PathField(node.path);
    switch (node.kind) {
      case Node::Kind::kCompare:
        *how = node.value.kind == Literal::Kind::kNumber && node.op != CompareOp::kEq && node.op != CompareOp::kNe
                   ? "numeric buckets"
                   : "value bitmaps";
        return index_.Compare(field, node.op, node.value, Scope(candidates, all));
      case Node::Kind::kIn: {
        *how = "union of value bitmaps";
        return index_.EqualAny(field, node.value.items, Scope(candidates, all));
      }
      case Node::Kind::kContains:
        *how = "element and substring bitmaps";
        return index_.Contains(field, node.value, Scope(candidates, all));
      case Node::Kind::kExists:
        *how = "presence bitmap";
        return index_.Present(field, Scope(candidates, all));
      default:
        return At(node, "cannot evaluate this node on bitmaps");
    }
  }

  // The candidates not matching `child`: by subtracting its answer, or in one pass
  // where there is a shorter way (a value bitmap's outside; not (a or b) as not a and
  // not b, so no union is built; not not a).
  absl::StatusOr<Set> Not(const Node& child, const Set& candidates, bool all, int depth, std::string* how) {
    switch (child.kind) {
      case Node::Kind::kNot:
        *how = "not not";
        return Eval(*child.children[0], candidates, all, depth + 1);
      case Node::Kind::kOr: {
        *how = "narrow (not of each)";
        return Narrow(Ordered(child), candidates, all, /*stop_when_empty=*/true,
                      [&](const Node* part, const Set& in, bool in_all) {
                        return Step(StrCat("not ", StepText(*part)), in, depth + 1,
                                    [&](std::string* part_how, uint64_t*) {
                                      return Not(*part, in, in_all, depth + 1, part_how);
                                    });
                      });
      }
      case Node::Kind::kCompare:
      case Node::Kind::kIn: {
        // Strings and booleans have a bitmap per value: the candidates outside it.
        auto direct = [](const Literal& literal) {
          return literal.kind == Literal::Kind::kString || literal.kind == Literal::Kind::kBool;
        };
        const bool values = child.kind == Node::Kind::kCompare
                                ? child.op == CompareOp::kEq && direct(child.value)
                                : std::all_of(child.value.items.begin(), child.value.items.end(), direct);
        if (!values || !PathIndexed(child.path)) break;
        *how = "outside value bitmaps";
        const std::string field = PathField(child.path);
        if (child.kind == Node::Kind::kCompare) return index_.Compare(field, CompareOp::kNe, child.value, Scope(candidates, all));
        return Narrow(child.value.items, candidates, all, /*stop_when_empty=*/false,
                      [&](const Literal& literal, const Set& in, bool in_all) -> absl::StatusOr<Set> {
                        return index_.Compare(field, CompareOp::kNe, literal, Scope(in, in_all));
                      });
      }
      default:
        break;
    }
    *how = "subtract";
    AIDMP_ASSIGN_OR_RETURN(Set matched, Eval(child, candidates, all, depth + 1));
    return candidates - matched;
  }

  // did(...): from the all-time counter when it has no window and no filter; otherwise
  // the windowed, filtered count w lies in [0, all-time count a], which decides many
  // people at once, and the rest are checked one by one.
  absl::StatusOr<Set> Did(const Node& node, const Set& candidates, bool all, std::string* how, uint64_t* checks) {
    const std::string field = EventCountField(node.name);
    const double n = node.count_value;
    if (node.within_us == 0 && !node.where) {
      *how = "event counter";
      return index_.CompareNumber(field, node.count_op, n, 0, Scope(candidates, all));
    }
    Set sure = EmptyLike(candidates);      // every w in [0, a] satisfies the count condition
    Set possible = EmptyLike(candidates);  // some w in [0, a] does
    switch (node.count_op) {
      case CompareOp::kGe:
        if (n <= 0) return candidates;
        possible = index_.CompareNumber(field, CompareOp::kGe, n, 0, Scope(candidates, all));
        break;
      case CompareOp::kGt:
        if (n < 0) return candidates;
        possible = index_.CompareNumber(field, CompareOp::kGt, n, 0, Scope(candidates, all));
        break;
      case CompareOp::kEq:
        if (n == 0) sure = index_.CompareNumber(field, CompareOp::kEq, 0, 0, Scope(candidates, all));
        possible = index_.CompareNumber(field, CompareOp::kGe, n, 0, Scope(candidates, all));
        break;
      case CompareOp::kLt:
        sure = index_.CompareNumber(field, CompareOp::kLt, n, 0, Scope(candidates, all));
        if (n > 0) possible = candidates;
        break;
      case CompareOp::kLe:
        sure = index_.CompareNumber(field, CompareOp::kLe, n, 0, Scope(candidates, all));
        if (n >= 0) possible = candidates;
        break;
      case CompareOp::kNe:
        sure = index_.CompareNumber(field, CompareOp::kLt, n, 0, Scope(candidates, all));
        possible = candidates;
        break;
    }
    // Both are among the candidates already.
    Set uncertain = possible - sure;
    uint64_t by_days = 0;
    if (node.within_us > 0 && !node.where && bounds_ != nullptr && *bounds_) {
      // Each person's count in the window lies within bounds from their daily counts.
      std::vector<uint32_t> yes, unsure;
      for (uint32_t slot : uncertain) {
        auto range = (*bounds_)(slot, node.name, node.within_us);
        if (!range) {
          unsure.push_back(slot);
          continue;
        }
        RangeAnswer answer =
            CompareRange(static_cast<double>(range->first), static_cast<double>(range->second), node.count_op, n);
        bool whole = answer == RangeAnswer::kAll, nothing = answer == RangeAnswer::kNone;
        ++by_days;
        if (whole) {
          yes.push_back(slot);
        } else if (!nothing) {
          unsure.push_back(slot);
        }
      }
      sure.addMany(yes.size(), yes.data());
      uncertain = EmptyLike(candidates);
      uncertain.addMany(unsure.size(), unsure.data());
    }
    AIDMP_ASSIGN_OR_RETURN(Set checked, Residual(node, uncertain, checks));
    *how = by_days > 0 ? StrCat("event counter bounds, daily counts of ", by_days, " people, then events of ", *checks,
                                " people")
                       : StrCat("event counter bounds, then events of ", *checks, " people");
    return sure | checked;
  }

  absl::StatusOr<Set> Residual(const Node& node, const Set& candidates, uint64_t* checks) {
    std::vector<uint32_t> matched;
    for (uint32_t slot : candidates) {
      ++*checks;
      AIDMP_ASSIGN_OR_RETURN(bool matches, check_(slot, node));
      if (matches) matched.push_back(slot);
    }
    Set result = EmptyLike(candidates);
    result.addMany(matched.size(), matched.data());
    return result;
  }

  // Children with bitmap-only answers first, so person-by-person checks see the fewest.
  std::vector<const Node*> Ordered(const Node& node) const {
    std::vector<const Node*> children;
    for (const auto& child : node.children) children.push_back(child.get());
    std::stable_partition(children.begin(), children.end(),
                          [this](const Node* child) { return Indexable(*child, segments_); });
    return children;
  }

  static std::string StepText(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kAnd: return "and";
      case Node::Kind::kOr: return "or";
      case Node::Kind::kNot: return "not";
      default: return NodeToString(node);
    }
  }

  const BitmapIndex& index_;
  const ResidualCheck& check_;
  const SegmentDefinitions* segments_;
  std::vector<PlanStep>* explain_;
  const WindowBounds* bounds_;
  int segment_depth_ = 0;
};

// Everyone: candidates as a bitset (dense_set.h).
absl::StatusOr<DenseSet> EvaluateOverEveryone(const Node& node, const BitmapIndex& index, const ResidualCheck& check,
                                              const SegmentDefinitions* segments, std::vector<PlanStep>* explain,
                                              const WindowBounds* bounds) {
  Evaluator<DenseSet> evaluator(index, check, segments, explain, bounds);
  return evaluator.Eval(node, DenseSet::Of(index.all(), index.SlotBound()), true, 0);
}

}  // namespace

std::string PathField(const std::vector<std::string>& path) {
  std::string field;
  for (const std::string& name : path) {
    if (!field.empty()) field += kSeparator;
    field += name;
  }
  return field;
}

std::string InterestField(std::string_view tag) { return StrCat("interest", std::string(1, kSeparator), tag); }

std::string EventCountField(std::string_view selector) { return StrCat("did", std::string(1, kSeparator), selector); }

std::string DisplayField(std::string_view field) {
  std::string text(field);
  std::replace(text.begin(), text.end(), kSeparator, '.');
  return text;
}

absl::StatusOr<Roaring> EvaluateOnBitmaps(const Node& node, const BitmapIndex& index, const ResidualCheck& check,
                                          const SegmentDefinitions* segments, std::vector<PlanStep>* explain,
                                          const Roaring* among, const WindowBounds* bounds) {
  if (among != nullptr) {
    // A few people (a batch's changed ones): CRoaring sets cost in proportion to them.
    Evaluator<Roaring> evaluator(index, check, segments, explain, bounds);
    return evaluator.Eval(node, *among & index.all(), false, 0);
  }
  AIDMP_ASSIGN_OR_RETURN(DenseSet members, EvaluateOverEveryone(node, index, check, segments, explain, bounds));
  return members.ToRoaring();
}

absl::StatusOr<uint64_t> CountOnBitmaps(const Node& node, const BitmapIndex& index, const ResidualCheck& check,
                                        const SegmentDefinitions* segments, std::vector<PlanStep>* explain,
                                        const WindowBounds* bounds, int threads) {
  const uint32_t bound = index.SlotBound();
  const uint32_t chunks = DenseSet::Chunks(bound);
  if (threads == 0) {
    // A slice of at least 8 chunks (half a million slots): below that, handing work
    // to another thread costs about what it saves.
    threads = static_cast<int>(std::min<uint32_t>(static_cast<uint32_t>(WorkerPool::Shared().threads()) + 1, chunks / 8));
  }
  threads = static_cast<int>(std::min<uint32_t>(static_cast<uint32_t>(std::max(threads, 1)), std::max(chunks, 1u)));
  if (threads > 1 && explain == nullptr && Indexable(node, segments)) {
    // Only the bitmaps are read, so the slices need no locks.
    std::vector<absl::StatusOr<uint64_t>> counts(static_cast<size_t>(threads), uint64_t{0});
    WorkerPool::Shared().Run(threads, [&](int i) {
      const auto first = static_cast<uint32_t>(uint64_t{chunks} * static_cast<uint32_t>(i) / static_cast<uint32_t>(threads));
      const auto end = static_cast<uint32_t>(uint64_t{chunks} * static_cast<uint32_t>(i + 1) / static_cast<uint32_t>(threads));
      Evaluator<DenseSet> evaluator(index, check, segments, nullptr, bounds);
      auto members = evaluator.Eval(node, DenseSet::Of(index.all(), bound, first, end - first), true, 0);
      counts[static_cast<size_t>(i)] = members.ok() ? absl::StatusOr<uint64_t>(members->cardinality())
                                                     : absl::StatusOr<uint64_t>(members.status());
    });
    uint64_t total = 0;
    for (const auto& count : counts) {
      if (!count.ok()) return count.status();
      total += *count;
    }
    return total;
  }
  AIDMP_ASSIGN_OR_RETURN(DenseSet members, EvaluateOverEveryone(node, index, check, segments, explain, bounds));
  return members.cardinality();
}

std::string FormatPlan(const std::vector<PlanStep>& steps) {
  std::string out;
  for (const PlanStep& step : steps) {
    std::string node = std::string(static_cast<size_t>(step.depth) * 2, ' ') + step.node;
    if (node.size() > 58) node = node.substr(0, 55) + "...";
    char line[512];
    std::snprintf(line, sizeof(line), "%-58s %10llu -> %-10llu %9.3f ms  %s\n", node.c_str(),
                  static_cast<unsigned long long>(step.candidates), static_cast<unsigned long long>(step.result),
                  step.micros / 1000.0, step.how.c_str());
    out += line;
  }
  return out;
}

}  // namespace aidmp::audience
