#include "audience/evaluate.h"

#include <limits>
#include <optional>

#include "common/status.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "identity/identity_graph.h"
#include "identity/person_events.h"
#include "profile/profile_view.h"
#include "simdjson.h"
#include "storage/keys.h"

namespace aidmp::audience {
namespace {

using Element = simdjson::dom::element;

absl::Status At(const Node& node, std::string_view message) {
  return absl::InvalidArgumentError(StrCat("line ", node.line, ", column ", node.column, ": ", message));
}

// Orders two values of one kind: -1, 0, 1; nullopt if they do not compare.
std::optional<int> Order(Element value, const Literal& literal) {
  if (literal.kind == Literal::Kind::kNumber && value.is_number()) {
    double number = 0;
    if (value.get_double().get(number) != simdjson::SUCCESS) return std::nullopt;
    return number < literal.number ? -1 : number > literal.number ? 1 : 0;
  }
  std::string_view text;
  if (literal.kind == Literal::Kind::kString && value.get_string().get(text) == simdjson::SUCCESS) {
    int cmp = text.compare(literal.text);
    return cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
  }
  return std::nullopt;
}

bool Equal(std::optional<Element> value, const Literal& literal) {
  if (literal.kind == Literal::Kind::kNull) return !value || value->is_null();
  if (!value) return false;
  if (literal.kind == Literal::Kind::kBool) {
    bool flag;
    return value->get_bool().get(flag) == simdjson::SUCCESS && flag == literal.boolean;
  }
  auto order = Order(*value, literal);
  return order && *order == 0;
}

bool Compare(std::optional<Element> value, CompareOp op, const Literal& literal) {
  switch (op) {
    case CompareOp::kEq: return Equal(value, literal);
    case CompareOp::kNe: return !Equal(value, literal);
    default: break;
  }
  if (!value) return false;
  auto order = Order(*value, literal);
  if (!order) return false;
  switch (op) {
    case CompareOp::kLt: return *order < 0;
    case CompareOp::kLe: return *order <= 0;
    case CompareOp::kGt: return *order > 0;
    case CompareOp::kGe: return *order >= 0;
    default: return false;
  }
}

// kCompare, kIn, kContains, kExists over one value (nullopt: missing).
bool Leaf(const Node& node, std::optional<Element> value) {
  switch (node.kind) {
    case Node::Kind::kCompare:
      return Compare(value, node.op, node.value);
    case Node::Kind::kIn:
      for (const Literal& item : node.value.items) {
        if (Equal(value, item)) return true;
      }
      return false;
    case Node::Kind::kContains: {
      if (!value) return false;
      simdjson::dom::array items;
      if (value->get_array().get(items) == simdjson::SUCCESS) {
        for (Element item : items) {
          if (Equal(item, node.value)) return true;
        }
        return false;
      }
      std::string_view text;
      return node.value.kind == Literal::Kind::kString && value->get_string().get(text) == simdjson::SUCCESS &&
             text.find(node.value.text) != std::string_view::npos;
    }
    case Node::Kind::kExists:
      return value && !value->is_null();
    default:
      return false;
  }
}

// Follows object members from `value` along path[from...].
std::optional<Element> Navigate(Element value, const std::vector<std::string>& path, size_t from) {
  for (size_t idx = from; idx < path.size(); ++idx) {
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
    if (object.at_key(path[idx]).get(value) != simdjson::SUCCESS) return std::nullopt;
  }
  return value;
}

class Evaluator {
 public:
  Evaluator(const PersonFacts& facts, const profile::ProfileModel& model, int64_t now_us,
            const SegmentDefinitions* segments)
      : facts_(facts), model_(model), now_us_(now_us), segments_(segments) {}

  absl::StatusOr<bool> Eval(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kAnd:
        for (const auto& child : node.children) {
          auto result = Eval(*child);
          if (!result.ok() || !*result) return result;
        }
        return true;
      case Node::Kind::kOr:
        for (const auto& child : node.children) {
          auto result = Eval(*child);
          if (!result.ok() || *result) return result;
        }
        return false;
      case Node::Kind::kNot: {
        auto result = Eval(*node.children[0]);
        if (!result.ok()) return result;
        return !*result;
      }
      case Node::Kind::kCompare:
      case Node::Kind::kIn:
      case Node::Kind::kContains:
      case Node::Kind::kExists:
        return EvalPath(node);
      case Node::Kind::kInterest: {
        double score = 0;
        for (const auto& tag : profile::InterestsAt(*facts_.profile, model_.config(), now_us_)) {
          if (tag.tag == node.name) score = tag.score;
        }
        return CompareNumbers(score, node.op, node.value.number);
      }
      case Node::Kind::kDid:
        return EvalDid(node);
      case Node::Kind::kInSegment: {
        auto it = segments_ == nullptr ? SegmentDefinitions::const_iterator() : segments_->find(node.name);
        if (segments_ == nullptr || it == segments_->end()) {
          return At(node, StrCat("no segment named '", node.name.substr(0, 40), "'"));
        }
        // Saving refuses cycles; the bound guards against a store edited by hand.
        if (++segment_depth_ > 32) return At(node, "segments refer to each other more than 32 deep");
        auto result = Eval(*it->second.root);
        --segment_depth_;
        return result;
      }
    }
    return false;
  }

