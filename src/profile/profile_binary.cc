// The stored form of a profile (Profile::Encode / Decode): binary, because every
// profile lookup, segment evaluation and event folded in decodes one, and JSON made that
// a parse plus a string per number.
//
// Layout, after the tag byte kBinaryTag (do not change: stored on disk). Integers are
// LEB128 varints, signed ones zigzag-coded first; doubles are their 8 IEEE bytes,
// little-endian; strings are a varint length then the bytes; maps are a varint count
// then their entries in key order.
//
//   person events first_seen_us last_seen_us
//   traits:        {key -> value_json ts_us seq source}
//   event_counts:  {key -> count}
//   recent_complete (1 byte)
//   recent:        {key -> last_us, [day count]}
//   consent:       {purpose -> granted(1 byte) ts_us seq}
//   series:        {key -> count sum first_us last_us [day count sum] [value count]}
//   interest_anchor_us, interests: {tag -> weight}
//   sessions:      {device -> [start_us end_us events]}
//   retired_sessions retired_session_us retired_session_events
//
// A record that starts with '{' is the JSON form stored before (internal/profile_json.h).
#include <cstring>

#include "common/strings.h"
#include "profile/internal/profile_json.h"
#include "profile/profile.h"

namespace aidmp::profile {
namespace {

constexpr char kBinaryTag = '\x02';

class Writer {
 public:
  explicit Writer(std::string* out) : out_(*out) { out_.clear(); }
  void Uint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Int(int64_t value) { Uint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63)); }
  void Double(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    for (int byte_idx = 0; byte_idx < 8; ++byte_idx) out_.push_back(static_cast<char>(bits >> (8 * byte_idx)));
  }
  void Bool(bool value) { out_.push_back(value ? '\x01' : '\x00'); }
  void String(std::string_view value) {
    Uint(value.size());
    out_.append(value);
  }
  void Byte(char value) { out_.push_back(value); }

 private:
  std::string& out_;
};

