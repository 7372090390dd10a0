#include "storage/keys.h"

#include "common/key_coding.h"

namespace aidmp::storage {

std::string_view FamilyName(Family family) {
  switch (family) {
    case Family::kLog: return "log";
    case Family::kDedup: return "dedup";
    case Family::kQuarantine: return "quarantine";
    case Family::kIndex: return "index";
    case Family::kMeta: return "meta";
    case Family::kIdentity: return "identity";
  }
  return "unknown";
}

std::string LogKey(uint64_t seq) {
  std::string key;
  PutFixed64BE(&key, seq);
  return key;
}

uint64_t DecodeLogKey(std::string_view key) {
  return key.size() == 8 ? DecodeFixed64BE(key.data()) : 0;
}

static void PutLengthPrefixed(std::string* dst, std::string_view value) {
  uint32_t len = static_cast<uint32_t>(value.size());
  char buf[4] = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                 static_cast<char>(len >> 8), static_cast<char>(len)};
  dst->append(buf, 4);
  dst->append(value);
}

std::string DedupKey(std::string_view source, std::string_view message_id) {
  std::string key;
  key.reserve(4 + source.size() + message_id.size());
  PutLengthPrefixed(&key, source);
  key.append(message_id);
  return key;
}

std::string QuarantineKey(uint64_t id) {
  std::string key;
  PutFixed64BE(&key, id);
  return key;
}

std::string IndexIdPrefix(char tag, std::string_view id) {
  std::string key(1, tag);
  PutLengthPrefixed(&key, id);
  return key;
}

std::string IndexKey(std::string_view prefix, int64_t ts_us, uint64_t seq) {
  std::string key(prefix);
  PutOrderedInt64(&key, ts_us);
  PutFixed64BE(&key, seq);
  return key;
}

uint64_t IndexKeySeq(std::string_view key) {
  return key.size() >= 16 ? DecodeFixed64BE(key.data() + key.size() - 8) : 0;
}

int64_t IndexKeyTime(std::string_view key) {
  return key.size() >= 16 ? DecodeOrderedInt64(key.data() + key.size() - 16) : 0;
}

std::string IdentifierKey(uint8_t type, std::string_view value) {
  std::string key(1, kIdentityOwner);
  key.push_back(static_cast<char>(type));
  PutLengthPrefixed(&key, value);
  return key;
}

bool ParseIdentifierKey(std::string_view key, uint8_t* type, std::string_view* value) {
  constexpr size_t kHeader = 1 + 1 + 4;  // tag, type, length
  if (key.size() < kHeader || key[0] != kIdentityOwner) return false;
  uint64_t length = 0;
  for (size_t byte_idx = 2; byte_idx < kHeader; ++byte_idx) length = length << 8 | static_cast<unsigned char>(key[byte_idx]);
  if (key.size() - kHeader != length) return false;
  *type = static_cast<uint8_t>(key[1]);
  *value = key.substr(kHeader);
  return true;
}

static std::string TaggedNumber(char tag, uint64_t number) {
  std::string key(1, tag);
  PutFixed64BE(&key, number);
  return key;
}

std::string PersonKey(uint64_t person) { return TaggedNumber(kIdentityPerson, person); }
std::string MergeKey(uint64_t merge) { return TaggedNumber(kIdentityMerge, merge); }
std::string PersonEventPrefix(uint64_t person) { return TaggedNumber(kIdentityEvents, person); }
std::string ProfileKey(uint64_t person) { return TaggedNumber(kIdentityProfile, person); }

bool ParseTaggedNumber(std::string_view key, char tag, uint64_t* number) {
  if (key.size() != 1 + sizeof(uint64_t) || key[0] != tag) return false;
  *number = DecodeFixed64BE(key.data() + 1);
  return true;
}

std::string CounterKey(std::string_view name) { return std::string("counter/").append(name); }

std::string CheckpointKey(std::string_view processor) {
  return std::string("checkpoint/").append(processor);
}

std::string ConfigKey(std::string_view name) { return std::string("config/").append(name); }

}  // namespace aidmp::storage
