#include "index/event_query.h"

#include "common/key_coding.h"
#include "event/event_codec.h"
#include "storage/keys.h"

namespace aidmp::index {

absl::StatusOr<EventPage> QueryEvents(storage::Store* store, const EventFilter& filter, const PendingIndex* pending) {
  std::string prefix;
  if (!filter.user_id.empty()) {
    prefix = storage::IndexIdPrefix(storage::kIndexByUser, filter.user_id);
  } else if (!filter.anonymous_id.empty()) {
    prefix = storage::IndexIdPrefix(storage::kIndexByAnonymous, filter.anonymous_id);
  } else {
    prefix = std::string(1, storage::kIndexByTime);
  }
  std::string start = storage::IndexKey(prefix, filter.from_us, 0);
  std::string end = storage::IndexKey(prefix, filter.to_us, 0);
  if (!filter.cursor.empty()) {
    std::string after;
    if (!HexDecode(filter.cursor, &after) || after.size() != prefix.size() + 16 ||
        after.compare(0, prefix.size(), prefix) != 0) {
      return absl::InvalidArgumentError("cursor is not valid for this query");
    }
    after.push_back('\0');  // Strictly after the last key returned.
    if (after > start) start = std::move(after);
  }
  size_t limit = std::min(std::max<size_t>(filter.limit, 1), kMaxEventPage);

  EventPage page;
  // The runs first: a flush writes runs to the store before dropping them.
  RunList runs = pending != nullptr ? pending->Snapshot() : RunList();
  auto store_keys = store->NewIterator(storage::Family::kIndex);
  MergedKeys it(runs, store_keys.get());
  std::string last_key;
  event::Event event;
  for (it.Seek(start); it.Valid() && it.key() < end; it.Next()) {
    std::string_view key = it.key();
    if (key.size() != prefix.size() + 16 || key.compare(0, prefix.size(), prefix) != 0) break;
    if (page.records.size() == limit) {
      page.next_cursor = HexEncode(last_key);
      break;
    }
    std::string record;
    absl::Status status =
        store->Get(storage::Family::kLog, storage::LogKey(storage::IndexKeySeq(key)), &record);
    if (absl::IsNotFound(status)) continue;  // Erased since indexing.
    if (!status.ok()) return status;
    last_key = std::string(key);
    bool needs_decode = !filter.event.empty() || !filter.type.empty() ||
                        (!filter.user_id.empty() && !filter.anonymous_id.empty());
    if (needs_decode) {
      status = event::DecodeStoredEvent(record, &event);
      if (!status.ok()) return status;
      if (!filter.event.empty() && event.event != filter.event) continue;
      if (!filter.type.empty() && event::EventTypeName(event.type) != filter.type) continue;
      if (!filter.user_id.empty() && !filter.anonymous_id.empty() &&
          event.anonymous_id != filter.anonymous_id) {
        continue;
      }
    }
    page.records.push_back(std::move(record));
  }
  if (!it.status().ok()) return it.status();
  return page;
}

}  // namespace aidmp::index
