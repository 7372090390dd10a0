// Training from a data directory's events and serving from the model: what a shop sees.
#include "recserve/recommendation_service.h"

#include <gtest/gtest.h>

#include "audience/segments.h"
#include "collect/tests/engine_fixture.h"
#include "profile/person_document.h"
#include "recserve/item_catalogue.h"
#include "recserve/training_data.h"

namespace aidmp::recserve {
namespace {

std::string View(std::string_view user, std::string_view item, std::string_view category) {
  return StrCat(R"({"type":"track","userId":")", user, R"(","event":"Product Viewed","properties":{"product_id":")",
                item, R"(","category":")", category, R"(","price":5}})");
}

class RecommendationTest : public collect::EngineTest {
 protected:
  void TearDown() override {
    service_.reset();
    engine_.reset();  // before the clock it reads
  }
  void SetUp() override {
    collect::EngineOptions options;
    options.clock = &clock_;
    Open(options);
    // Books: b1 b2 b3; games: g1 g2 g3. Readers read together, gamers play together.
    Send({View("ann", "b1", "books"), View("ann", "b2", "books"),
          R"({"type":"track","userId":"ann","event":"Order Completed","properties":{"products":[{"product_id":"b3","category":"books","name":"Dune"}]}})",
          View("bea", "b1", "books"), View("bea", "b2", "books"), View("bea", "b3", "books"),
          View("cid", "g1", "games"), View("cid", "g2", "games"),
          View("dan", "g1", "games"), View("dan", "g2", "games"), View("dan", "g3", "games"),
          View("eve", "b1", "books"), View("eve", "b2", "books"),
          R"({"type":"track","userId":"fay","event":"Product Viewed","properties":{"product_id":"g3","category":"games"},"context":{"consent":{"categoryPreferences":{"personalization":false}}}})",
          R"({"type":"track","userId":"bot","event":"Product Viewed","properties":{"product_id":"b9","category":"books"},"context":{"userAgent":"Googlebot/2.1"}})"});
    service_ = std::make_unique<RecommendationService>(engine_->store(), dir_.path(), &engine_->profile_model().config(),
                                                       engine_->memberships(), &clock_);
  }

  void Send(const std::vector<std::string>& messages) {
    std::string body = "{\"batch\":[";
    for (size_t i = 0; i < messages.size(); ++i) StrAppend(&body, i ? "," : "", messages[i]);
    body += "]}";
    auto result = engine_->collector()->Handle("batch", Basic("key"), body);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->stored, messages.size());
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  }

  uint64_t Person(std::string_view user_id) {
    auto person = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, std::string(user_id)});
    EXPECT_TRUE(person.ok()) << user_id << ": " << person.status();
    return person.ok() ? person->id : 0;
  }

  uint64_t Train(std::string algo = "itemknn") {
    TrainOptions options;
    options.algo = std::move(algo);
    auto version = service_->Train(options);
    EXPECT_TRUE(version.ok()) << version.status();
    return version.ok() ? *version : 0;
  }

  std::vector<std::string> Ids(const RecommendResult& result) {
    std::vector<std::string> ids;
    for (const auto& entry : result.items) ids.push_back(result.model->items[entry.item].id);
    return ids;
  }

  FakeClock clock_{1'800'000'000'000'000};
  std::unique_ptr<RecommendationService> service_;
};

TEST_F(RecommendationTest, ReadsItemsFromEventsLeavingOutBotsAndRefusers) {
  auto data = ReadTrainingData(engine_->store(), InteractionOptions());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->persons.size(), 5u);  // not fay (no consent), not the bot (only bot events)
  EXPECT_EQ(data->persons_without_consent, 1u);
  EXPECT_EQ(data->dataset.interactions.size(), 13u);
  std::map<std::string, const CatalogueItem*> items;
  for (const auto& item : data->items) items[item.id] = &item;
  ASSERT_TRUE(items.count("b3"));
  EXPECT_EQ(items["b3"]->title, "Dune");
  EXPECT_EQ(items["b3"]->categories, std::vector<std::string>{"books"});
  EXPECT_FALSE(items.count("b9"));
  // Ann's purchase of b3 weighs more than a view.
  int32_t ann = -1;
  for (size_t u = 0; u < data->persons.size(); ++u) {
    if (data->persons[u] == Person("ann")) ann = static_cast<int32_t>(u);
  }
  ASSERT_GE(ann, 0);
  for (const auto& row : data->dataset.interactions) {
    if (row.user == ann && data->items[row.item].id == "b3") {
      EXPECT_EQ(row.rating, 4);
    }
    if (row.user == ann && data->items[row.item].id == "b1") {
      EXPECT_EQ(row.rating, 1);
    }
  }
}

TEST_F(RecommendationTest, RecommendsWhatSimilarPeopleDidAndExplainsIt) {
  EXPECT_TRUE(absl::IsFailedPrecondition(service_->Recommend(Person("eve"), {}).status()));
  ASSERT_EQ(Train(), 1u);
  RecommendRequest request;
  request.k = 3;
  request.explain = true;
  auto result = service_->Recommend(Person("eve"), request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->personalized);
  ASSERT_EQ(result->items.size(), 3u);
  // Eve saw b1 and b2; the readers went on to b3. Seen items never come back.
  EXPECT_EQ(Ids(*result)[0], "b3");
  EXPECT_EQ(result->items[0].source, "model");
  for (const auto& id : Ids(*result)) EXPECT_TRUE(id != "b1" && id != "b2") << id;
  bool because_b1 = false;
  for (const auto& reason : result->items[0].reasons) because_b1 |= reason.kind == "interacted" && reason.what == "b1";
  EXPECT_TRUE(because_b1);

  request.category = "GAMES";
  result = service_->Recommend(Person("eve"), request);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->items.size(), 3u);
  for (const auto& entry : result->items) EXPECT_EQ(result->model->items[entry.item].categories[0], "games");

  request = {};
  request.exclude_seen = false;
  request.k = 6;
  result = service_->Recommend(Person("eve"), request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->items.size(), 6u);
}

