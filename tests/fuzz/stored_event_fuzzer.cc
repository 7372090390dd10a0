// Fuzzes the stored event record (event::DecodeStoredEvent). Every reader of the event
// log decodes with it, and a record comes from the store, where a torn write, a bad disk
// or another version may leave anything.
//
// Invariants: nothing crashes or reads out of bounds; a record that decodes encodes to
// a record that decodes to the same event and encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "event/event_codec.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  aidmp::event::Event event;
  if (!aidmp::event::DecodeStoredEvent(std::string_view(reinterpret_cast<const char*>(data), size), &event).ok()) {
    return 0;
  }
  const std::string encoded = aidmp::event::EncodeStoredEvent(event);
  aidmp::event::Event again;
  auto status = aidmp::event::DecodeStoredEvent(encoded, &again);
  AIDMP_FUZZ_CHECK_MSG(status.ok(), std::string(status.message()));
  AIDMP_FUZZ_CHECK(again == event);
  AIDMP_FUZZ_CHECK(aidmp::event::EncodeStoredEvent(again) == encoded);
  return 0;
}
