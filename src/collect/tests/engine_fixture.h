// A test engine in a temporary directory, with write key "key" -> source "web".
#pragma once

#include <gtest/gtest.h>

#include "collect/engine.h"
#include "common/strings.h"
#include "index/event_query.h"
#include "testing/temp_dir.h"

namespace aidmp::collect {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(EngineOptions()); }

  void Open(EngineOptions options) {
    engine_.reset();
    options.write_keys = {{"key", "web"}};
    options.background_processors = false;
    auto engine = Engine::Open(dir_.path(), std::move(options));
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  static std::string Basic(std::string_view key) { return StrCat("Basic ", Base64Encode(StrCat(key, ":"))); }

  // Posts a /v1/batch body with the write key; a failure fails the test and gives an
  // empty summary.
  IngestSummary SendBatch(std::string_view body) {
    auto result = engine_->collector()->Handle("batch", Basic("key"), body);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : IngestSummary();
  }

  // Stored events (after catching up the indexer) matching `filter`.
  std::vector<std::string> Stored(index::EventFilter filter = {}) {
    EXPECT_TRUE(engine_->CatchUpProcessors().ok());
    filter.limit = index::kMaxEventPage;
    auto page = index::QueryEvents(engine_->store(), filter, engine_->pending_index());
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->records : std::vector<std::string>();
  }

  aidmp::testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace aidmp::collect