TEST_F(RecommendationTest, ARefusalOfPersonalisationGetsThePopularList) {
  Train();
  RecommendRequest request;
  request.k = 2;
  auto fay = service_->Recommend(Person("fay"), request);
  ASSERT_TRUE(fay.ok()) << fay.status();
  EXPECT_FALSE(fay->personalized);
  EXPECT_NE(fay->note.find("refused personalisation"), std::string::npos);
  auto popular = service_->Popular(request);
  ASSERT_TRUE(popular.ok());
  EXPECT_EQ(Ids(*fay), Ids(*popular));
  EXPECT_EQ(Ids(*popular), (std::vector<std::string>{"b1", "b2"}));  // 3 persons each
  for (const auto& entry : fay->items) EXPECT_EQ(entry.source, "popular");
}

TEST_F(RecommendationTest, SomeoneNewGetsItemsSimilarToWhatTheyJustDid) {
  Train();
  Send({View("gus", "g1", "games")});  // after training
  RecommendRequest request;
  request.k = 2;
  auto gus = service_->Recommend(Person("gus"), request);
  ASSERT_TRUE(gus.ok()) << gus.status();
  EXPECT_TRUE(gus->personalized);
  ASSERT_EQ(gus->items.size(), 2u);
  EXPECT_EQ(Ids(*gus)[0], "g2");  // with g1 for both gamers
  EXPECT_EQ(gus->items[0].source, "similar-items");
  for (const auto& id : Ids(*gus)) EXPECT_NE(id, "g1");
  EXPECT_TRUE(absl::IsNotFound(service_->Recommend(987654321, request).status()));
  request.k = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(service_->Recommend(Person("gus"), request).status()));
}

TEST_F(RecommendationTest, SimilarItemsAndCategoryNeighboursForNewItems) {
  ASSERT_TRUE(PutItems(engine_->store(), {{"g4", "Brand new game", {"games"}, 30}}).ok());
  Train();
  RecommendRequest request;
  request.k = 2;
  auto similar = service_->Similar("g1", request);
  ASSERT_TRUE(similar.ok()) << similar.status();
  EXPECT_EQ(Ids(*similar)[0], "g2");
  // Nobody touched g4: it has no neighbours, but shares its category with the games.
  auto fresh = service_->Similar("g4", request);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_EQ(fresh->items.size(), 2u);
  EXPECT_EQ(fresh->items[0].source, "categories");
  EXPECT_TRUE(absl::IsNotFound(service_->Similar("nope", request).status()));
}

TEST_F(RecommendationTest, SegmentFilterKeepsItemsItsMembersUsed) {
  audience::SegmentCatalog catalog(engine_->store());
  ASSERT_TRUE(catalog.Save("gamers", R"(interest("games") > 0)", engine_->profile_model(), clock_.NowMicros()).ok());
  ASSERT_TRUE(engine_->memberships()->Refresh("gamers", clock_.NowMicros()).ok());
  Train();
  RecommendRequest request;
  request.k = 3;
  request.segment = "gamers";
  auto ann = service_->Recommend(Person("ann"), request);
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_EQ(Ids(*ann), (std::vector<std::string>{"g1", "g2", "g3"}));
  request.segment = "nobody";
  EXPECT_TRUE(absl::IsInvalidArgument(service_->Recommend(Person("ann"), request).status()));
}

TEST_F(RecommendationTest, AnErasedPersonLeavesTheNextModel) {
  Train();
  const uint64_t bea = Person("bea");
  ASSERT_GE(service_->model()->FindUser(bea), 0);
  ASSERT_TRUE(engine_->ErasePerson(bea).ok());
  ASSERT_EQ(Train(), 2u);
  auto model = service_->model();
  EXPECT_EQ(model->version, 2u);
  EXPECT_EQ(model->FindUser(bea), -1);
  EXPECT_EQ(model->persons.size(), 4u);
  EXPECT_EQ(model->popularity[model->FindItem("b3")], 1u);  // only ann now
}

TEST_F(RecommendationTest, AnotherActiveVersionIsPickedUpWithoutRestart) {
  Train("itemknn");
  Train("ease");
  EXPECT_EQ(service_->model()->algo, "ease");
  // Another process (or an admin) activates version 1; the service notices within a second.
  RecommendationService other(engine_->store(), dir_.path(), nullptr, nullptr, &clock_);
  ASSERT_TRUE(other.models().Activate(1).ok());
  EXPECT_EQ(service_->model()->version, 2u);
  clock_.Advance(2 * kMicrosPerSecond);
  EXPECT_EQ(service_->model()->version, 1u);
  EXPECT_EQ(service_->model()->algo, "itemknn");
}

}  // namespace
}  // namespace aidmp::recserve
