// Undoing a merge: a login on a friend's tablet joined two people; the unmerge splits
// them again, re-attributes the events, recomputes both profiles, keeps them apart from
// then on, and a rebuild from the log honours it.
#include <gtest/gtest.h>

#include "collect/tests/engine_fixture.h"
#include "profile/person_document.h"
#include "profile/person_processor.h"

namespace aidmp::collect {
namespace {

class UnmergeTest : public EngineTest {
 protected:
  void Send(std::string_view body) {
    SendBatch(body);
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  }
  identity::PersonRecord Person(identity::IdType type, const std::string& value) {
    auto person = profile::FindPerson(engine_->store(), {type, value});
    EXPECT_TRUE(person.ok()) << person.status();
    return person.ok() ? *person : identity::PersonRecord();
  }
  profile::Profile ProfileOf(identity::IdType type, const std::string& value) {
    auto profile = profile::ReadProfile(engine_->store(), Person(type, value).id);
    EXPECT_TRUE(profile.ok());
    return profile.ok() ? *profile : profile::Profile();
  }
};

TEST_F(UnmergeTest, SplitsReattributesAndStaysSplit) {
  Send(R"({"batch":[
      {"type":"page","anonymousId":"laptop","properties":{"category":"books"},"timestamp":"2024-05-01T10:00:00Z"},
      {"type":"identify","userId":"ann","anonymousId":"laptop","traits":{"plan":"pro"},"timestamp":"2024-05-01T10:01:00Z"},
      {"type":"track","anonymousId":"tablet","event":"Product Viewed","properties":{"category":"games"},"timestamp":"2024-05-02T09:00:00Z"},
      {"type":"track","anonymousId":"tablet","event":"Product Viewed","properties":{"category":"games"},"timestamp":"2024-05-02T09:05:00Z"},
      {"type":"track","userId":"ann","anonymousId":"tablet","event":"Signed In","timestamp":"2024-05-03T20:00:00Z"}]})");
  identity::PersonRecord joined = Person(identity::IdType::kUserId, "ann");
  ASSERT_EQ(joined.identifiers.size(), 3u);
  EXPECT_EQ(ProfileOf(identity::IdType::kUserId, "ann").events, 5u);
  EXPECT_TRUE(ProfileOf(identity::IdType::kUserId, "ann").interests.count("games"));
  uint64_t merge_id = 0;
  for (uint64_t id : joined.merges) {
    auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), id);
    ASSERT_TRUE(merge.ok());
    if (!merge->blocked) merge_id = id;  // the tablet joining Ann
  }
  ASSERT_NE(merge_id, 0u);

  auto report = engine_->Unmerge(merge_id);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->events, 5u);
  EXPECT_EQ(report->persons.size(), 2u);
  identity::PersonRecord ann = Person(identity::IdType::kUserId, "ann");
  identity::PersonRecord tablet = Person(identity::IdType::kAnonymousId, "tablet");
  EXPECT_NE(ann.id, tablet.id);
  EXPECT_EQ(Person(identity::IdType::kAnonymousId, "laptop").id, ann.id);
  // Ann keeps her laptop events and her sign-in; the tablet owner's views are theirs.
  profile::Profile ann_profile = ProfileOf(identity::IdType::kUserId, "ann");
  EXPECT_EQ(ann_profile.events, 3u);
  EXPECT_FALSE(ann_profile.interests.count("games"));
  EXPECT_EQ(ann_profile.traits.at("plan").json, "\"pro\"");
  EXPECT_EQ(ProfileOf(identity::IdType::kAnonymousId, "tablet").events, 2u);
  // The old person number leads to Ann now; the merge is marked undone.
  EXPECT_EQ(identity::IdentityGraph::ReadPerson(engine_->store(), joined.id)->id, ann.id);
  auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), merge_id);
  EXPECT_NE(merge->undone_us, 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(engine_->Unmerge(merge_id).status()));
  EXPECT_TRUE(absl::IsNotFound(engine_->Unmerge(999).status()));

  // They stay apart: Ann signing in on the tablet again is a refused merge now.
  Send(R"({"batch":[
      {"type":"track","userId":"ann","anonymousId":"tablet","event":"Signed In","timestamp":"2024-05-04T20:00:00Z"},
      {"type":"track","anonymousId":"tablet","event":"Product Viewed","properties":{"category":"games"},"timestamp":"2024-05-04T21:00:00Z"}]})");
  EXPECT_NE(Person(identity::IdType::kUserId, "ann").id, Person(identity::IdType::kAnonymousId, "tablet").id);
  EXPECT_EQ(ProfileOf(identity::IdType::kAnonymousId, "tablet").events, 3u);

  // A rebuild from the log gives the same persons and profiles.
  auto encode_without_id = [](profile::Profile profile) {
    profile.person = 0;
    return profile.Encode();
  };
  std::string ann_streamed = encode_without_id(ProfileOf(identity::IdType::kUserId, "ann"));
  std::string tablet_streamed = encode_without_id(ProfileOf(identity::IdType::kAnonymousId, "tablet"));
  ASSERT_TRUE(engine_->RebuildPersons([](uint64_t, uint64_t) {}).ok());
  EXPECT_EQ(encode_without_id(ProfileOf(identity::IdType::kUserId, "ann")), ann_streamed);
  EXPECT_EQ(encode_without_id(ProfileOf(identity::IdType::kAnonymousId, "tablet")), tablet_streamed);
}

}  // namespace
}  // namespace aidmp::collect
