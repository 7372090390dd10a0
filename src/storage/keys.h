// Key formats of every column family. The one place that says what bytes mean on disk.
//
// Integers in keys are big-endian (sort numerically); event times are offset-encoded
// signed microseconds (see common/key_coding.h). Variable-length ids carry a 4-byte
// big-endian length prefix, so any byte (NUL included) may appear in an id and one id is
// never a prefix-match of another.
//
//   log         seq(8)                                  -> stored event JSON
//               Append-only; seq starts at 1 and never repeats.
//   dedup       source_len(4) source message_id        -> received_at_us(8 LE) seq(8 LE)
//               Exact per-source messageId index; entries older than the dedup window
//               are dropped by a compaction filter and ignored by readers.
//   quarantine  id(8)                                   -> quarantine record JSON
//   index       'U' id_len(4) user_id  ts(8) seq(8)     -> empty   (per userId, by time)
//               'A' id_len(4) anon_id  ts(8) seq(8)     -> empty   (per anonymousId)
//               'T' ts(8) seq(8)                        -> empty   (all events by time)
//   identity    'I' type(1) id_len(4) value             -> person(8)   identifier owner
//               'P' person(8)                           -> person record JSON (its
//                                                          identifiers, merged_into)
//               'M' merge(8)                            -> merge log entry JSON
//               'E' person(8) ts(8) seq(8)              -> empty   (a person's events)
//               'F' person(8)                           -> profile, binary (profile/profile_binary.cc;
//                                                          older data: JSON, still read)
//   meta        "counter/<name>"                        -> uint64 LE, merged by addition
//               "checkpoint/<processor>"                -> seq(8) last applied log entry
//               "suppress/<type>:<sha256 of value>"     -> erasure time (privacy/suppression.h)
//               "erasure/" time(8) person(8)            -> erasure log JSON, no personal data
//               "purged/last"                           -> marker written by PurgeDeleted
//               "config/<name>"                         -> config text the data dir runs
//                                                          with (profile: profile config JSON)
//               "segment/<name>"                        -> saved segment JSON (audience/segments.h)
//               "segmember/<name>/" person(8)           -> empty   current member
//               "segchange/<name>/" time(8) person(8)   -> "entered" | "exited"
//               "segsize/<name>/" minute(8)             -> size, decimal (audience/memberships.h)
//               "item/<id>"                             -> catalogue item JSON (recserve/item_catalogue.h)
//   (Recommender models are files beside the store: DIR/models/recommender/, recserve/model_store.h.)
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aidmp::storage {

// Do not change the numbers: they name column families on disk.
enum class Family : uint8_t {
  kLog = 0,
  kDedup = 1,
  kQuarantine = 2,
  kIndex = 3,
  kMeta = 4,
  kIdentity = 5,
};
constexpr int kFamilyCount = 6;
std::string_view FamilyName(Family family);

std::string LogKey(uint64_t seq);
uint64_t DecodeLogKey(std::string_view key);

std::string DedupKey(std::string_view source, std::string_view message_id);

std::string QuarantineKey(uint64_t id);

// Index tags. Do not change: stored on disk.
constexpr char kIndexByUser = 'U';
constexpr char kIndexByAnonymous = 'A';
constexpr char kIndexByTime = 'T';

// The prefix shared by all entries of one id under `tag`.
std::string IndexIdPrefix(char tag, std::string_view id);
// A full index key: prefix (from IndexIdPrefix, or just the tag for kIndexByTime),
// then time and seq.
std::string IndexKey(std::string_view prefix, int64_t ts_us, uint64_t seq);
// The seq and time at the end of an index key.
uint64_t IndexKeySeq(std::string_view key);
int64_t IndexKeyTime(std::string_view key);

// Identity family tags. Do not change: stored on disk.
constexpr char kIdentityOwner = 'I';
constexpr char kIdentityPerson = 'P';
constexpr char kIdentityMerge = 'M';
constexpr char kIdentityEvents = 'E';
constexpr char kIdentityProfile = 'F';
std::string IdentifierKey(uint8_t type, std::string_view value);
// The type and value of an owner key from IdentifierKey. Returns false, leaving the
// out-params untouched, for a key that is not an owner key (another tag), or that is too
// short or whose length prefix does not match its size. On success `*value` points into
// `key`. The type byte is returned as stored: the caller checks it names a known type.
bool ParseIdentifierKey(std::string_view key, uint8_t* type, std::string_view* value);
std::string PersonKey(uint64_t person);
std::string MergeKey(uint64_t merge);
std::string PersonEventPrefix(uint64_t person);
std::string ProfileKey(uint64_t person);
// The number of a key that is `tag` and a number (PersonKey, MergeKey, ProfileKey and
// PersonEventPrefix with their tags). Returns false, leaving `*number` untouched, for
// another tag or size.
bool ParseTaggedNumber(std::string_view key, char tag, uint64_t* number);

std::string CounterKey(std::string_view name);
std::string CheckpointKey(std::string_view processor);
std::string ConfigKey(std::string_view name);

}  // namespace aidmp::storage
