// The benchmark's event corpus: realistic Segment track / page / identify messages of
// 0.5-1 KB, and the same events laid out as each system under test wants them (an
// HTTP /v1/batch body, libpq INSERT parameters, COPY text), so that aidmp and its
// baselines are fed the same bytes.
//
// Every form is a StampedBody: the bytes with fixed-width messageId slots. A sender
// copies the bytes and stamps fresh ids into the slots before each send (StampIds), so
// a small pool of templates yields unique messageIds for any number of sends at the
// cost of a memcpy.
//
// Thread-safety: an EventCorpus is immutable after Generate and may be shared; IdSource
// is safe from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aidmp::bench {

// A messageId is "bench-" and 16 hex digits: fixed width, so it can be stamped in place.
inline constexpr size_t kMessageIdChars = 22;

struct IdSlot {
  size_t offset = 0;       // where the kMessageIdChars characters of the id start
  uint32_t event_idx = 0;  // which event of the body the id belongs to
};

struct StampedBody {
  std::string bytes;
  // Several slots may belong to one event (COPY text names the id twice).
  std::vector<IdSlot> slots;
};

// Copies `body` into `out` (reusing its capacity) and writes into every slot the id
// derived from `first_id + event_idx`: distinct numbers give distinct ids, in
// random-looking order.
void StampIds(const StampedBody& body, uint64_t first_id, std::string* out);

// One message: its JSON (type included) with one id slot.
struct EventTemplate {
  std::string json;
  size_t id_offset = 0;
  bool is_track = false;
};

// `events_per_batch` consecutive events of the corpus in every form.
struct BatchTemplate {
  // {"batch":[...],"sentAt":"..."}; one slot per event, in order.
  StampedBody http_body;
  // [begin, end) of each event's JSON inside http_body.bytes (for raw RocksDB values).
  std::vector<std::pair<size_t, size_t>> event_spans;
  // "id\0json\0id\0json\0...": NUL-terminated libpq text parameters, two per event.
  StampedBody pg_params;
  std::vector<size_t> pg_param_offsets;
  // "id\tjson\n..." in COPY's text format (escaped).
  StampedBody copy_text;
};

struct CorpusStats {
  size_t events = 0;
  size_t min_event_bytes = 0;
  size_t max_event_bytes = 0;
  double mean_event_bytes = 0;
  double mean_batch_body_bytes = 0;
  size_t track = 0;
  size_t page = 0;
  size_t identify = 0;
};

class EventCorpus {
 public:
  // Generates `batch_count` batches of `events_per_batch` events from `seed`
  // (deterministic). Event times lie in the minute before each batch's sentAt (now),
  // so aidmp's clock-skew correction places them just before receipt.
  static EventCorpus Generate(size_t batch_count, size_t events_per_batch, uint64_t seed);

  size_t events_per_batch() const { return events_per_batch_; }
  const std::vector<BatchTemplate>& batches() const { return batches_; }
  // Track messages only, for single-event /v1/track requests.
  const std::vector<EventTemplate>& track_events() const { return track_events_; }
  const CorpusStats& stats() const { return stats_; }

 private:
  size_t events_per_batch_ = 0;
  std::vector<BatchTemplate> batches_;
  std::vector<EventTemplate> track_events_;
  CorpusStats stats_;
};

// Hands out blocks of unique ids.
class IdSource {
 public:
  // The first of `count` ids no other caller receives.
  uint64_t Take(size_t count) { return next_.fetch_add(count); }

 private:
  std::atomic<uint64_t> next_{1};
};

}  // namespace aidmp::bench
