#include "clean/cleaner.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <initializer_list>

#include "clean/json_rewrite.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "event/json_minify.h"
#include "event/json_util.h"
#include "simdjson.h"
#include "common/strings.h"

namespace aidmp::clean {
namespace {

using event::Event;
using event::EventType;
using event::kNoTimestamp;

CleanResult Reject(Reason reason, std::string message) { return CleanResult{reason, std::move(message)}; }

// Earliest and latest believable event times: 1970-01-01 and 2200-01-01.
constexpr int64_t kMinTimestampUs = 0;
constexpr int64_t kMaxTimestampUs = 7258118400LL * 1'000'000LL;

bool IsPiiKey(std::string_view key, bool* is_email) {
  auto any_of = [&](std::initializer_list<std::string_view> names) {
    return std::any_of(names.begin(), names.end(), [&](std::string_view name) {
      return key.size() == name.size() && StartsWithIgnoreCase(key, name);
    });
  };
  if (any_of({"email", "email_address", "emailaddress"})) {
    *is_email = true;
    return true;
  }
  if (any_of({"phone", "phone_number", "phonenumber", "mobile"})) {
    *is_email = false;
    return true;
  }
  return false;
}

constexpr std::string_view kNumericProperties[] = {"price",    "revenue",  "value",    "total",
                                                  "subtotal", "quantity", "discount", "tax",
                                                  "shipping", "rating"};

bool IsNumericProperty(std::string_view key) {
  return std::find(std::begin(kNumericProperties), std::end(kNumericProperties), key) !=
         std::end(kNumericProperties);
}

// Whether JSON text may hold a member with a string value, `"key":"...`, whose key
// `wanted` accepts, at any depth. A scan of the text that lets most objects skip a parse:
// it may answer yes wrongly (a nested member, a `":"` inside a string), never no wrongly.
// Keys with escapes are answered yes: the parse decides.
template <typename Wanted>
bool MayHoldStringMember(std::string_view json, Wanted wanted) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (size_t colon = json.find(':'); colon != std::string_view::npos; colon = json.find(':', colon + 1)) {
    size_t after = colon + 1;
    while (after < json.size() && space(json[after])) ++after;
    if (after >= json.size() || json[after] != '"') continue;
    size_t close = colon;
    while (close > 0 && space(json[close - 1])) --close;
    if (close == 0 || json[close - 1] != '"') continue;
    --close;  // the key's closing quote
    size_t open = close == 0 ? std::string_view::npos : json.rfind('"', close - 1);
    if (open == std::string_view::npos) return true;
    std::string_view key = json.substr(open + 1, close - open - 1);
    if ((open > 0 && json[open - 1] == '\\') || key.find('\\') != std::string_view::npos) return true;
    if (wanted(key)) return true;
  }
  return false;
}

// Parses the whole of `text` as a finite number.
bool ParseWholeNumber(std::string_view text, double* value) {
  text = StripWhitespace(text);
  if (text.empty()) return false;
  auto result = std::from_chars(text.data(), text.data() + text.size(), *value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() && std::isfinite(*value);
}

CleanResult NormaliseId(std::string* id, std::string_view field, size_t max_bytes) {
  std::string_view trimmed = StripWhitespace(*id);
  if (trimmed.size() != id->size()) *id = std::string(trimmed);
  if (id->size() > max_bytes) {
    return Reject(Reason::kIdTooLong, StrCat("field '", field, "' is ", id->size(),
                                                   " bytes; the limit is ", max_bytes));
  }
  for (unsigned char c : *id) {
    if (c < 0x20 || c == 0x7f) {
      return Reject(Reason::kInvalidId,
                    StrCat("field '", field, "' contains a control character"));
    }
  }
  if (!IsValidUtf8(*id)) {
    return Reject(Reason::kInvalidId, StrCat("field '", field, "' is not valid UTF-8"));
  }
  return CleanResult();
}

// Finds a string member `key` in a compact JSON object; empty if absent.
std::string StringMember(const std::string& object_json, std::string_view key) {
  if (object_json.find(key) == std::string::npos) return std::string();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(object_json).get(object) != simdjson::SUCCESS) return std::string();
  std::string_view value;
  if (object[key].get_string().get(value) != simdjson::SUCCESS) return std::string();
  return std::string(value);
}

}  // namespace

Cleaner::Cleaner(CleanerOptions options)
    : options_(std::move(options)), bots_(options_.bots), outliers_(options_.outliers) {}

