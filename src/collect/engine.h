// The embedded engine: one data directory, everything from the store up to the
// collector wired together, and the processors behind the log running.
//
// Serve, import, replay and the demo all open one Engine; nothing else constructs the
// parts. Thread-safe: the accessors return thread-safe parts.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/live_audience.h"
#include "audience/memberships.h"
#include "clean/cleaner.h"
#include "clean/dedup_index.h"
#include "clean/quarantine.h"
#include "collect/collector.h"
#include "collect/ingest_pipeline.h"
#include "common/json_writer.h"
#include "identity/identity_graph.h"
#include "index/pending_index.h"
#include "log/event_log.h"
#include "log/processor_runner.h"
#include "privacy/erasure.h"
#include "privacy/suppression.h"
#include "profile/person_processor.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace aidmp::collect {

struct EngineOptions {
  storage::StoreOptions store;
  clean::CleanerOptions cleaner;
  IngestOptions ingest;
  CollectorLimits limits;
  // Write key -> source name.
  std::map<std::string, std::string> write_keys;
  // Identity merge rules for the identity processor. As with the profile config, a
  // config file's text in `identity_config_json` wins and is remembered in the data
  // directory; without it the remembered one is used, and without that `identity`.
  identity::IdentityRules identity;
  std::string identity_config_json;
  // What profiles compute (computed traits, interests, sessions, RFM). A config file's
  // text in `profile_config_json` wins and is remembered in the data directory; without
  // it the remembered one is used, and without that `profile`.
  profile::ProfileConfig profile;
  std::string profile_config_json;
  // Dedup window; also set into store options.
  int64_t dedup_window_us = 7 * kMicrosPerDay;
  // Run processors (the event indexer) in background threads. When false, callers run
  // CatchUpProcessors themselves (batch jobs).
  bool background_processors = true;
  // How much lower the background processors' CPU priority is (nice 0-19, see
  // log::ProcessorRunner::Start): under load the collector acknowledges first, and
  // the processors catch up when it leaves CPU over, within the lag bound
  // `ingest.max_processor_lag_us`. 0: the same priority as the collector. 19 rather
  // than 10 acknowledged about 7 % more under a saturating load, with about as many
  // events fully processed (docs/benchmarks.md, session 20).
  int processor_nice = 19;
  // nullptr: the system clock.
  const Clock* clock = nullptr;
  // About how much memory the persons processor keeps decoded profiles in between its
  // steps (profile/profile_cache.h); more saves store reads of returning persons.
  size_t profile_cache_bytes = profile::PersonProcessor::kDefaultProfileCacheBytes;
};

struct EngineStats {
  uint64_t events_received = 0;
  uint64_t events_stored = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;          // ever quarantined
  uint64_t quarantine_replayed = 0;  // since replayed successfully (left the quarantine)
  uint64_t suppressed = 0;           // events of erased persons, dropped
  uint64_t erasures = 0;
  std::map<std::string, uint64_t> quarantined_by_reason;  // only reasons seen
  uint64_t log_last_seq = 0;
  uint64_t persons = 0;           // created by identity resolution (merged ones included)
  uint64_t merges = 0;
  uint64_t merges_blocked = 0;
};