 private:
  absl::StatusOr<bool> EvalPath(const Node& node) {
    std::string json;
    if (node.path[0] == "traits") {
      auto trait = facts_.profile->traits.find(node.path[1]);
      if (trait == facts_.profile->traits.end()) return Leaf(node, std::nullopt);
      json = trait->second.json;
    } else {
      const profile::ComputedTraitSpec* spec = nullptr;
      for (const auto& candidate : model_.config().computed_traits) {
        if (candidate.name == node.path[1]) spec = &candidate;
      }
      if (spec == nullptr) return At(node, StrCat("no computed trait '", node.path[1].substr(0, 40), "' in the profile config"));
      json = profile::ComputedTraitJson(*facts_.profile, *spec, now_us_);
    }
    // Not re-entered while `value` lives: leaves do not evaluate further nodes.
    thread_local simdjson::dom::parser parser;
    Element value;
    if (parser.parse(json).get(value) != simdjson::SUCCESS) return Leaf(node, std::nullopt);
    return Leaf(node, Navigate(value, node.path, 2));
  }

  // A where: condition over one event's properties.
  bool EvalWhere(const Node& node, std::optional<Element> properties) {
    switch (node.kind) {
      case Node::Kind::kAnd:
        for (const auto& child : node.children) {
          if (!EvalWhere(*child, properties)) return false;
        }
        return true;
      case Node::Kind::kOr:
        for (const auto& child : node.children) {
          if (EvalWhere(*child, properties)) return true;
        }
        return false;
      case Node::Kind::kNot:
        return !EvalWhere(*node.children[0], properties);
      default:
        return Leaf(node, properties ? Navigate(*properties, node.path, 0) : std::nullopt);
    }
  }

  absl::StatusOr<bool> EvalDid(const Node& node) {
    if (!events_) {
      if (!facts_.load_events) return At(node, "did(...) needs the person's events, which were not given");
      auto loaded = facts_.load_events();
      if (!loaded.ok()) return loaded.status();
      events_ = std::move(*loaded);
    }
    // where: conditions read the parsed properties and parse nothing themselves.
    thread_local simdjson::dom::parser properties_parser;
    uint64_t count = 0;
    for (const event::Event& event : *events_) {
      std::string_view type_name = event::EventTypeName(event.type);
      std::string_view track_name = event.type == event::EventType::kTrack ? std::string_view(event.event) : "";
      if (!profile::SelectorMatches(node.name, type_name, track_name)) continue;
      if (node.within_us > 0 && (event.timestamp_us > now_us_ || event.timestamp_us < now_us_ - node.within_us)) continue;
      if (node.where) {
        Element properties;
        bool parsed = !event.properties_json.empty() &&
                      properties_parser.parse(event.properties_json).get(properties) == simdjson::SUCCESS;
        if (!EvalWhere(*node.where, parsed ? std::optional<Element>(properties) : std::nullopt)) continue;
      }
      ++count;
    }
    return CompareNumbers(static_cast<double>(count), node.count_op, node.count_value);
  }

  const PersonFacts& facts_;
  const profile::ProfileModel& model_;
  int64_t now_us_;
  std::optional<std::vector<event::Event>> events_;
  const SegmentDefinitions* segments_;
  int segment_depth_ = 0;
};

bool UsesEvents(const Node& node, const SegmentDefinitions* segments, int depth = 0) {
  if (node.kind == Node::Kind::kDid) return true;
  if (node.kind == Node::Kind::kInSegment && segments != nullptr && depth < 32) {
    auto it = segments->find(node.name);
    if (it != segments->end() && UsesEvents(*it->second.root, segments, depth + 1)) return true;
  }
  for (const auto& child : node.children) {
    if (UsesEvents(*child, segments, depth)) return true;
  }
  return false;
}

}  // namespace

