// The person processor behind the event log: resolves each event's identifiers into a
// person (identity/identity_graph.h), indexes the event under that person, folds it into
// the person's profile, and folds the profiles of persons merged by the event into the
// survivor — all in the batch the ProcessorRunner writes with its checkpoint.
//
// Thread-safety: driven by one ProcessorRunner; ReadProfile from any thread.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "event/event.h"
#include "identity/batch_resolver.h"
#include "identity/identity_graph.h"
#include "log/processor_runner.h"
#include "profile/profile.h"
#include "profile/profile_cache.h"

namespace aidmp::profile {

class PersonProcessor final : public log::Processor {
 public:
  // Decoded profiles are kept between steps up to about `profile_cache_bytes`
  // (profile_cache.h).
  static constexpr size_t kDefaultProfileCacheBytes = size_t{128} << 20;
  PersonProcessor(storage::Store* store, identity::IdentityRules rules, std::shared_ptr<const ProfileModel> model,
                  size_t profile_cache_bytes = kDefaultProfileCacheBytes)
      : store_(store), graph_(store, std::move(rules)), model_(std::move(model)), cache_(profile_cache_bytes) {}
  // "persons"; while rebuilding in memory "persons-rebuild", so that the streaming
  // checkpoint never vouches for a graph that exists only in memory.
  static constexpr std::string_view kName = "persons", kRebuildName = "persons-rebuild";
  std::string_view Name() const override { return resolver_ ? kRebuildName : kName; }
  absl::Status Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) override;
  void Committed() override;

  // Told, after each written batch, the profiles it wrote and the persons it merged
  // away (on the runner's thread; the profiles are valid during the call). Set before
  // the runner starts. Not told while rebuilding in memory: the profiles are not in the
  // store before the end.
  using Listener =
      std::function<void(const std::vector<const Profile*>& changed, const std::vector<uint64_t>& removed)>;
  void SetListener(Listener listener) { listener_ = std::move(listener); }
  // Drops cached state of an erased person, and the cached records of the persons who
  // stay that the erasure rewrote (privacy::ErasureReport::rewritten); only while the
  // runner is stopped.
  void Forget(const identity::PersonRecord& person, const std::vector<uint64_t>& rewritten) {
    graph_.Forget(person);
    graph_.ForgetRecords(rewritten);
    cache_.Erase(person.id);
    for (uint64_t member : person.absorbed) cache_.Erase(member);
  }

  // Undoes merge `merge_id`: records a split rule (the merged-away person's identifiers
  // against the rest), wipes the person's identity state, and replays their events in
  // log order, so events are re-attributed and every resulting person's profile is
  // recomputed. The old person numbers then point at the new persons. Only while the
  // runner is stopped and caught up.
  struct UnmergeReport {
    uint64_t merge = 0;
    uint64_t split = 0;
    uint64_t events = 0;
    std::vector<uint64_t> persons;  // canonical persons the events now belong to
  };
  absl::StatusOr<UnmergeReport> Unmerge(uint64_t merge_id, int64_t now_us);

  // Rebuild mode, set before a runner is made for the processor (it changes Name()):
  // identities are resolved in memory by `resolver`, which must start empty and have
  // the rules this processor was made with, rather than against the store. Apply then
  // stages person events only, and profiles only as they leave the cache (a crash
  // starts the rebuild over, so the store need not keep up); WriteResolvedGraph writes
  // the remaining profiles, replaces the stored identity graph with the resolver's once
  // the log is processed, and ends the mode. A step whose batch was not written fails
  // the rest of the rebuild.
  // The outcome equals streaming (identity/batch_resolver.h) for a graph without split
  // rules, which the resolver does not know: the caller checks there are none.
  void ResolveInMemory(std::unique_ptr<identity::BatchResolver> resolver) { resolver_ = std::move(resolver); }
  absl::Status WriteResolvedGraph();

 private:
  // The profile of `person` from the cache or the store, noted in `touched`.
  absl::StatusOr<Profile*> Load(uint64_t person, std::set<uint64_t>* touched);
  // Folds one resolved event into the profiles and the person event index.
  absl::Status Fold(const event::Event& event, uint64_t seq, const identity::Resolution& resolution,
                    std::set<uint64_t>* touched, std::set<uint64_t>* merged_away, storage::WriteBatch* batch);
  // Resolves `entries` with the in-memory resolver; `events[i]` is entry i decoded, and
  // resolutions[i] its resolution (person 0: an event without identifiers).
  absl::Status ResolveEntries(const std::vector<log::LogEntry>& entries, std::vector<event::Event>* events,
                              std::vector<identity::Resolution>* resolutions);
  // Sets the listener's pending lists from the step's profiles.
  void StageChanges(const std::set<uint64_t>& touched, const std::set<uint64_t>& merged_away);

  storage::Store* store_;
  identity::IdentityGraph graph_;
  std::unique_ptr<identity::BatchResolver> resolver_;  // rebuild mode
  std::vector<event::Event> rebuild_events_;          // rebuild mode: a step's events
  std::shared_ptr<const ProfileModel> model_;
  ProfileCache cache_;
  // Apply staged a batch that Committed has not confirmed: the cache may hold changes
  // the store never got.
  bool uncommitted_ = false;
  Listener listener_;
  std::vector<const Profile*> pending_changed_;
  std::vector<uint64_t> pending_removed_;
};

// The stored profile of canonical person `person`; an empty profile if none yet.
absl::StatusOr<Profile> ReadProfile(storage::Store* store, uint64_t person);

}  // namespace aidmp::profile
