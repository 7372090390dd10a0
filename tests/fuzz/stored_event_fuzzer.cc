// Fuzzes the stored event record (event::DecodeStoredEvent). Every reader of the event
// log decodes with it, and a record comes from the store, where a torn write, a bad disk
// or another version may leave anything.
//
// Invariants: nothing crashes or reads out of bounds; a record that decodes encodes to
// a record that decodes to the same event and encodes to the same bytes;
// DecodeStoredEventKeys fails where DecodeStoredEvent does, and gives its ids and time
// for every record EncodeStoredEvent writes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "event/event_codec.h"
#include "fuzz_check.h"

namespace {

// The keys DecodeStoredEventKeys reads from `record` are `event`'s.
void CheckKeys(std::string_view record, const aidmp::event::Event& event) {
  aidmp::event::StoredEventKeys keys;
  auto status = aidmp::event::DecodeStoredEventKeys(record, &keys);
  AIDMP_FUZZ_CHECK_MSG(status.ok(), std::string(status.message()));
  AIDMP_FUZZ_CHECK(keys.user_id == event.user_id);
  AIDMP_FUZZ_CHECK(keys.anonymous_id == event.anonymous_id);
  AIDMP_FUZZ_CHECK(keys.timestamp_us == event.timestamp_us);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  aidmp::event::Event event;
  aidmp::event::StoredEventKeys keys;
  const bool decoded = aidmp::event::DecodeStoredEvent(input, &event).ok();
  const bool keys_decoded = aidmp::event::DecodeStoredEventKeys(input, &keys).ok();
  // The keys may be read from a record whose tail DecodeStoredEvent rejects only when
  // its head is in EncodeStoredEvent's form; a record that decodes always gives keys.
  AIDMP_FUZZ_CHECK(!decoded || keys_decoded);
  if (!decoded) return 0;
  const std::string encoded = aidmp::event::EncodeStoredEvent(event);
  aidmp::event::Event again;
  auto status = aidmp::event::DecodeStoredEvent(encoded, &again);
  AIDMP_FUZZ_CHECK_MSG(status.ok(), std::string(status.message()));
  AIDMP_FUZZ_CHECK(again == event);
  AIDMP_FUZZ_CHECK(aidmp::event::EncodeStoredEvent(again) == encoded);
  CheckKeys(encoded, event);
  return 0;
}
