#include "collect/engine.h"

#include <algorithm>

#include "spdlog/spdlog.h"

#include "identity/rules_config.h"
#include "profile/person_processor.h"
#include "index/event_indexer.h"
#include "common/key_coding.h"
#include "common/status.h"
#include "common/strings.h"
#include "storage/keys.h"

namespace aidmp::collect {
namespace {
// The persons processor's checkpoints: streaming, and while it rebuilds in memory.
constexpr std::string_view kPersons = profile::PersonProcessor::kName;
constexpr std::string_view kPersonsRebuild = profile::PersonProcessor::kRebuildName;
}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const std::string& data_dir,
                                                     EngineOptions options) {
  std::unique_ptr<Engine> engine(new Engine());
  engine->data_dir_ = data_dir;
  engine->clock_ = options.clock != nullptr ? options.clock : SystemClock::Default();
  options.store.clock = engine->clock_;
  options.store.dedup_window_us = options.dedup_window_us;
  auto store = storage::Store::Open(data_dir, options.store);
  if (!store.ok()) return store.status();
  engine->store_ = std::move(*store);
  engine->log_ = std::make_unique<log::EventLog>(engine->store_.get());
  engine->quarantine_ = std::make_unique<clean::Quarantine>(engine->store_.get());
  engine->dedup_ = std::make_unique<clean::DedupIndex>(engine->store_.get(), options.dedup_window_us);
  if (!options.store.read_only) {
    absl::Status recovered = RecoverDedup(engine->log_.get(), engine->dedup_.get());
    if (!recovered.ok()) return recovered;
  }
  engine->cleaner_ = std::make_unique<clean::Cleaner>(options.cleaner);
  engine->suppression_ = std::make_unique<privacy::SuppressionList>(engine->store_.get());
  absl::Status loaded = engine->suppression_->Load();
  if (!loaded.ok()) return loaded;
  engine->pipeline_ = std::make_unique<IngestPipeline>(
      engine->store_.get(), engine->log_.get(), engine->quarantine_.get(), engine->dedup_.get(),
      engine->suppression_.get(), engine->clock_, options.ingest);
  engine->collector_ = std::make_unique<Collector>(options.write_keys, options.limits,
                                                   engine->cleaner_.get(), engine->pipeline_.get(),
                                                   engine->suppression_.get(), engine->clock_);
  auto indexer = std::make_unique<index::EventIndexer>(engine->store_.get());
  engine->pending_index_ = indexer->pending();
  engine->processors_.push_back(
      std::make_unique<log::ProcessorRunner>(engine->store_.get(), engine->log_.get(), std::move(indexer)));
  // A config given now wins and is remembered; else the remembered one.
  auto remembered = [&](const std::string& name, const std::string& given, std::string* json) -> absl::Status {
    const std::string key = storage::ConfigKey(name);
    *json = given;
    if (json->empty()) {
      absl::Status status = engine->store_->Get(storage::Family::kMeta, key, json);
      return absl::IsNotFound(status) ? absl::OkStatus() : status;
    }
    if (options.store.read_only) return absl::OkStatus();
    storage::WriteBatch batch(engine->store_.get());
    batch.Put(storage::Family::kMeta, key, *json);
    return engine->store_->Write(&batch, true);
  };
  {
    std::string json;
    absl::Status status = remembered("identity", options.identity_config_json, &json);
    if (!status.ok()) return status;
    if (!json.empty()) {
      auto parsed = identity::ParseIdentityRules(json);
      if (!parsed.ok()) return parsed.status();
      options.identity = std::move(*parsed);
    }
  }
  engine->identity_rules_ = options.identity;
  {
    std::string json;
    absl::Status status = remembered("profile", options.profile_config_json, &json);
    if (!status.ok()) return status;
    if (!json.empty()) {
      auto parsed = profile::ParseProfileConfig(json);
      if (!parsed.ok()) return parsed.status();
      options.profile = std::move(*parsed);
    }
  }
  engine->profile_model_ = std::make_shared<const profile::ProfileModel>(std::move(options.profile));
  engine->background_processors_ = options.background_processors;
  engine->processor_nice_ = options.processor_nice;
  engine->profile_cache_bytes_ = options.profile_cache_bytes;
  engine->audience_ = std::make_unique<audience::LiveAudience>(engine->store_.get(), engine->profile_model_.get());
  engine->memberships_ = std::make_unique<audience::Memberships>(engine->store_.get(), engine->audience_.get());
  if (!options.store.read_only) {
    std::string unused;
    if (engine->store_->Get(storage::Family::kMeta, storage::CheckpointKey(kPersonsRebuild), &unused).ok()) {
      spdlog::warn("a rebuild of the persons was interrupted: the persons processor starts over from the log");
      absl::Status reset = engine->ResetPersons();
      if (!reset.ok()) return reset;
    }
  }
  engine->processors_.push_back(std::make_unique<log::ProcessorRunner>(
      engine->store_.get(), engine->log_.get(), engine->NewPersonProcessor()));
  if (options.background_processors) {
    // The lag bound counts running processors only: one paused by an erasure, or
    // failed, must not stop ingest. (processors_ changes only in RebuildPersons, which
    // runs without background processors.)
    engine->pipeline_->SetProcessorLag([engine = engine.get()] {
      int64_t lag = 0;
      for (const auto& runner : engine->processors_) {
        if (runner->running()) lag = std::max(lag, runner->LagMicros());
      }
      return lag;
    });
    for (auto& runner : engine->processors_) runner->Start(engine->processor_nice_);
  }
  return engine;
}