// Reads what Writer wrote; any read past the end or malformed value makes ok() false,
// and from then on every read returns a zero value.
class Reader {
 public:
  explicit Reader(std::string_view data) : pos_(data.data()), end_(data.data() + data.size()) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == end_; }

  uint64_t Uint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == end_) return Fail();
      auto byte = static_cast<uint8_t>(*pos_++);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return Fail();
  }
  int64_t Int() {
    uint64_t value = Uint();
    return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
  }
  double Double() {
    if (end_ - pos_ < 8) return static_cast<double>(Fail());
    uint64_t bits = 0;
    for (int byte_idx = 0; byte_idx < 8; ++byte_idx) bits |= static_cast<uint64_t>(static_cast<uint8_t>(pos_[byte_idx])) << (8 * byte_idx);
    pos_ += 8;
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
  bool Bool() {
    if (pos_ == end_ || static_cast<uint8_t>(*pos_) > 1) return Fail() != 0;
    return *pos_++ == 1;
  }
  std::string String() {
    uint64_t size = Uint();
    if (size > static_cast<uint64_t>(end_ - pos_)) {
      Fail();
      return std::string();
    }
    std::string value(pos_, size);
    pos_ += size;
    return value;
  }
  // A count of entries that each take at least `min_bytes`: larger than what is left
  // means corrupt data (and must not size an allocation).
  size_t Count(size_t min_bytes) {
    uint64_t count = Uint();
    if (count > static_cast<uint64_t>(end_ - pos_) / min_bytes) {
      Fail();
      return 0;
    }
    return static_cast<size_t>(count);
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = end_;
    return 0;
  }

  const char* pos_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace

std::string Profile::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

void Profile::EncodeTo(std::string* buffer) const {
  Writer out(buffer);
  out.Byte(kBinaryTag);
  out.Uint(person);
  out.Uint(events);
  out.Int(first_seen_us);
  out.Int(last_seen_us);
  out.Uint(traits.size());
  for (const auto& [key, value] : traits) {
    out.String(key);
    out.String(value.json);
    out.Int(value.ts_us);
    out.Uint(value.seq);
    out.String(value.source);
  }
  out.Uint(event_counts.size());
  for (const auto& [name, count] : event_counts) {
    out.String(name);
    out.Uint(count);
  }
  out.Bool(recent_complete);
  out.Uint(recent.size());
  for (const auto& [name, counts] : recent) {
    out.String(name);
    out.Int(counts.last_us);
    out.Uint(counts.days.size());
    for (const auto& [day, count] : counts.days) {
      out.Int(day);
      out.Uint(count);
    }
  }
  out.Uint(consent.size());
  for (const auto& [purpose, value] : consent) {
    out.String(purpose);
    out.Bool(value.granted);
    out.Int(value.ts_us);
    out.Uint(value.seq);
  }
  out.Uint(series.size());
  for (const auto& [key, state] : series) {
    out.String(key);
    out.Uint(state.count);
    out.Double(state.sum);
    out.Int(state.first_us);
    out.Int(state.last_us);
    out.Uint(state.days.size());
    for (const auto& [day, totals] : state.days) {
      out.Int(day);
      out.Uint(totals.count);
      out.Double(totals.sum);
    }
    out.Uint(state.values.size());
    for (const auto& [value, count] : state.values) {
      out.String(value);
      out.Uint(count);
    }
  }
  out.Int(interest_anchor_us);
  out.Uint(interests.size());
  for (const auto& [tag, weight] : interests) {
    out.String(tag);
    out.Double(weight);
  }
  out.Uint(sessions.size());
  for (const auto& [device, list] : sessions) {
    out.String(device);
    out.Uint(list.size());
    for (const Session& session : list) {
      out.Int(session.start_us);
      out.Int(session.end_us);
      out.Uint(session.events);
    }
  }
  out.Uint(retired_sessions);
  out.Int(retired_session_us);
  out.Uint(retired_session_events);
}

absl::Status Profile::Decode(std::string_view data, Profile* out) {
  if (data.empty()) return absl::DataLossError("profile record is empty");
  if (data[0] != kBinaryTag) return internal::DecodeProfileJson(data, out);
  Reader in(data.substr(1));
  *out = Profile();
  out->person = in.Uint();
  out->events = in.Uint();
  out->first_seen_us = in.Int();
  out->last_seen_us = in.Int();
  // Entries arrive in key order: each one goes in at the end of its map.
  for (size_t count = in.Count(5); count > 0 && in.ok(); --count) {
    std::string key = in.String();
    TraitValue value;
    value.json = in.String();
    value.ts_us = in.Int();
    value.seq = in.Uint();
    value.source = in.String();
    out->traits.emplace_hint(out->traits.end(), std::move(key), std::move(value));
  }
  for (size_t count = in.Count(2); count > 0 && in.ok(); --count) {
    std::string name = in.String();
    out->event_counts.emplace_hint(out->event_counts.end(), std::move(name), in.Uint());
  }
  out->recent_complete = in.Bool();
  for (size_t count = in.Count(3); count > 0 && in.ok(); --count) {
    std::string name = in.String();
    RecentCounts& counts = out->recent.emplace_hint(out->recent.end(), std::move(name), RecentCounts())->second;
    counts.last_us = in.Int();
    for (size_t days = in.Count(2); days > 0 && in.ok(); --days) {
      int64_t day = in.Int();
      counts.days.emplace_hint(counts.days.end(), day, static_cast<uint32_t>(in.Uint()));
    }
  }
  for (size_t count = in.Count(4); count > 0 && in.ok(); --count) {
    std::string purpose = in.String();
    ConsentValue value;
    value.granted = in.Bool();
    value.ts_us = in.Int();
    value.seq = in.Uint();
    out->consent.emplace_hint(out->consent.end(), std::move(purpose), value);
  }
  for (size_t count = in.Count(14); count > 0 && in.ok(); --count) {
    std::string key = in.String();
    Series& state = out->series.emplace_hint(out->series.end(), std::move(key), Series())->second;
    state.count = in.Uint();
    state.sum = in.Double();
    state.first_us = in.Int();
    state.last_us = in.Int();
    for (size_t days = in.Count(10); days > 0 && in.ok(); --days) {
      int64_t day = in.Int();
      DayTotals totals;
      totals.count = in.Uint();
      totals.sum = in.Double();
      state.days.emplace_hint(state.days.end(), day, totals);
    }
    size_t values = in.Count(2);
    if (values > kMaxSeriesValues) return absl::DataLossError("profile record is corrupt: too many series values");
    state.values.reserve(values);
    for (; values > 0 && in.ok(); --values) {
      std::string value = in.String();
      uint64_t value_count = in.Uint();
      // Lookups binary-search the values: they must be strictly ascending.
      if (!state.values.empty() && !(state.values.back().first < value)) {
        return absl::DataLossError("profile record is corrupt: series values out of order");
      }
      state.values.emplace_back(std::move(value), value_count);
    }
  }
  out->interest_anchor_us = in.Int();
  for (size_t count = in.Count(9); count > 0 && in.ok(); --count) {
    std::string tag = in.String();
    out->interests.emplace_hint(out->interests.end(), std::move(tag), in.Double());
  }
  for (size_t count = in.Count(2); count > 0 && in.ok(); --count) {
    std::string device = in.String();
    std::vector<Session>& list = out->sessions.emplace_hint(out->sessions.end(), std::move(device),
                                                            std::vector<Session>())->second;
    size_t sessions = in.Count(3);
    list.reserve(sessions);
    for (; sessions > 0 && in.ok(); --sessions) {
      Session session;
      session.start_us = in.Int();
      session.end_us = in.Int();
      session.events = in.Uint();
      list.push_back(session);
    }
  }
  out->retired_sessions = in.Uint();
  out->retired_session_us = in.Int();
  out->retired_session_events = in.Uint();
  if (!in.ok()) return absl::DataLossError("profile record is truncated or corrupt");
  if (!in.AtEnd()) return absl::DataLossError("profile record has trailing bytes");
  return absl::OkStatus();
}

}  // namespace aidmp::profile
