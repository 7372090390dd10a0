// A small streaming JSON writer for responses and stored records.
//
// Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are replaced by
// U+FFFD so that whatever reaches us (CSV files, hostile ids) always comes out as valid
// JSON. Not thread-safe: one writer per output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aidmp {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Inside an object: the next member's name. Must be followed by exactly one value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Non-finite values are written as null (JSON has no NaN).
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Appends `json`, which the caller guarantees is one valid JSON value.
  JsonWriter& Raw(std::string_view json);

  // Makes room for `bytes` of output up front, for callers that know the rough size:
  // growing a long output step by step copies it each time.
  void Reserve(size_t bytes) { out_.reserve(bytes); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: true once it has at least one element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `value` as a quoted, escaped JSON string to `out`.
void AppendJsonString(std::string* out, std::string_view value);

// True if `data` is valid UTF-8.
bool IsValidUtf8(std::string_view data);

}  // namespace aidmp
