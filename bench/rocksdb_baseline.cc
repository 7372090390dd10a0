#include "bench/rocksdb_baseline.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <memory>

#include "common/strings.h"

namespace aidmp::bench {

absl::StatusOr<ThroughputResult> RunRocksDbBaseline(const EventCorpus& corpus, int concurrency, double seconds,
                                                    const std::string& db_dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(options, db_dir, &raw_db);
  if (!opened.ok()) return absl::InternalError(StrCat("opening RocksDB at ", db_dir, ": ", opened.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  IdSource ids;
  const auto& batches = corpus.batches();

  ThroughputResult result = RunClosedLoop(concurrency, seconds, [&](int worker_idx) -> SendStep {
    auto bytes = std::make_shared<std::string>();
    auto next_batch = std::make_shared<size_t>(worker_idx);
    return [&, bytes, next_batch]() -> absl::StatusOr<size_t> {
      const BatchTemplate& batch = batches[*next_batch % batches.size()];
      *next_batch += concurrency;
      StampIds(batch.http_body, ids.Take(batch.event_spans.size()), bytes.get());
      rocksdb::WriteBatch write_batch;
      for (size_t event_idx = 0; event_idx < batch.event_spans.size(); ++event_idx) {
        auto [begin, end] = batch.event_spans[event_idx];
        rocksdb::Slice key(bytes->data() + batch.http_body.slots[event_idx].offset, kMessageIdChars);
        rocksdb::Slice value(bytes->data() + begin, end - begin);
        write_batch.Put(key, value);
      }
      rocksdb::WriteOptions write_options;
      write_options.sync = true;
      rocksdb::Status written = db->Write(write_options, &write_batch);
      if (!written.ok()) return absl::InternalError(StrCat("RocksDB write: ", written.ToString()));
      return batch.event_spans.size();
    };
  });
  db->Close().PermitUncheckedError();
  return result;
}

}  // namespace aidmp::bench
