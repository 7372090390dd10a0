// The protocols end to end on the real MovieLens 100k: loose lower bounds that catch a
// broken split, metric or model (the measured figures are in docs/benchmarks.md).
#include <gtest/gtest.h>

#include "recommend/experiment.h"
#include "testing/temp_dir.h"

namespace aidmp::recommend {
namespace {

double Metric(const ExperimentResult& result, const std::string& name) {
  for (const auto& [metric, value] : result.metrics) {
    if (metric == name) return value;
  }
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

class MovieLensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = testing::SharedDataDir("movielens-100k");
    if (dir.empty()) GTEST_SKIP() << "../shared/data/movielens-100k is absent; this test needs the real MovieLens 100k";
    auto dataset = LoadMovieLens100k(dir);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    dataset_ = std::move(*dataset);
  }

  ExperimentResult Run(const std::string& algo, bool ranking) {
    ExperimentOptions options;
    auto result = ranking ? RunRankingExperiment(dataset_, *FindAlgorithm(algo), options)
                          : RunRatingExperiment(dataset_, *FindAlgorithm(algo), options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ExperimentResult();
  }

  Dataset dataset_;
};

TEST_F(MovieLensTest, RecBoleProtocolReproducesTheReferenceModels) {
  // References on this protocol: Pop 0.140, item-kNN (k=50) 0.277, EASE (λ=250) 0.334;
  // one split's figures vary by about ±0.01 with the seed.
  ExperimentResult pop = Run("pop", true);
  EXPECT_GT(Metric(pop, "ndcg@10"), 0.12);
  EXPECT_LT(Metric(pop, "ndcg@10"), 0.16);
  EXPECT_GT(Metric(Run("itemknn", true), "ndcg@10"), 0.25);
  ExperimentResult ease = Run("ease", true);
  EXPECT_GT(Metric(ease, "ndcg@10"), 0.30);
  EXPECT_GT(Metric(ease, "recall@10"), 0.25);
}

TEST_F(MovieLensTest, HybridMeetsTheQualityTarget) {
  // Issue 5's target on this split (seed 2020): NDCG@10 >= 0.334 with the defaults, which
  // were chosen on the validation data (measured 0.3383; docs/benchmarks.md).
  EXPECT_GE(Metric(Run("hybrid", true), "ndcg@10"), 0.334);
}

TEST_F(MovieLensTest, RatingCrossValidation) {
  EXPECT_LT(Metric(Run("bias", false), "rmse"), 0.96);
  EXPECT_LT(Metric(Run("mf", false), "rmse"), 0.93);
}

}  // namespace
}  // namespace aidmp::recommend