class Engine {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& data_dir,
                                                      EngineOptions options);
  ~Engine();

  const std::string& data_dir() const { return data_dir_; }
  storage::Store* store() { return store_.get(); }
  // The event index's keys not yet in the store (for index::QueryEvents).
  const index::PendingIndex* pending_index() const { return pending_index_; }
  log::EventLog* event_log() { return log_.get(); }
  clean::Quarantine* quarantine() { return quarantine_.get(); }
  const clean::DedupIndex& dedup() const { return *dedup_; }
  clean::Cleaner* cleaner() { return cleaner_.get(); }
  IngestPipeline* pipeline() { return pipeline_.get(); }
  Collector* collector() { return collector_.get(); }
  const std::vector<std::unique_ptr<log::ProcessorRunner>>& processors() const { return processors_; }
  const Clock* clock() const { return clock_; }
  const profile::ProfileModel& profile_model() const { return *profile_model_; }
  // Everyone's profile on bitmaps, for segments; kept current as profiles change.
  audience::LiveAudience* audience() { return audience_.get(); }
  // Saved segments' members, kept current after every batch of profile changes.
  audience::Memberships* memberships() { return memberships_.get(); }

  // Re-derives identities, each person's events and profiles from the whole log with
  // the current rules and profile config (after changing them). The persons processor
  // must not be running in the background: for batch use (`aidmp rebuild profiles`).
  // `progress(applied, total)` is called now and then from the calling thread.
  //
  // Identities are resolved in memory by identity::BatchResolver (sized by the old
  // graph's identifier count) and the graph written at the end; while an unmerge's split
  // rule is in force, which that resolver does not know, by the streaming IdentityGraph
  // over the store, and also with `streaming_identity` (slower, but needs no memory for
  // the graph: about 100 bytes per identifier). Either way the outcome is what streaming
  // the log would give. If the process dies before the end, the next Open starts the
  // persons over from the log.
  absl::Status RebuildPersons(const std::function<void(uint64_t, uint64_t)>& progress,
                              bool streaming_identity = false);

  // Erases the person (canonical id, or any id merged into it) and everyone merged into
  // them, as privacy/erasure.h says, and suppresses their identifiers so their events
  // are dropped from now on (privacy/suppression.h). Safe while serving: ingest goes on;
  // the processors pause until it is done. NotFound for an unknown person.
  absl::StatusOr<privacy::ErasureReport> ErasePerson(uint64_t person);
  const privacy::SuppressionList& suppression() const { return *suppression_; }

  // Undoes an identity merge (profile::PersonProcessor::Unmerge): the person splits at
  // it, events are re-attributed and profiles recomputed. Safe while serving.
  absl::StatusOr<profile::PersonProcessor::UnmergeReport> Unmerge(uint64_t merge_id);

  // Runs every processor until it has applied all published entries.
  absl::Status CatchUpProcessors();

  EngineStats Stats();

 private:
  Engine() = default;
  // `listen`: tell the live audience and the segment memberships of every step.
  std::unique_ptr<profile::PersonProcessor> NewPersonProcessor(bool listen = true);
  // Drops everything the persons processor derived (the identity family, its counters,
  // its checkpoints), so that it starts over from the start of the log.
  absl::Status ResetPersons();

  const Clock* clock_ = nullptr;
  std::string data_dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<clean::Quarantine> quarantine_;
  std::unique_ptr<clean::DedupIndex> dedup_;
  std::unique_ptr<privacy::SuppressionList> suppression_;  // before the pipeline that uses it
  std::unique_ptr<clean::Cleaner> cleaner_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<audience::LiveAudience> audience_;  // outlives the processors that feed it
  std::unique_ptr<audience::Memberships> memberships_;
  std::vector<std::unique_ptr<log::ProcessorRunner>> processors_;
  const index::PendingIndex* pending_index_ = nullptr;  // owned by the indexer among processors_
  identity::IdentityRules identity_rules_;
  std::shared_ptr<const profile::ProfileModel> profile_model_;
  size_t profile_cache_bytes_ = profile::PersonProcessor::kDefaultProfileCacheBytes;
  bool background_processors_ = true;
  int processor_nice_ = 0;
  std::mutex admin_mu_;  // one erasure or unmerge at a time
};

// Reads the stats from a store without an engine (for read-only CLI use).
EngineStats ReadStats(storage::Store* store);

// Writes the stats' members into the JSON object `writer` has open: the one shape that
// /v1/stats and `aidmp stats` share.
void WriteStatsMembers(const EngineStats& stats, JsonWriter* writer);

}  // namespace aidmp::collect
