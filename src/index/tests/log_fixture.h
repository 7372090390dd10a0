// What the index tests share: a store in a temporary directory, an event log over it,
// events appended as the group commit would, and an indexer that flushes only when told.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "event/event_codec.h"
#include "index/event_indexer.h"
#include "log/event_log.h"
#include "testing/temp_dir.h"

namespace aidmp::index {

class LogFixture {
 protected:
  void OpenStoreAndLog() {
    auto store = storage::Store::Open(dir_.path(), storage::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    log_ = std::make_unique<log::EventLog>(store_.get());
  }

  // Appends `event` to the log and publishes it, giving it the next seq.
  void AppendToLog(event::Event* event) {
    event->seq = log_->NextSeq();
    storage::WriteBatch batch(store_.get());
    log_->Stage(event->seq, event::EncodeStoredEvent(*event), &batch);
    ASSERT_TRUE(store_->Write(&batch, false).ok());
    log_->Publish(event->seq);
  }

  // An indexer holding its keys until Flush(/*force=*/true) or its runner stops.
  static EventIndexerOptions FlushOnlyWhenTold() {
    EventIndexerOptions options;
    options.flush_keys = size_t{1} << 40;
    options.flush_age = std::chrono::hours(24);
    return options;
  }

  aidmp::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<log::EventLog> log_;
};

}  // namespace aidmp::index
