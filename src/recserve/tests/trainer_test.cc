// The trainer's ranking of per-person lists: approximate (HNSW over the model's factors)
// against scoring every item on a generated catalogue large enough that the graph has
// several layers, and the exact path against a brute force over the same fitted model.
#include "recserve/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "recommend/recommender.h"
#include "recommend/registry.h"

namespace aidmp::recserve {
namespace {

// `people` x `items` with 40 taste groups: each person draws ~25 items, most from two
// groups, items Zipf-popular within a group, so that the factors carry structure.
TrainingData Generate(int32_t people, int32_t items, uint64_t seed) {
  constexpr int kGroups = 40;
  TrainingData data;
  std::mt19937_64 rng(seed);
  for (int32_t item = 0; item < items; ++item) {
    data.dataset.item_ids.push_back("i" + std::to_string(item));
    data.items.push_back({"i" + std::to_string(item), "", {}, 0});
  }
  data.dataset.item_titles.resize(items);
  data.dataset.item_features.resize(items);
  std::uniform_int_distribution<int> any_group(0, kGroups - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  const int32_t per_group = items / kGroups;
  for (int32_t person = 0; person < people; ++person) {
    data.dataset.user_ids.push_back(std::to_string(1000 + person));
    data.persons.push_back(1000 + person);
    int first = any_group(rng), second = any_group(rng);
    std::set<int32_t> chosen;
    while (chosen.size() < 25) {
      double draw = unit(rng);
      int group = draw < 0.5 ? first : draw < 0.85 ? second : any_group(rng);
      int32_t rank = static_cast<int32_t>(std::pow(per_group, unit(rng))) - 1;  // log-uniform: Zipf-like
      chosen.insert(group * per_group + std::clamp(rank, 0, per_group - 1));
    }
    for (int32_t item : chosen) data.dataset.interactions.push_back({person, item, 1, 0});
  }
  data.dataset.explicit_ratings = false;
  return data;
}

TrainOptions Options(std::string algo, AnnMode ann) {
  TrainOptions options;
  options.algo = std::move(algo);
  options.params = options.algo == "als" ? recommend::Params{{"factors", 16}, {"iterations", 4}}
                                         : recommend::Params{{"factors", 16}, {"epochs", 8}};
  options.recommendations_per_person = 20;
  options.similar_per_item = 5;
  options.ann = ann;
  return options;
}

double Recall(const ServingModel& approximate, const ServingModel& exact, int32_t user) {
  std::set<int32_t> found;
  for (const ScoredItem* it = approximate.recommended.begin(user); it != approximate.recommended.end(user); ++it) {
    found.insert(it->item);
  }
  size_t hits = 0, total = 0;
  for (const ScoredItem* it = exact.recommended.begin(user); it != exact.recommended.end(user); ++it, ++total) {
    hits += found.count(it->item);
  }
  return total == 0 ? 1.0 : static_cast<double>(hits) / total;
}

class TrainerAnnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new TrainingData(Generate(1000, 12000, 7)); }
  static void TearDownTestSuite() { delete data_; }
  static TrainingData* data_;
};
TrainingData* TrainerAnnTest::data_ = nullptr;

TEST_F(TrainerAnnTest, ApproximateListsRecallExactOnesAndLeaveOutSeenItems) {
  for (std::string algo : {"als", "bpr"}) {  // bpr's item biases ride in an extra dimension
    SCOPED_TRACE(algo);
    auto exact = BuildServingModel(*data_, Options(algo, AnnMode::kOff), 0);
    auto approximate = BuildServingModel(*data_, Options(algo, AnnMode::kOn), 0);
    ASSERT_TRUE(exact.ok()) << exact.status();
    ASSERT_TRUE(approximate.ok()) << approximate.status();
    EXPECT_EQ(exact->ranking, "exact");
    EXPECT_EQ(approximate->ranking, "hnsw m=16 ef_construction=200 ef=200");
    EXPECT_EQ(approximate->ann_recall_persons, 200u);
    EXPECT_GE(approximate->ann_recall, 0.9);
    double sum = 0;
    for (int32_t user = 0; user < data_->dataset.num_users(); ++user) {
      sum += Recall(*approximate, *exact, user);
      EXPECT_EQ(approximate->recommended.end(user) - approximate->recommended.begin(user), 20) << "user " << user;
      for (const ScoredItem* it = approximate->recommended.begin(user); it != approximate->recommended.end(user); ++it) {
        ASSERT_FALSE(std::binary_search(approximate->seen.begin(user), approximate->seen.end(user), it->item))
            << "user " << user << " was recommended item " << it->item << " they have seen";
        if (it != approximate->recommended.begin(user)) {
          EXPECT_LE(it->score, (it - 1)->score);
        }
      }
    }
    double recall = sum / data_->dataset.num_users();
    EXPECT_GE(recall, 0.9);
    // The sampled figure estimates the whole population's.
    EXPECT_NEAR(approximate->ann_recall, recall, 0.05);
  }
}

TEST_F(TrainerAnnTest, OffScoresEveryItemAsTheFittedModelDoes) {
  TrainOptions options = Options("als", AnnMode::kOff);
  auto serving = BuildServingModel(*data_, options, 0);
  ASSERT_TRUE(serving.ok()) << serving.status();
  const recommend::AlgorithmSpec* spec = recommend::FindAlgorithm("als");
  auto model = spec->make(recommend::Merge(spec->ranking_defaults, options.params));
  ASSERT_TRUE(model.ok());
  recommend::TrainSet train = recommend::MakeTrainSet(data_->dataset, data_->dataset.interactions, true);
  train.explicit_ratings = false;
  ASSERT_TRUE((*model)->Fit(train, recommend::FitContext{options.threads, options.seed}).ok());
  std::vector<float> scores(train.num_items);
  for (int32_t user = 0; user < train.num_users; user += 7) {
    (*model)->ScoreItems(user, scores);
    std::vector<ScoredItem> all;
    for (int32_t item = 0; item < train.num_items; ++item) {
      if (!std::binary_search(serving->seen.begin(user), serving->seen.end(user), item)) all.push_back({item, scores[item]});
    }
    std::sort(all.begin(), all.end(), [](const ScoredItem& a, const ScoredItem& b) {
      return a.score != b.score ? a.score > b.score : a.item < b.item;
    });
    all.resize(20);
    std::vector<ScoredItem> stored(serving->recommended.begin(user), serving->recommended.end(user));
    ASSERT_EQ(stored.size(), all.size());
    for (size_t pos = 0; pos < all.size(); ++pos) {
      EXPECT_EQ(stored[pos].item, all[pos].item) << "user " << user << " position " << pos;
      EXPECT_EQ(stored[pos].score, all[pos].score);
    }
  }
  // The same model approximately: most items sit in HNSW graphs (not in buckets small
  // enough to scan), so the recall above is the graphs'.
  options.ann = AnnMode::kOn;
  RankingReport report;
  Rows<ScoredItem> approximate = RankForServing(**model, serving->seen, train.num_items, options, &report);
  EXPECT_EQ(report.indexed_items + report.scanned_items, train.num_items);
  EXPECT_GE(report.indexed_items, train.num_items / 2);
  EXPECT_GT(report.index_bytes, static_cast<size_t>(report.indexed_items) * 16 * sizeof(float));
  EXPECT_EQ(approximate.size(), serving->recommended.size());
}

TEST_F(TrainerAnnTest, AutoIsExactBelowTheThresholdAndModelsWithoutFactorsAreAlwaysExact) {
  auto automatic = BuildServingModel(*data_, Options("als", AnnMode::kAuto), 0);
  ASSERT_TRUE(automatic.ok());
  EXPECT_EQ(automatic->ranking, "exact");
  EXPECT_EQ(automatic->ann_recall_persons, 0u);
  TrainOptions knn = Options("itemknn", AnnMode::kOn);
  knn.params.clear();
  auto itemknn = BuildServingModel(*data_, knn, 0);
  ASSERT_TRUE(itemknn.ok());
  EXPECT_EQ(itemknn->ranking, "exact");
}

// A factor model with given vectors (the seam RankForServing sees), in random directions
// with norms in three octaves: 50 items in (1/2, 1], 3,950 in (1/4, 1/2], the rest in
// (1/8, 1/4], so that a person's best items come from more than the longest bucket.
class FixedFactors : public recommend::Recommender {
 public:
  FixedFactors(int32_t users, int32_t items, int factors, bool bias, uint64_t seed)
      : users_(factors, users), items_(factors, items) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0, 1);
    std::uniform_real_distribution<float> fraction(0, 1);
    for (Eigen::Index idx = 0; idx < users_.size(); ++idx) users_.data()[idx] = normal(rng);
    for (int32_t item = 0; item < items; ++item) {
      for (int factor = 0; factor < factors; ++factor) items_(factor, item) = normal(rng);
      const int octave = item < 50 ? 0 : item < 4000 ? 1 : 2;
      items_.col(item) *= std::exp2(-octave - fraction(rng)) / items_.col(item).norm();
      if (bias) bias_.push_back(0.1f * fraction(rng));
    }
  }
  absl::Status Fit(const recommend::TrainSet&, const recommend::FitContext&) override { return absl::OkStatus(); }
  void ScoreItems(int32_t user, std::span<float> scores) const override {
    for (int32_t item = 0; item < items_.cols(); ++item) {
      scores[item] = users_.col(user).dot(items_.col(item)) + (bias_.empty() ? 0 : bias_[item]);
    }
  }
  std::optional<recommend::FactorView> Factors() const override {
    return recommend::FactorView{&users_, &items_, bias_};
  }

 private:
  Eigen::MatrixXf users_, items_;
  std::vector<float> bias_;
};