CleanResult Cleaner::CheckIds(Event* event) const {
  struct IdField {
    std::string* value;
    std::string_view name;
  };
  for (IdField field : {IdField{&event->user_id, "userId"}, IdField{&event->anonymous_id, "anonymousId"},
                        IdField{&event->group_id, "groupId"}, IdField{&event->previous_id, "previousId"}}) {
    CleanResult result = NormaliseId(field.value, field.name, options_.max_id_bytes);
    if (!result.accepted()) return result;
  }
  if (event->user_id.empty() && event->anonymous_id.empty()) {
    return Reject(Reason::kMissingIdentity, "either 'userId' or 'anonymousId' is required");
  }
  switch (event->type) {
    case EventType::kTrack:
      if (StripWhitespace(event->event).empty()) {
        return Reject(Reason::kMissingEventName, "field 'event' is required for track");
      }
      break;
    case EventType::kGroup:
      if (event->group_id.empty()) {
        return Reject(Reason::kMissingGroupId, "field 'groupId' is required for group");
      }
      break;
    case EventType::kAlias:
      if (event->previous_id.empty()) {
        return Reject(Reason::kMissingPreviousId, "field 'previousId' is required for alias");
      }
      break;
    default:
      break;
  }
  if (!IsValidUtf8(event->event) || !IsValidUtf8(event->name)) {
    return Reject(Reason::kInvalidId, "event or page name is not valid UTF-8");
  }
  std::string_view trimmed_id = StripWhitespace(event->message_id);
  if (trimmed_id.size() != event->message_id.size()) event->message_id = std::string(trimmed_id);
  if (event->message_id.size() > options_.max_message_id_chars) {
    return Reject(Reason::kMessageIdTooLong,
                  StrCat("field 'messageId' is ", event->message_id.size(),
                               " characters; it must be under ", options_.max_message_id_chars + 1));
  }
  return CleanResult();
}

CleanResult Cleaner::ResolveTimestamps(Event* event) const {
  for (int64_t ts : {event->original_timestamp_us, event->sent_at_us}) {
    if (ts != kNoTimestamp && (ts < kMinTimestampUs || ts >= kMaxTimestampUs)) {
      return Reject(Reason::kInvalidTimestamp, "timestamp is before 1970 or after 2200");
    }
  }
  if (event->timestamp_us != kNoTimestamp) {
    // Stated by the sender apart from its clock reading (a backfill): taken as is.
    if (event->timestamp_us < kMinTimestampUs || event->timestamp_us >= kMaxTimestampUs) {
      return Reject(Reason::kInvalidTimestamp, "timestamp is before 1970 or after 2200");
    }
  } else if (event->original_timestamp_us == kNoTimestamp) {
    event->timestamp_us = event->received_at_us;
    event->flags |= event::kFlagMissingTimestamp;
  } else if (event->sent_at_us != kNoTimestamp && event->received_at_us != kNoTimestamp) {
    int64_t skew_us = event->received_at_us - event->sent_at_us;
    event->timestamp_us = event->original_timestamp_us + skew_us;
    if (skew_us > kMicrosPerSecond || skew_us < -kMicrosPerSecond) {
      event->flags |= event::kFlagClockSkewCorrected;
    }
  } else {
    event->timestamp_us = event->original_timestamp_us;
  }
  if (event->received_at_us != kNoTimestamp) {
    if (event->timestamp_us > event->received_at_us + options_.future_tolerance_us) {
      event->flags |= event::kFlagFutureTimestamp;
    }
    if (options_.past_tolerance_us > 0 &&
        event->timestamp_us < event->received_at_us - options_.past_tolerance_us) {
      event->flags |= event::kFlagPastTimestamp;
    }
  }
  return CleanResult();
}

