#include "recserve/recommendation_service.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "common/status.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "identity/identity_graph.h"
#include "identity/person_events.h"
#include "profile/profile_view.h"
#include "recserve/training_data.h"
#include "storage/keys.h"

namespace aidmp::recserve {
namespace {

constexpr int64_t kRecheckUs = kMicrosPerSecond;
constexpr int64_t kPoolTtlUs = 60 * kMicrosPerSecond;
// Content-based fallback looks at this many of the most popular items.
constexpr size_t kInterestCandidates = 20000;

bool HasCategory(const CatalogueItem& item, std::string_view category) {
  for (const auto& value : item.categories) {
    if (value.size() == category.size() && StartsWithIgnoreCase(value, category)) return true;
  }
  return false;
}

// What a list is being built from, and the rules an item must pass to join it.
class ListBuilder {
 public:
  ListBuilder(const ServingModel& model, const RecommendRequest& request, const std::vector<uint32_t>* pool)
      : model_(model), request_(request), pool_(pool), taken_(model.items.size(), false) {}

  void Exclude(int32_t item) { taken_[item] = true; }
  bool Passes(int32_t item) const {
    if (taken_[item]) return false;
    if (pool_ != nullptr && (*pool_)[item] == 0) return false;
    return request_.category.empty() || HasCategory(model_.items[item], request_.category);
  }
  bool full() const { return static_cast<int>(items_.size()) >= request_.k; }
  // Adds if it passes; returns whether it did.
  Recommendation* Add(int32_t item, double score, const char* source) {
    if (full() || !Passes(item)) return nullptr;
    taken_[item] = true;
    items_.push_back(Recommendation{item, score, source, {}});
    return &items_.back();
  }
  std::vector<Recommendation> Take() { return std::move(items_); }

 private:
  const ServingModel& model_;
  const RecommendRequest& request_;
  const std::vector<uint32_t>* pool_;
  std::vector<bool> taken_;
  std::vector<Recommendation> items_;
};

void AddPopular(const ServingModel& model, const std::vector<uint32_t>* pool, bool explain, ListBuilder* list) {
  if (pool != nullptr) {
    std::vector<int32_t> order;
    for (int32_t item = 0; item < model.num_items(); ++item) {
      if ((*pool)[item] > 0) order.push_back(item);
    }
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return (*pool)[a] != (*pool)[b] ? (*pool)[a] > (*pool)[b] : model.items[a].id < model.items[b].id;
    });
    for (int32_t item : order) {
      if (list->full()) return;
      if (auto* added = list->Add(item, (*pool)[item], "popular"); added && explain) {
        added->reasons.push_back({"popular", "", static_cast<double>((*pool)[item])});
      }
    }
    return;
  }
  for (int32_t item : model.by_popularity) {
    if (list->full()) return;
    if (auto* added = list->Add(item, model.popularity[item], "popular"); added && explain) {
      added->reasons.push_back({"popular", "", static_cast<double>(model.popularity[item])});
    }
  }
}

// Reasons an item suits someone with this history and these interests: the history
// items most similar to it, and the interest tags among its categories.
void Explain(const ServingModel& model, int32_t item, const std::unordered_set<int32_t>& history,
             const std::vector<profile::InterestTag>& interests, Recommendation* out) {
  std::vector<Reason> because;
  for (const ScoredItem* it = model.similar.begin(item); it != model.similar.end(item); ++it) {
    if (history.count(it->item) > 0) because.push_back({"interacted", model.items[it->item].id, it->score});
  }
  std::sort(because.begin(), because.end(), [](const Reason& a, const Reason& b) { return a.weight > b.weight; });
  if (because.size() > 3) because.resize(3);
  for (auto& reason : because) out->reasons.push_back(std::move(reason));
  for (const auto& tag : interests) {
    if (HasCategory(model.items[item], tag.tag)) out->reasons.push_back({"interest", tag.tag, tag.score});
  }
}

}  // namespace

RecommendationService::RecommendationService(storage::Store* store, std::string data_dir,
                                             const profile::ProfileConfig* profile_config,
                                             audience::Memberships* memberships, const Clock* clock)
    : store_(store),
      profile_config_(profile_config),
      memberships_(memberships),
      clock_(clock),
      models_(std::move(data_dir)) {}

