#include "audience/lookalike.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "common/status.h"
#include "common/strings.h"
#include "hnswlib/hnswlib.h"
#include "profile/profile_view.h"
#include "storage/keys.h"

namespace aidmp::audience {
namespace {

// Scales `row` to length 1; false if it is all zeros.
bool Normalise(float* row, size_t dimensions) {
  double norm = 0;
  for (size_t d = 0; d < dimensions; ++d) norm += static_cast<double>(row[d]) * row[d];
  if (norm <= 0) return false;
  float scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (size_t d = 0; d < dimensions; ++d) row[d] *= scale;
  return true;
}

float Dot(const float* a, const float* b, size_t dimensions) {
  float sum = 0;
  for (size_t d = 0; d < dimensions; ++d) sum += a[d] * b[d];
  return sum;
}

}  // namespace

LookalikeModel::~LookalikeModel() = default;

std::unique_ptr<LookalikeModel> LookalikeModel::FromProfiles(const std::vector<profile::Profile>& profiles,
                                                             const profile::ProfileModel& model, int64_t now_us,
                                                             const LookalikeOptions& options) {
  // The vocabulary: every interest tag, and the most common event names.
  std::map<std::string, size_t> tags;
  std::map<std::string, uint64_t> event_people;
  std::map<std::string, double> event_max;
  for (const auto& profile : profiles) {
    for (const auto& [tag, weight] : profile.interests) tags.emplace(tag, 0);
    for (const auto& [name, count] : profile.event_counts) {
      ++event_people[name];
      event_max[name] = std::max(event_max[name], std::log1p(static_cast<double>(count)));
    }
  }
  std::vector<std::pair<uint64_t, std::string>> common;
  for (const auto& [name, people] : event_people) common.emplace_back(people, name);
  std::sort(common.begin(), common.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  if (common.size() > options.max_event_features) common.resize(options.max_event_features);

  auto result = std::unique_ptr<LookalikeModel>(new LookalikeModel());
  for (auto& [tag, column] : tags) {
    column = result->features_.size();
    result->features_.push_back(StrCat("interest:", tag));
  }
  std::map<std::string, size_t> events;
  for (const auto& [people, name] : common) {
    events[name] = result->features_.size();
    result->features_.push_back(StrCat("events:", name));
  }
  result->dimensions_ = result->features_.size();
  std::vector<float> row(result->dimensions_);
  for (const auto& profile : profiles) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (const auto& tag : profile::InterestsAt(profile, model.config(), now_us)) {
      row[tags[tag.tag]] = static_cast<float>(tag.score);
    }
    for (const auto& [name, count] : profile.event_counts) {
      auto column = events.find(name);
      if (column == events.end() || event_max[name] <= 0) continue;
      row[column->second] =
          static_cast<float>(options.behaviour_weight * std::log1p(static_cast<double>(count)) / event_max[name]);
    }
    if (result->dimensions_ == 0 || !Normalise(row.data(), result->dimensions_)) continue;
    result->rows_.emplace(profile.person, static_cast<uint32_t>(result->persons_.size()));
    result->persons_.push_back(profile.person);
    result->vectors_.insert(result->vectors_.end(), row.begin(), row.end());
  }
  result->built_at_us_ = now_us;
  result->Index(options);
  return result;
}

absl::StatusOr<std::unique_ptr<LookalikeModel>> LookalikeModel::Build(storage::Store* store,
                                                                      const profile::ProfileModel& model,
                                                                      int64_t now_us, const LookalikeOptions& options) {
  std::vector<profile::Profile> profiles;
  auto it = store->NewIterator(storage::Family::kIdentity);
  const std::string prefix(1, storage::kIdentityProfile);
  for (it->Seek(prefix); it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityProfile; it->Next()) {
    profile::Profile profile;
    AIDMP_RETURN_IF_ERROR(profile::Profile::Decode(it->value(), &profile));
    // Only what the vectors read.
    profile.series.clear();
    profile.sessions.clear();
    profile.traits.clear();
    profiles.push_back(std::move(profile));
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  return FromProfiles(profiles, model, now_us, options);
}

std::unique_ptr<LookalikeModel> LookalikeModel::FromVectors(const std::vector<uint64_t>& persons,
                                                            const std::vector<std::vector<float>>& vectors,
                                                            const LookalikeOptions& options) {
  auto result = std::unique_ptr<LookalikeModel>(new LookalikeModel());
  result->dimensions_ = vectors.empty() ? 0 : vectors[0].size();
  for (size_t d = 0; d < result->dimensions_; ++d) result->features_.push_back(StrCat("f", d));
  for (size_t idx = 0; idx < persons.size() && idx < vectors.size(); ++idx) {
    std::vector<float> row = vectors[idx];
    row.resize(result->dimensions_);
    if (result->dimensions_ == 0 || !Normalise(row.data(), result->dimensions_)) continue;
    result->rows_.emplace(persons[idx], static_cast<uint32_t>(result->persons_.size()));
    result->persons_.push_back(persons[idx]);
    result->vectors_.insert(result->vectors_.end(), row.begin(), row.end());
  }
  result->Index(options);
  return result;
}

void LookalikeModel::Index(const LookalikeOptions& options) {
  if (persons_.empty()) return;
  space_ = std::make_unique<hnswlib::InnerProductSpace>(dimensions_);
  graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), persons_.size(), options.hnsw_m,
                                                              options.hnsw_ef_construction, /*random_seed=*/100);
  for (size_t row = 0; row < persons_.size(); ++row) graph_->addPoint(&vectors_[row * dimensions_], row);
  graph_->setEf(options.hnsw_ef_search);
}