absl::Status Check(const Node& node, const profile::ProfileModel& model, const SegmentDefinitions* segments) {
  switch (node.kind) {
    case Node::Kind::kInSegment:
      if (segments == nullptr || !segments->count(node.name)) {
        return At(node, StrCat("no segment named '", node.name.substr(0, 40), "'"));
      }
      return absl::OkStatus();
    case Node::Kind::kCompare:
    case Node::Kind::kIn:
    case Node::Kind::kContains:
    case Node::Kind::kExists:
      if (node.kind == Node::Kind::kCompare && node.value.kind == Literal::Kind::kList) {
        return At(node, "a list compares with 'in', not an operator");
      }
      if (node.path[0] == "computed") {
        if (node.path.size() != 2) return At(node, "a computed trait is a single name: computed.NAME");
        bool known = false;
        for (const auto& spec : model.config().computed_traits) known = known || spec.name == node.path[1];
        if (!known) {
          std::string names;
          for (const auto& spec : model.config().computed_traits) StrAppend(&names, names.empty() ? "" : ", ", spec.name);
          return At(node, StrCat("no computed trait '", node.path[1].substr(0, 40), "' in the profile config (it has: ",
                                 names, ")"));
        }
      }
      return absl::OkStatus();
    default:
      for (const auto& child : node.children) AIDMP_RETURN_IF_ERROR(Check(*child, model, segments));
      return absl::OkStatus();
  }
}

absl::StatusOr<bool> Matches(const Node& node, const PersonFacts& facts, const profile::ProfileModel& model,
                             int64_t now_us, const SegmentDefinitions* segments) {
  Evaluator evaluator(facts, model, now_us, segments);
  return evaluator.Eval(node);
}

int64_t EarliestEventNeeded(const Node& node, const SegmentDefinitions* segments, int64_t now_us) {
  constexpr int kMaxDepth = 32;  // as deep as segment references may nest
  std::function<int64_t(const Node&, int)> earliest = [&](const Node& at, int depth) -> int64_t {
    if (at.kind == Node::Kind::kDid) {
      return at.within_us > 0 ? now_us - at.within_us : std::numeric_limits<int64_t>::min();
    }
    if (at.kind == Node::Kind::kInSegment) {
      if (segments == nullptr || depth >= kMaxDepth) return std::numeric_limits<int64_t>::min();
      auto found = segments->find(at.name);
      if (found == segments->end()) return std::numeric_limits<int64_t>::min();
      return earliest(*found->second.root, depth + 1);
    }
    int64_t result = std::numeric_limits<int64_t>::max();
    for (const auto& child : at.children) result = std::min(result, earliest(*child, depth));
    return result;
  };
  return earliest(node, 0);
}

absl::StatusOr<std::vector<event::Event>> LoadPersonEvents(storage::Store* store, uint64_t person, int64_t since_us) {
  auto read = identity::IdentityGraph::ReadPerson(store, person);
  if (absl::IsNotFound(read.status())) return std::vector<event::Event>();  // erased meanwhile
  AIDMP_RETURN_IF_ERROR(read.status());
  const identity::PersonRecord& record = *read;
  AIDMP_ASSIGN_OR_RETURN(auto seqs, identity::PersonEventSeqs(store, record, std::numeric_limits<int64_t>::max(),
                                                             std::numeric_limits<size_t>::max(), since_us));
  std::vector<event::Event> events;
  for (const auto& entry : seqs) {
    std::string value;
    absl::Status status = store->Get(storage::Family::kLog, storage::LogKey(entry.seq), &value);
    if (absl::IsNotFound(status)) continue;
    AIDMP_RETURN_IF_ERROR(status);
    event::Event event;
    AIDMP_RETURN_IF_ERROR(event::DecodeStoredEvent(value, &event));
    events.push_back(std::move(event));
  }
  return events;
}

absl::StatusOr<CountResult> CountMatching(storage::Store* store, const Expression& expression,
                                          const profile::ProfileModel& model, int64_t now_us,
                                          const SegmentDefinitions* segments) {
  AIDMP_RETURN_IF_ERROR(Check(*expression.root, model, segments));
  const bool needs_events = UsesEvents(*expression.root, segments);
  CountResult result;
  auto it = store->NewIterator(storage::Family::kIdentity);
  const std::string prefix(1, storage::kIdentityProfile);
  for (it->Seek(prefix); it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityProfile; it->Next()) {
    profile::Profile profile;
    AIDMP_RETURN_IF_ERROR(profile::Profile::Decode(it->value(), &profile));
    PersonFacts facts;
    facts.profile = &profile;
    if (needs_events) {
      facts.load_events = [store, person = profile.person]() { return LoadPersonEvents(store, person); };
    }
    auto matches = Matches(*expression.root, facts, model, now_us, segments);
    if (!matches.ok()) return matches.status();
    ++result.persons;
    if (*matches) ++result.matching;
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  return result;
}

}  // namespace aidmp::audience
