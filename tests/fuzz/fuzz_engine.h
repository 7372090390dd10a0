// A process-wide Engine for the fuzz targets that drive the collector and the importer.
//
// Opened once (LLVMFuzzerInitialize) in a fresh directory under $TMPDIR with a fixed
// clock (2024-05-01T00:00:00Z), the write key kWriteKey for source "src", unsynced
// writes, small RocksDB buffers and no background processors; closed and removed at
// exit. A fuzz run without its engine is meaningless, so failing to open it aborts.
// Not thread-safe: libFuzzer runs inputs one at a time on one thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "collect/engine.h"

namespace aidmp::fuzz {

inline constexpr std::string_view kWriteKey = "k";
// The fixed clock reading every request and import is received at.
inline constexpr int64_t kNowUs = 1714521600LL * 1'000'000LL;

// The shared engine, opened on first use.
collect::Engine* SharedEngine();

// Checks that every log entry appended since the last call decodes
// (event/event_codec.h) and runs the processors (the event indexer) over them; aborts
// if either fails, since a record that does not decode stops the indexer for good.
// Returns the number of new entries.
size_t CheckNewLogEntries();

// A directory beside the engine's data for files the target writes (import inputs);
// removed with it at exit.
const std::string& ScratchDir();

}  // namespace aidmp::fuzz