std::unique_ptr<profile::PersonProcessor> Engine::NewPersonProcessor(bool listen) {
  auto processor =
      std::make_unique<profile::PersonProcessor>(store_.get(), identity_rules_, profile_model_, profile_cache_bytes_);
  if (!listen) return processor;
  processor->SetListener([this](const std::vector<const profile::Profile*>& changed, const std::vector<uint64_t>& removed) {
    audience_->OnProfiles(changed, removed);
    std::vector<uint64_t> persons = removed;
    for (const profile::Profile* profile : changed) persons.push_back(profile->person);
    absl::Status status = memberships_->Update(persons, clock_->NowMicros());
    // The next update, or the daily refresh, repairs what this one missed.
    if (!status.ok()) spdlog::warn("segment memberships not updated: {}", status.ToString());
  });
  return processor;
}

Engine::~Engine() {
  if (pipeline_) pipeline_->Stop();
  if (log_) log_->Shutdown();
  for (auto& runner : processors_) runner->Stop();
}

absl::Status Engine::CatchUpProcessors() {
  for (auto& runner : processors_) {
    absl::Status status = runner->CatchUp();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status Engine::ResetPersons() {
  // Everything the persons processor derived lives in the identity family, its counters
  // and its checkpoints. (Split rules live in the meta family and stay in force.) The
  // family takes no range deletes (storage/store.h), so its keys go one by one, in
  // batches; the rebuild's checkpoint is set first, so that if the process dies on the
  // way the next Open resets again.
  std::string zero(8, '\0');
  storage::WriteBatch reset(store_.get());
  reset.Put(storage::Family::kMeta, storage::CheckpointKey(kPersonsRebuild), zero);
  AIDMP_RETURN_IF_ERROR(store_->Write(&reset, true));
  reset.Clear();
  auto it = store_->NewIterator(storage::Family::kIdentity, storage::Store::ScanOptions{.fill_cache = false});
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    reset.Delete(storage::Family::kIdentity, it->key());
    if (reset.Count() < 100'000) continue;
    AIDMP_RETURN_IF_ERROR(store_->Write(&reset, false));
    reset.Clear();
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  for (const char* counter : {"identity_persons", "identity_merges", "identity_merges_blocked", "identity_identifiers"}) {
    reset.Put(storage::Family::kMeta, storage::CounterKey(counter), zero);
  }
  reset.Delete(storage::Family::kMeta, storage::CheckpointKey(kPersons));
  reset.Delete(storage::Family::kMeta, storage::CheckpointKey(kPersonsRebuild));
  AIDMP_RETURN_IF_ERROR(store_->Write(&reset, true));
  // Drop the deleted graph now: left in the files under tombstones, it would be read
  // past by every profile lookup of the replay.
  return store_->CompactAll(storage::Family::kIdentity);
}

absl::Status Engine::RebuildPersons(const std::function<void(uint64_t, uint64_t)>& progress,
                                    bool streaming_identity) {
  if (background_processors_) {
    return absl::FailedPreconditionError("rebuild needs an engine opened without background processors");
  }
  auto splits = identity::IdentityGraph::ReadSplits(store_.get());
  if (!splits.ok()) return splits.status();
  identity::BatchResolverOptions sizing;
  sizing.expected_identifiers = store_->ReadCounter(storage::CounterKey("identity_identifiers"));
  AIDMP_RETURN_IF_ERROR(ResetPersons());
  audience_->Reset();
  // Segments are re-evaluated once at the end, so that only real differences are
  // recorded as entries and exits, not everyone leaving and coming back.
  std::unique_ptr<profile::PersonProcessor> processor = NewPersonProcessor(/*listen=*/false);
  profile::PersonProcessor* rebuilding = nullptr;
  if (splits->empty() && !streaming_identity) {
    auto resolver = identity::BatchResolver::Create(identity_rules_, sizing);
    if (!resolver.ok()) return resolver.status();
    processor->ResolveInMemory(std::move(*resolver));
    rebuilding = processor.get();
  }
  auto runner = std::make_unique<log::ProcessorRunner>(store_.get(), log_.get(), std::move(processor));
  uint64_t total = runner->Lag();
  progress(0, total);
  while (runner->Lag() > 0) {
    absl::Status step = runner->CatchUpSome(100'000);
    if (!step.ok()) return step;
    progress(total - std::min(total, runner->Lag()), total);
  }
  if (rebuilding != nullptr) {
    // The graph, then the streaming checkpoint that vouches for it, in that order: a
    // crash in between leaves the rebuild checkpoint, and Open starts over.
    AIDMP_RETURN_IF_ERROR(rebuilding->WriteResolvedGraph());
    std::string applied;
    PutFixed64BE(&applied, runner->AppliedSeq());
    storage::WriteBatch handover(store_.get());
    handover.Put(storage::Family::kMeta, storage::CheckpointKey(kPersons), applied);
    handover.Delete(storage::Family::kMeta, storage::CheckpointKey(kPersonsRebuild));
    AIDMP_RETURN_IF_ERROR(store_->Write(&handover, true));
  }
  // From here on the persons processor streams, and tells the audience again.
  runner = std::make_unique<log::ProcessorRunner>(store_.get(), log_.get(), NewPersonProcessor());
  for (auto& existing : processors_) {
    if (existing->name() == kPersons) existing = std::move(runner);
  }
  AIDMP_RETURN_IF_ERROR(store_->CompactAll(storage::Family::kIdentity));
  return memberships_->Refresh("", clock_->NowMicros()).status();
}

absl::StatusOr<privacy::ErasureReport> Engine::ErasePerson(uint64_t person_id) {
  std::lock_guard<std::mutex> lock(admin_mu_);
  auto person = identity::IdentityGraph::ReadPerson(store_.get(), person_id);
  if (absl::IsNotFound(person.status())) return absl::NotFoundError(StrCat("no person ", person_id));
  if (!person.ok()) return person.status();
  // Suppress first, so nothing of theirs is written from here on; then let the
  // processors attribute everything already written, and repeat while that reveals more
  // identifiers (merges by events written just before).
  for (auto& runner : processors_) runner->Stop();
  absl::Status status;
  size_t suppressed = 0;
  for (int round = 0; round < 10 && person->identifiers.size() > suppressed; ++round) {
    suppressed = person->identifiers.size();
    status = suppression_->Add(person->identifiers, clock_->NowMicros());
    if (status.ok()) status = CatchUpProcessors();
    if (!status.ok()) break;
    person = identity::IdentityGraph::ReadPerson(store_.get(), person->id);
    if (!person.ok()) {
      status = person.status();
      break;
    }
  }
  // The dedup index keeps its latest ids in memory: the erasure's deletes must find
  // them in the store. (Suppressed, the person adds no more ids.)
  if (status.ok()) status = dedup_->Spill();
  // Segment memberships and their change logs first, so the purge below compacts them
  // away too.
  if (status.ok()) {
    std::vector<uint64_t> gone = person->absorbed;
    gone.push_back(person->id);
    status = memberships_->Forget(gone);
  }
  absl::StatusOr<privacy::ErasureReport> report =
      status.ok() ? privacy::EraseStoredPerson(store_.get(), *person, clock_->NowMicros())
                  : absl::StatusOr<privacy::ErasureReport>(status);
  if (report.ok()) {
    for (auto& runner : processors_) {
      auto* persons = dynamic_cast<profile::PersonProcessor*>(runner->processor());
      if (persons != nullptr) persons->Forget(*person, report->rewritten);
    }
    std::vector<uint64_t> gone = person->absorbed;
    gone.push_back(person->id);
    audience_->Remove(gone);
  }
  if (background_processors_) {
    for (auto& runner : processors_) runner->Start(processor_nice_);
  }
  return report;
}

absl::StatusOr<profile::PersonProcessor::UnmergeReport> Engine::Unmerge(uint64_t merge_id) {
  std::lock_guard<std::mutex> lock(admin_mu_);
  for (auto& runner : processors_) runner->Stop();
  absl::StatusOr<profile::PersonProcessor::UnmergeReport> report = absl::InternalError("no persons processor");
  absl::Status status = CatchUpProcessors();
  if (!status.ok()) report = status;
  for (auto& runner : processors_) {
    auto* persons = dynamic_cast<profile::PersonProcessor*>(runner->processor());
    if (persons != nullptr && status.ok()) report = persons->Unmerge(merge_id, clock_->NowMicros());
  }
  if (report.ok()) {
    // The split wiped and re-created persons: re-read everyone involved.
    std::vector<uint64_t> involved = report->persons;
    if (auto merge = identity::IdentityGraph::ReadMerge(store_.get(), merge_id); merge.ok()) {
      involved.push_back(merge->winner);
      involved.push_back(merge->loser);
    }
    absl::Status refreshed = audience_->Refresh(involved);
    if (refreshed.ok()) refreshed = memberships_->Update(involved, clock_->NowMicros());
    if (!refreshed.ok()) report = refreshed;
  }
  if (background_processors_) {
    for (auto& runner : processors_) runner->Start(processor_nice_);
  }
  return report;
}

EngineStats ReadStats(storage::Store* store) {
  EngineStats stats;
  stats.events_received = store->ReadCounter(storage::CounterKey(kCounterReceived));
  stats.events_stored = store->ReadCounter(storage::CounterKey(kCounterStored));
  stats.duplicates = store->ReadCounter(storage::CounterKey(kCounterDuplicates));
  stats.quarantine_replayed = store->ReadCounter(storage::CounterKey(kCounterReplayed));
  stats.suppressed = store->ReadCounter(storage::CounterKey(kCounterSuppressed));
  stats.erasures = store->ReadCounter(storage::CounterKey("erasures"));
  stats.quarantined = store->ReadCounter(storage::CounterKey(clean::Quarantine::CounterName(std::nullopt)));
  for (int reason_idx = 1; reason_idx < clean::kReasonCount; ++reason_idx) {
    auto reason = static_cast<clean::Reason>(reason_idx);
    uint64_t count = store->ReadCounter(storage::CounterKey(clean::Quarantine::CounterName(reason)));
    if (count > 0) stats.quarantined_by_reason[std::string(clean::ReasonCode(reason))] = count;
  }
  stats.persons = store->ReadCounter(storage::CounterKey("identity_persons"));
  stats.merges = store->ReadCounter(storage::CounterKey("identity_merges"));
  stats.merges_blocked = store->ReadCounter(storage::CounterKey("identity_merges_blocked"));
  auto it = store->NewIterator(storage::Family::kLog);
  it->SeekToLast();
  if (it->Valid()) stats.log_last_seq = storage::DecodeLogKey(it->key());
  return stats;
}

void WriteStatsMembers(const EngineStats& stats, JsonWriter* writer) {
  writer->Key("events_received").Uint(stats.events_received);
  writer->Key("events_stored").Uint(stats.events_stored);
  writer->Key("duplicates").Uint(stats.duplicates);
  writer->Key("quarantined").Uint(stats.quarantined);
  writer->Key("quarantine_replayed").Uint(stats.quarantine_replayed);
  writer->Key("suppressed").Uint(stats.suppressed);
  writer->Key("erasures").Uint(stats.erasures);
  writer->Key("quarantined_by_reason").BeginObject();
  for (const auto& [reason, count] : stats.quarantined_by_reason) writer->Key(reason).Uint(count);
  writer->EndObject();
  writer->Key("log_last_seq").Uint(stats.log_last_seq);
  writer->Key("identity").BeginObject();
  writer->Key("persons_created").Uint(stats.persons);
  writer->Key("merges").Uint(stats.merges);
  writer->Key("merges_blocked").Uint(stats.merges_blocked);
  writer->EndObject();
}

EngineStats Engine::Stats() { return ReadStats(store_.get()); }

}  // namespace aidmp::collect