void Cleaner::NormaliseObjects(Event* event) const {
  bool hashed = false;
  MemberRewriter hash_pii = [&](std::string_view key, simdjson::dom::element value,
                                JsonWriter* writer) {
    bool is_email = false;
    std::string_view text;
    if (!IsPiiKey(key, &is_email) || value.get_string().get(text) != simdjson::SUCCESS) return false;
    if (IsSha256Hex(text)) return false;  // Already hashed by the sender.
    std::string digest = is_email ? HashEmail(text) : HashPhone(text);
    if (digest.empty()) return false;
    writer->String(digest);
    hashed = true;
    return true;
  };
  MemberRewriter numbers = [&](std::string_view key, simdjson::dom::element value,
                               JsonWriter* writer) {
    if (options_.hash_pii && hash_pii(key, value, writer)) return true;
    std::string_view text;
    double number;
    if (!IsNumericProperty(key) || value.get_string().get(text) != simdjson::SUCCESS ||
        !ParseWholeNumber(text, &number)) {
      return false;
    }
    writer->Double(number);
    return true;
  };
  auto pii_key = [](std::string_view key) {
    bool is_email;
    return IsPiiKey(key, &is_email);
  };
  auto maybe_rewrite = [&](std::string* json, const MemberRewriter& rewriter, bool pii_only) {
    if (json->empty()) return;
    // Most objects hold neither PII nor stringly numbers: one scan of the text spares
    // them the parse and rewrite.
    bool candidate = MayHoldStringMember(*json, [&](std::string_view key) {
      return pii_key(key) || (!pii_only && IsNumericProperty(key));
    });
    if (!candidate) return;
    std::string rewritten;
    if (RewriteObjectMembers(*json, rewriter, &rewritten)) *json = std::move(rewritten);
  };
  if (options_.hash_pii) {
    maybe_rewrite(&event->traits_json, hash_pii, true);
    if (event::MayHoldKey(event->context_json, "\"traits\"")) {
      MemberRewriter context_traits = [&](std::string_view key, simdjson::dom::element value,
                                          JsonWriter* writer) {
        if (key != "traits" || !value.is_object()) return false;
        std::string traits = event::Minified(value);
        std::string rewritten;
        if (!RewriteObjectMembers(traits, hash_pii, &rewritten)) return false;
        writer->Raw(rewritten);
        return true;
      };
      // Only the PII inside context.traits is rewritten.
      maybe_rewrite(&event->context_json, context_traits, true);
    }
  }
  maybe_rewrite(&event->properties_json, numbers, false);
  if (hashed) event->flags |= event::kFlagPiiHashed;
}

void Cleaner::FlagBehaviour(Event* event, std::optional<std::string_view> user_agent) {
  std::string parsed;
  if (!user_agent) user_agent = parsed = StringMember(event->context_json, "userAgent");
  if (bots_.IsBotUserAgent(*user_agent)) event->flags |= event::kFlagBot;
  const std::string& id = event->user_id.empty() ? event->anonymous_id : event->user_id;
  if (bots_.CountAndCheckRate(id, event->timestamp_us)) event->flags |= event::kFlagBot;

  if (!options_.detect_outliers || event->type != EventType::kTrack ||
      event->properties_json.empty()) {
    return;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object properties;
  if (parser.parse(event->properties_json).get(properties) != simdjson::SUCCESS) return;
  for (auto field : properties) {
    double value;
    if (!field.value.is_number() || field.value.get_double().get(value) != simdjson::SUCCESS) continue;
    if (outliers_.Observe(event->event, field.key, value)) event->flags |= event::kFlagOutlier;
  }
}

CleanResult Cleaner::Clean(Event* event, size_t raw_size, std::optional<std::string_view> user_agent) {
  if (raw_size > options_.max_event_bytes) {
    return Reject(Reason::kEventTooLarge, StrCat("event is ", raw_size,
                                                       " bytes; the limit is ", options_.max_event_bytes));
  }
  CleanResult result = CheckIds(event);
  if (!result.accepted()) return result;
  if (event->message_id.empty()) {
    // Derived from what the sender sent (before receipt times enter), so the same payload
    // retried without an id is still a duplicate and different payloads never collide.
    std::string basis = StrCat(event::EventTypeName(event->type), "\n", event->user_id, "\n",
                               event->anonymous_id, "\n", event->event, "\n", event->name, "\n",
                               event->group_id, "\n", event->previous_id, "\n",
                               event->original_timestamp_us, "\n", event->timestamp_us, "\n",
                               event->properties_json, "\n", event->traits_json, "\n",
                               event->context_json, "\n", event->integrations_json);
    event->message_id = StrCat("aidmp-", Sha256Hex(basis).substr(0, 32));
  }
  result = ResolveTimestamps(event);
  if (!result.accepted()) return result;
  NormaliseObjects(event);
  if (options_.plan) {
    auto violation = options_.plan->Check(*event);
    if (violation) {
      if (violation->action == PlanAction::kQuarantine) {
        return Reject(Reason::kPlanViolation, violation->message);
      }
      if (violation->action == PlanAction::kFlag) event->flags |= event::kFlagPlanViolation;
    }
  }
  FlagBehaviour(event, user_agent);
  return CleanResult();
}

}  // namespace aidmp::clean