TEST(RankForServingTest, NormBucketsFindTheExactTopAcrossBuckets) {
  for (bool bias : {false, true}) {
    SCOPED_TRACE(bias ? "with item biases" : "without");
    FixedFactors model(300, 10000, 8, bias, 5);
    Rows<int32_t> seen;
    std::mt19937_64 rng(9);
    std::uniform_int_distribution<int32_t> any_item(0, 9999);
    for (int32_t user = 0; user < 300; ++user) {
      std::set<int32_t> items;
      while (items.size() < 30) items.insert(any_item(rng));
      seen.Add(std::vector<int32_t>(items.begin(), items.end()));
    }
    TrainOptions options;
    options.recommendations_per_person = 20;
    options.hnsw_ef_construction = 100;
    options.ann = AnnMode::kOff;
    Rows<ScoredItem> exact = RankForServing(model, seen, 10000, options);
    options.ann = AnnMode::kOn;
    RankingReport report;
    Rows<ScoredItem> approximate = RankForServing(model, seen, 10000, options, &report);
    EXPECT_GE(report.indexed_items, 9000);
    double recall = 0;
    std::set<int> buckets_in_answers;
    for (int32_t user = 0; user < 300; ++user) {
      std::set<int32_t> found;
      for (const ScoredItem* it = approximate.begin(user); it != approximate.end(user); ++it) {
        found.insert(it->item);
        ASSERT_FALSE(std::binary_search(seen.begin(user), seen.end(user), it->item));
      }
      for (const ScoredItem* it = exact.begin(user); it != exact.end(user); ++it) {
        recall += found.count(it->item) / 20.0;
        buckets_in_answers.insert(static_cast<int>(std::floor(-std::log2(model.Factors()->items->col(it->item).norm()))));
      }
    }
    recall /= 300;
    EXPECT_GE(recall, 0.95);
    EXPECT_NEAR(report.recall, recall, 0.03);
    // The exact answers come from more than the longest bucket, so stopping early is tested.
    EXPECT_GE(buckets_in_answers.size(), 2u);
  }
}

TEST(TrainerOptionsTest, AnnModesParseAndBadHnswParametersAreRejected) {
  for (AnnMode mode : {AnnMode::kAuto, AnnMode::kOn, AnnMode::kOff}) EXPECT_EQ(*ParseAnnMode(AnnModeName(mode)), mode);
  EXPECT_FALSE(ParseAnnMode("yes").ok());
  TrainingData data = Generate(50, 400, 1);
  TrainOptions options = Options("als", AnnMode::kOn);
  options.hnsw_m = 1;
  auto model = BuildServingModel(data, options, 0);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("m 1"), std::string::npos) << model.status();
}

}  // namespace
}  // namespace aidmp::recserve
