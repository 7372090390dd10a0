// Counts over everyone split into slices counted on several threads, against one slice
// and against the CRoaring evaluator, on an index spanning several chunks of 65,536
// slots (with holes where people left).
#include "audience/bitmap_plan.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/strings.h"

namespace aidmp::audience {
namespace {

class BitmapPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(5);
    const char* kCountries[] = {"US", "US", "US", "DE", "FR", "CN", "BR", "GB"};
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      index_.AddSlot(slot);
      index_.Set(slot, PathField({"traits", "country"}), FieldValue::String(kCountries[rng() % 8]));
      if (rng() % 10 != 0) index_.Set(slot, PathField({"traits", "age"}), FieldValue::Number(16 + rng() % 65));
      if (rng() % 2 == 0) index_.Set(slot, PathField({"traits", "ltv"}), FieldValue::Number((rng() % 100000) / 100.0));
      index_.Set(slot, PathField({"traits", "vip"}), FieldValue::Bool(rng() % 20 == 0));
      if (rng() % 4 == 0) index_.Set(slot, InterestField("books"), FieldValue::Number((1 + rng() % 1000) / 1000.0));
      if (rng() % 5 != 0) index_.Set(slot, EventCountField("page"), FieldValue::Number(rng() % 40));
    }
    // People who left, a whole chunk of them among them.
    for (uint32_t slot = 70000; slot < 140000; ++slot) index_.RemoveSlot(slot);
    for (uint32_t slot = 0; slot < kSlots; slot += 7) index_.RemoveSlot(slot);
    index_.Optimize();
  }

  static constexpr uint32_t kSlots = 420000;  // 6.4 chunks
  BitmapIndex index_;
  ResidualCheck check_ = [](uint32_t, const Node& node) -> absl::StatusOr<bool> {
    return absl::InternalError(StrCat("a person-by-person check of ", NodeToString(node)));
  };
};

TEST_F(BitmapPlanTest, SlicedCountsEqualOneSliceAndRoaring) {
  std::vector<std::string> texts = {
      R"(traits.country = "US")",
      R"(traits.country in ["DE", "FR"] and traits.vip = false)",
      R"(traits.age >= 25 and traits.age < 35)",
      R"(traits.ltv > 500.5 and traits.ltv <= 700.25 or interest("books") >= 0.5)",
      R"(not did("page", count >= 10) and traits.country != "CN")",
      R"((interest("books") > 0.1 and interest("books") < 0.4) or traits.age = 40)",
      R"(traits.age exists and not traits.ltv exists)",
      R"(not traits.country in ["US", "DE"] and traits.age < 30)",
      R"(not (traits.country = "FR" or traits.vip = true or traits.age > 60))",
      R"(not not traits.vip = true or not (interest("books") >= 0.5 or not traits.country in ["CN"]))",
  };
  std::mt19937 rng(9);
  const char* kLeaves[] = {R"(traits.country = "BR")", R"(traits.age > 50)", R"(traits.ltv < 100)", R"(traits.vip = true)",
                           R"(interest("books") >= 0.25)", R"(did("page", count < 5))", R"(traits.age <= 30)"};
  for (int i = 0; i < 40; ++i) {
    std::string text = kLeaves[rng() % 7];
    for (int clause = 0; clause < 3; ++clause) {
      text = StrCat("(", text, rng() % 2 == 0 ? " and " : " or ", rng() % 4 == 0 ? "not " : "", kLeaves[rng() % 7], ")");
    }
    texts.push_back(text);
  }
  for (const std::string& text : texts) {
    auto expression = ParseExpression(text);
    ASSERT_TRUE(expression.ok()) << text << ": " << expression.status();
    const Node& node = *expression->root;
    auto roaring = EvaluateOnBitmaps(node, index_, check_, nullptr, nullptr, &index_.all());
    ASSERT_TRUE(roaring.ok()) << text << ": " << roaring.status();
    auto dense = EvaluateOnBitmaps(node, index_, check_, nullptr);
    ASSERT_TRUE(dense.ok()) << text << ": " << dense.status();
    ASSERT_EQ(*dense, *roaring) << text;
    for (int threads : {1, 2, 3, 7, 0}) {
      auto count = CountOnBitmaps(node, index_, check_, nullptr, nullptr, nullptr, threads);
      ASSERT_TRUE(count.ok()) << text << ": " << count.status();
      ASSERT_EQ(*count, roaring->cardinality()) << text << " in " << threads << " slices";
    }
  }
}

}  // namespace
}  // namespace aidmp::audience
