// Online recommendations from the active ServingModel (model_store.h): a person's list,
// an item's similar items and popular items, filtered by category or by a saved
// segment, with reasons when asked, and the model swapped without a restart.
//
// A person's list is built in this order until it has k items, each entry saying where
// it came from:
//   "model"          the person's precomputed best unseen items (they were trained on)
//   "similar-items"  items similar to what they did, including events since training
//   "interests"      items in the categories of their interest tags (profile), by
//                    popularity: content-based, so someone new still gets a fitting list
//   "popular"        the most popular items (among the segment's members with segment=)
// Items the person interacted with are left out (training history plus their events
// newer than the training data, at most kLiveEvents) unless exclude_seen is false. A person whose profile refuses personalisation
// gets the non-personalised popular list, the same for everyone, marked so.
// segment=NAME keeps items that members of that saved segment interacted with.
//
// Thread-safety: all methods may be called from many threads; a model swap is atomic
// (requests in flight finish on the model they started with).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/memberships.h"
#include "common/clock.h"
#include "profile/profile.h"
#include "recserve/model_store.h"
#include "recserve/serving_model.h"
#include "recserve/trainer.h"
#include "storage/store.h"

namespace aidmp::recserve {

constexpr int kMaxK = 1000;
// How many of a person's newest events count as "since training" (seen items, and the
// history similar items start from).
constexpr size_t kLiveEvents = 50;

struct RecommendRequest {
  int k = 10;                // 1..kMaxK
  std::string category;      // "" for any; compared case-insensitively
  std::string segment;       // "" for any; else a saved segment's name
  bool exclude_seen = true;
  bool explain = false;
};

struct Reason {
  std::string kind;  // "interacted" (with item), "interest" (tag), "model", "popular"
  std::string what;  // the item id or tag; "" for model/popular
  double weight = 0;  // similarity, interest score, model score, or people count
};

struct Recommendation {
  int32_t item = 0;
  double score = 0;
  std::string source;  // "model", "similar-items", "interests", "popular"
  std::vector<Reason> reasons;  // only when explain
};

struct RecommendResult {
  std::shared_ptr<const ServingModel> model;  // for the items' ids and titles
  uint64_t person = 0;                        // canonical
  bool personalized = false;
  std::string note;  // why the list is not personalised, when it is not
  std::vector<Recommendation> items;
};

class RecommendationService {
 public:
  // `memberships` may be null (segment= then fails); `profile_config` gives the
  // interest tags' half-life.
  RecommendationService(storage::Store* store, std::string data_dir, const profile::ProfileConfig* profile_config,
                        audience::Memberships* memberships, const Clock* clock);

  // The model serving now; nullptr before any was trained. Notices a new ACTIVE version
  // (written by another process or thread) within a second.
  std::shared_ptr<const ServingModel> model();

  // NotFound for an unknown person; FailedPrecondition without a model; InvalidArgument
  // for a bad k or an unknown segment.
  absl::StatusOr<RecommendResult> Recommend(uint64_t person, const RecommendRequest& request);
  // Similar items of `item_id`: its co-occurrence neighbours, then items sharing its
  // categories by popularity (new items have no neighbours yet). NotFound for an item
  // the model does not know.
  absl::StatusOr<RecommendResult> Similar(std::string_view item_id, const RecommendRequest& request);
  // The popular list (segment- and category-filtered).
  absl::StatusOr<RecommendResult> Popular(const RecommendRequest& request);

  // Trains on the store, saves a new version and activates it. One training at a time:
  // FailedPrecondition while another runs.
  absl::StatusOr<uint64_t> Train(const TrainOptions& options, const TrainProgress& progress = {});
  absl::Status Activate(uint64_t version);
  ModelStore& models() { return models_; }

 private:
  struct SegmentPool {
    uint64_t version = 0;
    int64_t built_us = 0;
    std::vector<uint32_t> counts;  // per item: members who interacted
  };
  absl::Status Install(uint64_t version);
  absl::StatusOr<std::shared_ptr<const SegmentPool>> Pool(const ServingModel& model, const std::string& segment);
  absl::Status CheckRequest(const RecommendRequest& request) const;

  storage::Store* store_;
  const profile::ProfileConfig* profile_config_;
  audience::Memberships* memberships_;
  const Clock* clock_;
  ModelStore models_;
  std::mutex mu_;  // guards the members below
  std::shared_ptr<const ServingModel> model_;
  int64_t checked_us_ = 0;
  std::map<std::string, std::shared_ptr<const SegmentPool>> pools_;
  std::mutex train_mu_;
};

}  // namespace aidmp::recserve