absl::Status RecommendationService::Install(uint64_t version) {
  AIDMP_ASSIGN_OR_RETURN(auto loaded, models_.Load(version));
  std::lock_guard<std::mutex> lock(mu_);
  model_ = std::move(loaded);
  pools_.clear();
  return absl::OkStatus();
}

std::shared_ptr<const ServingModel> RecommendationService::model() {
  int64_t now = clock_->NowMicros();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (model_ != nullptr && now - checked_us_ < kRecheckUs) return model_;
    checked_us_ = now;
  }
  auto active = models_.ActiveVersion();
  std::shared_ptr<const ServingModel> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current = model_;
  }
  if (active.ok() && (current == nullptr || current->version != *active)) {
    if (absl::Status status = Install(*active); !status.ok()) return current;  // keep serving the old one
    std::lock_guard<std::mutex> lock(mu_);
    return model_;
  }
  return current;
}

absl::Status RecommendationService::CheckRequest(const RecommendRequest& request) const {
  if (request.k < 1 || request.k > kMaxK) {
    return absl::InvalidArgumentError(StrCat("k must be between 1 and ", kMaxK, ", got ", request.k));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const RecommendationService::SegmentPool>> RecommendationService::Pool(
    const ServingModel& model, const std::string& segment) {
  int64_t now = clock_->NowMicros();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pools_.find(segment);
    if (it != pools_.end() && it->second->version == model.version && now - it->second->built_us < kPoolTtlUs) {
      return it->second;
    }
  }
  if (memberships_ == nullptr) return absl::FailedPreconditionError("segments are not available here");
  auto pool = std::make_shared<SegmentPool>();
  pool->version = model.version;
  pool->built_us = now;
  pool->counts.assign(model.items.size(), 0);
  uint64_t after = 0;
  while (true) {
    auto members = memberships_->Members(segment, after, 10000);
    if (!members.ok()) {
      if (absl::IsNotFound(members.status())) {
        return absl::InvalidArgumentError(StrCat("unknown segment '", segment, "'"));
      }
      return members.status();
    }
    if (members->empty()) break;
    for (uint64_t person : *members) {
      int32_t user = model.FindUser(person);
      if (user < 0) continue;
      for (const int32_t* it = model.seen.begin(user); it != model.seen.end(user); ++it) ++pool->counts[*it];
    }
    after = members->back();
  }
  std::lock_guard<std::mutex> lock(mu_);
  pools_[segment] = pool;
  return std::shared_ptr<const SegmentPool>(pool);
}

absl::StatusOr<RecommendResult> RecommendationService::Recommend(uint64_t person, const RecommendRequest& request) {
  AIDMP_RETURN_IF_ERROR(CheckRequest(request));
  std::shared_ptr<const ServingModel> model = this->model();
  if (model == nullptr) {
    return absl::FailedPreconditionError(
        "no recommender model yet: train one (aidmp train recommender, or POST /v1/recommender/train)");
  }
  auto record = identity::IdentityGraph::ReadPerson(store_, person);
  if (absl::IsNotFound(record.status())) return absl::NotFoundError(StrCat("unknown person ", person));
  AIDMP_RETURN_IF_ERROR(record.status());

  RecommendResult result;
  result.model = model;
  result.person = record->id;
  std::shared_ptr<const SegmentPool> pool;
  if (!request.segment.empty()) {
    AIDMP_ASSIGN_OR_RETURN(pool, Pool(*model, request.segment));
  }
  const std::vector<uint32_t>* pool_counts = pool ? &pool->counts : nullptr;
  ListBuilder list(*model, request, pool_counts);

  profile::Profile profile;
  bool has_profile = false;
  {
    std::string value;
    absl::Status status = store_->Get(storage::Family::kIdentity, storage::ProfileKey(record->id), &value);
    if (status.ok()) {
      AIDMP_RETURN_IF_ERROR(profile::Profile::Decode(value, &profile));
      has_profile = true;
    } else if (!absl::IsNotFound(status)) {
      return status;
    }
  }
  if (has_profile && RefusedPersonalisation(profile)) {
    result.note = "the person refused personalisation: popular items, the same for everyone";
    AddPopular(*model, pool_counts, request.explain, &list);
    result.items = list.Take();
    return result;
  }

  // What they did: the trained history, and their newest events.
  int32_t user = model->FindUser(record->id);
  for (size_t i = 0; user < 0 && i < record->absorbed.size(); ++i) user = model->FindUser(record->absorbed[i]);
  std::unordered_set<int32_t> history;
  if (user >= 0) history.insert(model->seen.begin(user), model->seen.end(user));
  AIDMP_ASSIGN_OR_RETURN(auto recent, identity::PersonEventSeqs(store_, *record, std::numeric_limits<int64_t>::max(),
                                                                kLiveEvents));
  InteractionOptions interaction_options;
  std::vector<CatalogueItem> named;
  for (const auto& entry : recent) {
    // Newest first: what is older than the training data is in the model's history.
    if (user >= 0 && entry.ts_us <= model->data_until_us) break;
    std::string value;
    absl::Status status = store_->Get(storage::Family::kLog, storage::LogKey(entry.seq), &value);
    if (absl::IsNotFound(status)) continue;
    AIDMP_RETURN_IF_ERROR(status);
    event::Event event;
    if (!event::DecodeStoredEvent(value, &event).ok() || (event.flags & event::kFlagBot) != 0) continue;
    if (event.type == event::EventType::kTrack) {
      auto weight = interaction_options.event_weights.find(event.event);
      if (weight != interaction_options.event_weights.end() && weight->second <= 0) continue;
    }
    named.clear();
    ItemsOfEvent(event.properties_json, interaction_options, &named);
    for (const auto& item : named) {
      int32_t index = model->FindItem(item.id);
      if (index >= 0) history.insert(index);
    }
  }
  if (request.exclude_seen) {
    for (int32_t item : history) list.Exclude(item);
  }
  std::vector<profile::InterestTag> interests;
  if (has_profile && profile_config_ != nullptr) {
    interests = profile::InterestsAt(profile, *profile_config_, clock_->NowMicros());
  }
  auto explain = [&](Recommendation* added) {
    if (added != nullptr && request.explain) Explain(*model, added->item, history, interests, added);
  };

  // 1. The model's list.
  if (user >= 0) {
    for (const ScoredItem* it = model->recommended.begin(user); it != model->recommended.end(user) && !list.full(); ++it) {
      Recommendation* added = list.Add(it->item, it->score, "model");
      if (added != nullptr && request.explain) added->reasons.push_back({"model", model->algo, it->score});
      explain(added);
    }
  }
  // 2. Items similar to what they did.
  if (!list.full() && !history.empty()) {
    std::unordered_map<int32_t, double> scores;
    for (int32_t item : history) {
      for (const ScoredItem* it = model->similar.begin(item); it != model->similar.end(item); ++it) {
        scores[it->item] += it->score;
      }
    }
    std::vector<std::pair<int32_t, double>> ranked(scores.begin(), scores.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (const auto& [item, score] : ranked) {
      if (list.full()) break;
      explain(list.Add(item, score, "similar-items"));
    }
  }
  // 3. Their interest tags against the items' categories.
  if (!list.full() && !interests.empty()) {
    std::vector<std::pair<int32_t, double>> ranked;
    size_t limit = std::min(model->by_popularity.size(), kInterestCandidates);
    for (size_t rank = 0; rank < limit; ++rank) {
      int32_t item = model->by_popularity[rank];
      if (!list.Passes(item)) continue;
      double score = 0;
      for (const auto& tag : interests) {
        if (HasCategory(model->items[item], tag.tag)) score += tag.score;
      }
      if (score > 0) ranked.emplace_back(item, score);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [item, score] : ranked) {
      if (list.full()) break;
      explain(list.Add(item, score, "interests"));
    }
  }
  std::vector<Recommendation> personal = list.Take();
  result.personalized = !personal.empty();
  if (!result.personalized) result.note = "nothing known about the person's tastes yet: popular items";
  // 4. Popular items fill the rest.
  RecommendRequest remaining = request;
  remaining.k = request.k - static_cast<int>(personal.size());
  ListBuilder fill(*model, remaining, pool_counts);
  if (request.exclude_seen) {
    for (int32_t item : history) fill.Exclude(item);
  }
  for (const auto& entry : personal) fill.Exclude(entry.item);
  if (remaining.k > 0) AddPopular(*model, pool_counts, request.explain, &fill);
  result.items = std::move(personal);
  for (auto& entry : fill.Take()) result.items.push_back(std::move(entry));
  return result;
}

absl::StatusOr<RecommendResult> RecommendationService::Similar(std::string_view item_id, const RecommendRequest& request) {
  AIDMP_RETURN_IF_ERROR(CheckRequest(request));
  std::shared_ptr<const ServingModel> model = this->model();
  if (model == nullptr) {
    return absl::FailedPreconditionError(
        "no recommender model yet: train one (aidmp train recommender, or POST /v1/recommender/train)");
  }
  int32_t item = model->FindItem(item_id);
  if (item < 0) return absl::NotFoundError(StrCat("item '", item_id, "' is not in the model (trained ", model->version, ")"));
  RecommendResult result;
  result.model = model;
  result.personalized = false;
  std::shared_ptr<const SegmentPool> pool;
  if (!request.segment.empty()) {
    AIDMP_ASSIGN_OR_RETURN(pool, Pool(*model, request.segment));
  }
  ListBuilder list(*model, request, pool ? &pool->counts : nullptr);
  list.Exclude(item);
  for (const ScoredItem* it = model->similar.begin(item); it != model->similar.end(item) && !list.full(); ++it) {
    Recommendation* added = list.Add(it->item, it->score, "similar-items");
    if (added != nullptr && request.explain) added->reasons.push_back({"interacted", model->items[item].id, it->score});
  }
  // Items sharing its categories, most shared first, then by popularity.
  const CatalogueItem& self = model->items[item];
  if (!list.full() && !self.categories.empty()) {
    std::vector<std::pair<int32_t, int>> ranked;
    size_t limit = std::min(model->by_popularity.size(), kInterestCandidates);
    for (size_t rank = 0; rank < limit; ++rank) {
      int32_t other = model->by_popularity[rank];
      if (!list.Passes(other)) continue;
      int shared = 0;
      for (const auto& category : self.categories) shared += HasCategory(model->items[other], category) ? 1 : 0;
      if (shared > 0) ranked.emplace_back(other, shared);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [other, shared] : ranked) {
      if (list.full()) break;
      Recommendation* added = list.Add(other, shared, "categories");
      if (added != nullptr && request.explain) {
        for (const auto& category : self.categories) {
          if (HasCategory(model->items[other], category)) added->reasons.push_back({"category", category, 1});
        }
      }
    }
  }
  result.items = list.Take();
  return result;
}

absl::StatusOr<RecommendResult> RecommendationService::Popular(const RecommendRequest& request) {
  AIDMP_RETURN_IF_ERROR(CheckRequest(request));
  std::shared_ptr<const ServingModel> model = this->model();
  if (model == nullptr) {
    return absl::FailedPreconditionError(
        "no recommender model yet: train one (aidmp train recommender, or POST /v1/recommender/train)");
  }
  RecommendResult result;
  result.model = model;
  std::shared_ptr<const SegmentPool> pool;
  if (!request.segment.empty()) {
    AIDMP_ASSIGN_OR_RETURN(pool, Pool(*model, request.segment));
  }
  ListBuilder list(*model, request, pool ? &pool->counts : nullptr);
  AddPopular(*model, pool ? &pool->counts : nullptr, request.explain, &list);
  result.items = list.Take();
  return result;
}

absl::StatusOr<uint64_t> RecommendationService::Train(const TrainOptions& options, const TrainProgress& progress) {
  std::unique_lock<std::mutex> lock(train_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return absl::FailedPreconditionError("a training is already running");
  AIDMP_ASSIGN_OR_RETURN(ServingModel model, TrainFromStore(store_, options, clock_->NowMicros(), progress));
  AIDMP_ASSIGN_OR_RETURN(uint64_t version, models_.Save(&model, /*activate=*/true));
  auto shared = std::make_shared<const ServingModel>(std::move(model));
  std::lock_guard<std::mutex> guard(mu_);
  model_ = std::move(shared);
  pools_.clear();
  return version;
}

absl::Status RecommendationService::Activate(uint64_t version) {
  AIDMP_RETURN_IF_ERROR(models_.Activate(version));
  return Install(version);
}

}  // namespace aidmp::recserve