absl::StatusOr<std::vector<LookalikeMatch>> LookalikeModel::Expand(const std::vector<uint64_t>& seed, size_t size,
                                                                   bool exact) const {
  std::vector<float> centroid(dimensions_, 0.0f);
  std::unordered_set<uint64_t> in_seed(seed.begin(), seed.end());
  size_t with_vector = 0;
  for (uint64_t person : seed) {
    auto row = rows_.find(person);
    if (row == rows_.end()) continue;
    ++with_vector;
    const float* vector = &vectors_[size_t{row->second} * dimensions_];
    for (size_t d = 0; d < dimensions_; ++d) centroid[d] += vector[d];
  }
  if (with_vector == 0 || !Normalise(centroid.data(), dimensions_)) {
    return absl::FailedPreconditionError("no one in the seed has interests or events to be like");
  }
  std::vector<LookalikeMatch> matches;
  if (size == 0) return matches;
  if (exact) {
    for (size_t row = 0; row < persons_.size(); ++row) {
      if (in_seed.count(persons_[row])) continue;
      matches.push_back({persons_[row], Dot(&vectors_[row * dimensions_], centroid.data(), dimensions_)});
    }
    size_t keep = std::min(size, matches.size());
    std::partial_sort(matches.begin(), matches.begin() + static_cast<ptrdiff_t>(keep), matches.end(),
                      [](const LookalikeMatch& a, const LookalikeMatch& b) {
                        return a.similarity > b.similarity || (a.similarity == b.similarity && a.person < b.person);
                      });
    matches.resize(keep);
    return matches;
  }
  // Seed members may come back from the graph: ask for enough to drop them.
  size_t k = std::min(persons_.size(), size + with_vector);
  auto found = graph_->searchKnn(centroid.data(), k);
  while (!found.empty()) {
    auto [distance, row] = found.top();
    found.pop();
    if (!in_seed.count(persons_[row])) matches.push_back({persons_[row], 1.0f - distance});
  }
  std::sort(matches.begin(), matches.end(), [](const LookalikeMatch& a, const LookalikeMatch& b) {
    return a.similarity > b.similarity || (a.similarity == b.similarity && a.person < b.person);
  });
  if (matches.size() > size) matches.resize(size);
  return matches;
}

double Recall(const std::vector<LookalikeMatch>& approximate, const std::vector<LookalikeMatch>& exact) {
  if (exact.empty()) return 1.0;
  std::unordered_set<uint64_t> found;
  for (const auto& match : approximate) found.insert(match.person);
  size_t hits = 0;
  for (const auto& match : exact) hits += found.count(match.person);
  return static_cast<double>(hits) / static_cast<double>(exact.size());
}

}  // namespace aidmp::audience
