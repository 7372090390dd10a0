// Erasure end to end through the engine: the person leaves every family and every file
// on disk, their neighbours stay, and their identifiers are suppressed from then on,
// across restarts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "collect/tests/engine_fixture.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "common/key_coding.h"
#include "profile/person_document.h"
#include "profile/person_processor.h"

namespace aidmp::collect {
namespace {

class ErasureTest : public EngineTest {
 protected:
  IngestSummary Send(std::string_view body) { return SendBatch(body); }

  // Every key and value of every family that contains `needle`.
  std::vector<std::string> LogicalHits(const std::string& needle) {
    std::vector<std::string> hits;
    for (int family = 0; family < storage::kFamilyCount; ++family) {
      auto it = engine_->store()->NewIterator(static_cast<storage::Family>(family));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().find(needle) != std::string_view::npos || it->value().find(needle) != std::string_view::npos) {
          hits.push_back(StrCat(storage::FamilyName(static_cast<storage::Family>(family)), ": ", it->value().substr(0, 200)));
        }
      }
    }
    return hits;
  }

  // Files under the data directory whose bytes contain `needle`.
  std::vector<std::string> FileHits(const std::string& needle) {
    std::vector<std::string> hits;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      if (bytes.str().find(needle) != std::string::npos) hits.push_back(entry.path().filename().string());
    }
    return hits;
  }

  // The stored records of `person` and of everyone merged into them.
  std::vector<identity::PersonRecord> MemberRecords(const identity::PersonRecord& person) {
    std::vector<uint64_t> members = person.absorbed;
    members.push_back(person.id);
    std::vector<identity::PersonRecord> records;
    for (uint64_t member : members) {
      std::string value;
      EXPECT_TRUE(engine_->store()->Get(storage::Family::kIdentity, storage::PersonKey(member), &value).ok())
          << "person " << member;
      identity::PersonRecord record;
      EXPECT_TRUE(identity::IdentityGraph::DecodePerson(value, &record).ok()) << "person " << member;
      records.push_back(std::move(record));
    }
    return records;
  }
};

TEST_F(ErasureTest, LeavesNoTraceAndSuppressesReingest) {
  const std::string email = "ann.secret@example.org";
  ASSERT_EQ(Send(R"({"batch":[
      {"type":"page","anonymousId":"anon-ann-55","name":"Home","context":{"device":{"id":"dev-ann-33"}}},
      {"type":"identify","userId":"ann-7781","anonymousId":"anon-ann-55","traits":{"email":"ann.secret@example.org","city":"Oslo"}},
      {"type":"track","userId":"ann-7781","event":"Order Completed","properties":{"revenue":12,"category":"books"}},
      {"type":"track","userId":"ann-7781","event":"Broken","properties":"not an object"},
      {"type":"track","userId":"bob-1","event":"Order Completed","properties":{"revenue":5}},
      {"type":"track","userId":"bob-1","anonymousId":"anon-bob","event":"Viewed"}]})")
                .stored,
            5u);
  ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  auto ann = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "ann-7781"});
  ASSERT_TRUE(ann.ok()) << ann.status();
  const std::vector<std::string> needles = {"ann-7781", "anon-ann-55", "dev-ann-33", "ann.secret", HashEmail(email)};
  // The test can see them (the plain email never was stored: ingest hashes it).
  for (const auto& needle : needles) {
    if (needle != "ann.secret") {
      ASSERT_FALSE(LogicalHits(needle).empty()) << needle;
    }
  }

  auto report = engine_->ErasePerson(ann->id);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->events, 3u);
  EXPECT_EQ(report->identifiers, 4u);  // userId, anonymousId, deviceId, emailHash
  EXPECT_EQ(report->quarantine_records, 1u);

  for (const auto& needle : needles) {
    EXPECT_EQ(LogicalHits(needle), std::vector<std::string>()) << needle;
    EXPECT_EQ(FileHits(needle), std::vector<std::string>()) << needle;
  }
  for (const auto& id : ann->identifiers) {
    EXPECT_TRUE(absl::IsNotFound(profile::FindPerson(engine_->store(), id).status()));
  }
  EXPECT_TRUE(absl::IsNotFound(engine_->ErasePerson(ann->id).status()));
  // Bob is untouched.
  auto bob = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "bob-1"});
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(profile::ReadProfile(engine_->store(), bob->id)->events, 2u);
  index::EventFilter by_bob;
  by_bob.user_id = "bob-1";
  EXPECT_EQ(Stored(by_bob).size(), 2u);
  EXPECT_EQ(Stored().size(), 2u);

  // The erasure log names no one.
  auto log = privacy::ListErasures(engine_->store(), 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_NE((*log)[0].find(StrCat("\"person\":", ann->id)), std::string::npos) << (*log)[0];

  // Any of Ann's identifiers brings nothing back: stored, quarantined or otherwise.
  IngestSummary again = Send(R"({"batch":[
      {"type":"track","userId":"ann-7781","event":"Back"},
      {"type":"track","anonymousId":"someone-new","event":"Hi","context":{"device":{"id":"dev-ann-33"}}},
      {"type":"identify","userId":"new-user","traits":{"email":"ANN.SECRET@example.org"}},
      {"type":"track","userId":"ann-7781","event":"Broken","properties":"not an object"},
      {"type":"track","userId":"carl","event":"Hello"}]})");
  EXPECT_EQ(again.stored, 1u);
  EXPECT_EQ(again.suppressed, 4u);
  EXPECT_EQ(again.quarantined, 0u);
  EXPECT_EQ(engine_->Stats().suppressed, 4u);
  EXPECT_EQ(engine_->Stats().erasures, 1u);

  // Across a restart too.
  Open(EngineOptions());
  EXPECT_EQ(Send(R"({"batch":[{"type":"track","userId":"ann-7781","event":"Back again"}]})").suppressed, 1u);
  for (const auto& needle : needles) EXPECT_EQ(LogicalHits(needle), std::vector<std::string>()) << needle;
}

// A family tablet: mum signs in on it, then the kid does. Two userIds on one device id,
// so the merge is refused (the kid's person the winner, mum's the loser) and both
// persons list it. Erasing either takes the refused merge, whose evidence names both,
// out of the store and out of the list of the one who stays.
class RefusedMergeErasureTest : public ErasureTest {
 protected:
  // With `kid_phone`, the kid's phone was seen before the tablet and joins the kid after
  // it: the kid's person the tablet made is then merged into the phone's, older one, and
  // the refused merge is listed by a person merged away.
  void SetUpFamily(bool kid_phone) {
    if (kid_phone) {
      ASSERT_EQ(Send(R"({"batch":[{"type":"page","anonymousId":"kid-phone-3","name":"Home"}]})").stored, 1u);
      ASSERT_TRUE(engine_->CatchUpProcessors().ok());
    }
    ASSERT_EQ(Send(R"({"batch":[
        {"type":"identify","userId":"mum-5521","traits":{"email":"mum.private@example.org"},"context":{"device":{"id":"tablet-9"}}},
        {"type":"track","userId":"kid-7734","event":"Game Played","context":{"device":{"id":"tablet-9"}}},
        {"type":"track","userId":"kid-7734","anonymousId":"kid-phone-3","event":"Signed In"}]})")
                  .stored,
              3u);
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
    auto mum = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "mum-5521"});
    auto kid = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "kid-7734"});
    ASSERT_TRUE(mum.ok() && kid.ok());
    ASSERT_NE(mum->id, kid->id);
    mum_ = mum->id;
    kid_ = kid->id;
    ASSERT_EQ(mum->merges.size(), 1u);
    refused_ = mum->merges[0];
    auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), refused_);
    ASSERT_TRUE(merge.ok());
    ASSERT_TRUE(merge->blocked);
    ASSERT_EQ(merge->loser, mum_);
    ASSERT_EQ(merge->winner == kid_, !kid_phone);
  }

  // `userid`'s person is readable every way a caller reads it, and neither they nor
  // anyone merged into them names the refused merge.
  void ExpectIntact(const std::string& userid) {
    auto person = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, userid});
    ASSERT_TRUE(person.ok()) << person.status();
    for (const identity::PersonRecord& record : MemberRecords(*person)) {
      EXPECT_EQ(std::count(record.merges.begin(), record.merges.end(), refused_), 0) << "person " << record.id;
    }
    const std::string listed = StrCat("{\"id\":", refused_, ",");
    JsonWriter now;
    profile::DocumentOptions options;
    absl::Status status =
        profile::WritePersonDocument(engine_->store(), engine_->profile_model(), *person, nullptr, options, &now);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(now.str().find(listed), std::string::npos) << now.str();
    JsonWriter as_of;
    status = profile::WritePersonDocumentAsOf(engine_->store(), engine_->profile_model(), person->id,
                                              kYear2100Us, options, &as_of);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(as_of.str().find(listed), std::string::npos) << as_of.str();
  }

  void EraseAndCheck(const std::string& erased, const std::string& stays, const std::vector<std::string>& needles) {
    auto person = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, erased});
    ASSERT_TRUE(person.ok());
    auto report = engine_->ErasePerson(person->id);
    ASSERT_TRUE(report.ok()) << report.status();
    for (const auto& needle : needles) {
      EXPECT_EQ(LogicalHits(needle), std::vector<std::string>()) << needle;
      EXPECT_EQ(FileHits(needle), std::vector<std::string>()) << needle;
    }
    EXPECT_TRUE(absl::IsNotFound(identity::IdentityGraph::ReadMerge(engine_->store(), refused_).status()));
    EXPECT_TRUE(absl::IsNotFound(engine_->Unmerge(refused_).status()));
    ExpectIntact(stays);
    EXPECT_FALSE(LogicalHits(stays).empty());
    // Their next event rewrites their record from the identity graph's cache, which must
    // not bring the merge back.
    ASSERT_EQ(Send(StrCat(R"({"batch":[{"type":"track","userId":")", stays, R"(","event":"Later"}]})")).stored, 1u);
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
    ExpectIntact(stays);
  }

  static constexpr int64_t kYear2100Us = 4102444800LL * 1000000;
  uint64_t mum_ = 0, kid_ = 0, refused_ = 0;
};

TEST_F(RefusedMergeErasureTest, ErasingTheLoserKeepsTheWinnerReadable) {
  SetUpFamily(/*kid_phone=*/false);
  // The tablet's device id was mum's: it goes from the identity graph with her, but the
  // kid's own event carried it too and stays.
  EraseAndCheck("mum-5521", "kid-7734", {"mum-5521", "mum.private", HashEmail("mum.private@example.org")});
  EXPECT_TRUE(absl::IsNotFound(profile::FindPerson(engine_->store(), {identity::IdType::kDeviceId, "tablet-9"}).status()));
}

TEST_F(RefusedMergeErasureTest, ErasingTheWinnerKeepsTheLoserReadable) {
  SetUpFamily(/*kid_phone=*/false);
  EraseAndCheck("kid-7734", "mum-5521", {"kid-7734", "kid-phone-3"});
}

TEST_F(RefusedMergeErasureTest, ErasingThePersonTheWinnerWasMergedInto) {
  SetUpFamily(/*kid_phone=*/true);
  EraseAndCheck("kid-7734", "mum-5521", {"kid-7734", "kid-phone-3"});
}

TEST_F(RefusedMergeErasureTest, ErasingTheLoserMendsAWinnerMergedAway) {
  SetUpFamily(/*kid_phone=*/true);
  EraseAndCheck("mum-5521", "kid-7734", {"mum-5521", "mum.private", HashEmail("mum.private@example.org")});
}

// An unmerge leaves the merge it undid (and the merges of the persons it re-created)
// stored but listed by no one: the persons after the split are new ones with their own
// records. Their evidence still names the identifiers of the events that caused them,
// so an erasure must find them without a merge list. Likewise a new identifier refused
// because its person held the most of its type: the refusal is listed only by that
// person, and names the identifier that someone else may own later.
class UnlistedMergeErasureTest : public ErasureTest {
 protected:
  // Merge records in the store whose evidence holds one of `ids`.
  std::vector<uint64_t> MergesNaming(const std::vector<identity::Identifier>& ids) {
    std::vector<uint64_t> found;
    const std::string prefix(1, storage::kIdentityMerge);
    auto it = engine_->store()->NewIterator(storage::Family::kIdentity);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, 1) == prefix; it->Next()) {
      identity::MergeRecord merge;
      EXPECT_TRUE(identity::IdentityGraph::DecodeMerge(it->value(), &merge).ok());
      for (const auto& id : merge.evidence) {
        if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
          found.push_back(merge.id);
          break;
        }
      }
    }
    EXPECT_TRUE(it->status().ok());
    return found;
  }

  // Merge records whose stored bytes contain `needle` (evidence, reason).
  std::vector<uint64_t> MergeHits(const std::string& needle) {
    std::vector<uint64_t> found;
    const std::string prefix(1, storage::kIdentityMerge);
    auto it = engine_->store()->NewIterator(storage::Family::kIdentity);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, 1) == prefix; it->Next()) {
      if (it->value().find(needle) != std::string_view::npos) found.push_back(DecodeFixed64BE(it->key().data() + 1));
    }
    return found;
  }

  // The person owning `id` is readable every way a caller reads them: by identifier,
  // their profile document now and as of `as_of_us` (an arrival time), and every merge they or anyone
  // merged into them lists. Returns how many merges they list in all.
  size_t ExpectReadable(const identity::Identifier& id, int64_t as_of_us) {
    auto person = profile::FindPerson(engine_->store(), id);
    EXPECT_TRUE(person.ok()) << id.value << ": " << person.status();
    if (!person.ok()) return 0;
    size_t listed = 0;
    for (const identity::PersonRecord& record : MemberRecords(*person)) {
      for (uint64_t merge : record.merges) {
        EXPECT_TRUE(identity::IdentityGraph::ReadMerge(engine_->store(), merge).ok()) << "merge " << merge;
        ++listed;
      }
    }
    profile::DocumentOptions options;
    JsonWriter now;
    absl::Status status =
        profile::WritePersonDocument(engine_->store(), engine_->profile_model(), *person, nullptr, options, &now);
    EXPECT_TRUE(status.ok()) << status;
    for (int64_t at : {as_of_us, kYear2100Us}) {
      JsonWriter as_of;
      status = profile::WritePersonDocumentAsOf(engine_->store(), engine_->profile_model(), person->id, at, options,
                                                &as_of);
      EXPECT_TRUE(status.ok()) << status;
    }
    return listed;
  }

  // The laptop and phone are Ann's; the tablet joins a kid's second anonymous id (a real
  // merge on the tablet's side), then Ann signs in on the tablet: the merge `undone_`,
  // which the test unmerges.
  void SetUpUnmerged() {
    ASSERT_EQ(Send(R"({"batch":[
        {"type":"page","anonymousId":"laptop-anon-2","name":"Home","context":{"device":{"id":"ann-phone-61"}},"timestamp":"2024-05-01T10:00:00Z"},
        {"type":"identify","userId":"ann-4471","anonymousId":"laptop-anon-2","traits":{"email":"ann.hidden@example.org"},"timestamp":"2024-05-01T10:01:00Z"},
        {"type":"track","anonymousId":"tablet-anon-4","event":"Product Viewed","timestamp":"2024-05-02T09:00:00Z"},
        {"type":"track","anonymousId":"kid-anon-8","event":"Game Played","context":{"device":{"id":"tab-dev-9"}},"timestamp":"2024-05-02T09:05:00Z"},
        {"type":"track","anonymousId":"tablet-anon-4","event":"Game Played","context":{"device":{"id":"tab-dev-9"}},"timestamp":"2024-05-02T09:10:00Z"},
        {"type":"track","userId":"ann-4471","anonymousId":"tablet-anon-4","event":"Signed In","timestamp":"2024-05-03T20:00:00Z"}]})")
                  .stored,
              6u);
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
    auto joined = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "ann-4471"});
    ASSERT_TRUE(joined.ok());
    for (uint64_t id : joined->merges) {
      auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), id);
      ASSERT_TRUE(merge.ok());
      for (const auto& evidence : merge->evidence) {
        if (evidence.value == "ann-4471") undone_ = id;
      }
    }
    ASSERT_NE(undone_, 0u);
    auto report = engine_->Unmerge(undone_);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->persons.size(), 2u);
    auto ann = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "ann-4471"});
    auto tablet = profile::FindPerson(engine_->store(), {identity::IdType::kAnonymousId, "tablet-anon-4"});
    ASSERT_TRUE(ann.ok() && tablet.ok());
    ASSERT_NE(ann->id, tablet->id);
    // The precondition of the bug: nobody lists the undone merge, yet it is stored.
    for (const auto& person : {*ann, *tablet}) {
      ASSERT_EQ(std::count(person.merges.begin(), person.merges.end(), undone_), 0);
    }
    ASSERT_TRUE(identity::IdentityGraph::ReadMerge(engine_->store(), undone_).ok());
  }

  // Erases the person owning `erased` and checks that nothing of theirs is left, in merge
  // records either; `needles` are in no event of the person who stays (owning `stays`).
  void EraseAndCheck(const identity::Identifier& erased, const identity::Identifier& stays,
                     const std::vector<std::string>& needles, const std::string& later_event) {
    auto person = profile::FindPerson(engine_->store(), erased);
    ASSERT_TRUE(person.ok());
    before_erasure_us_ = engine_->clock()->NowMicros();
    auto report = engine_->ErasePerson(person->id);
    ASSERT_TRUE(report.ok()) << report.status();
    for (const auto& needle : needles) {
      EXPECT_EQ(LogicalHits(needle), std::vector<std::string>()) << needle;
      EXPECT_EQ(FileHits(needle), std::vector<std::string>()) << needle;
    }
    EXPECT_EQ(MergesNaming(person->identifiers), std::vector<uint64_t>());
    for (const auto& id : person->identifiers) EXPECT_EQ(MergeHits(id.value), std::vector<uint64_t>()) << id.value;
    EXPECT_TRUE(absl::IsNotFound(identity::IdentityGraph::ReadMerge(engine_->store(), undone_).status()));
    // The erasure log names no one.
    auto log = privacy::ListErasures(engine_->store(), 10);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), 1u);
    for (const auto& id : person->identifiers) EXPECT_EQ((*log)[0].find(id.value), std::string::npos) << (*log)[0];

    ExpectReadable(stays, before_erasure_us_);
    // Their next event rewrites their record from the identity graph's cache.
    ASSERT_EQ(Send(later_event).stored, 1u);
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
    ExpectReadable(stays, before_erasure_us_);
    for (const auto& id : person->identifiers) {
      EXPECT_TRUE(absl::IsNotFound(profile::FindPerson(engine_->store(), id).status())) << id.value;
    }
  }

  static constexpr int64_t kYear2100Us = 4102444800LL * 1000000;
  int64_t before_erasure_us_ = 0;  // the as_of time checked: all but the later event arrived
  uint64_t undone_ = 0;
};

TEST_F(UnlistedMergeErasureTest, ErasingTheSignedInSideAfterAnUnmerge) {
  SetUpUnmerged();
  // Ann's events leave with her, the sign-in on the tablet among them.
  EraseAndCheck({identity::IdType::kUserId, "ann-4471"}, {identity::IdType::kAnonymousId, "tablet-anon-4"},
                {"ann-4471", "laptop-anon-2", "ann-phone-61", "ann.hidden", HashEmail("ann.hidden@example.org")},
                R"({"batch":[{"type":"track","anonymousId":"tablet-anon-4","event":"Later"}]})");
  // The tablet keeps the merge with the kid's id the replay made.
  EXPECT_GE(ExpectReadable({identity::IdType::kAnonymousId, "kid-anon-8"}, before_erasure_us_), 1u);
  EXPECT_EQ(profile::FindPerson(engine_->store(), {identity::IdType::kAnonymousId, "kid-anon-8"})->id,
            profile::FindPerson(engine_->store(), {identity::IdType::kAnonymousId, "tablet-anon-4"})->id);
}

TEST_F(UnlistedMergeErasureTest, ErasingTheTabletSideAfterAnUnmerge) {
  SetUpUnmerged();
  // Ann's sign-in on the tablet is her event and stays with her, tablet-anon-4 in it;
  // the tablet's own events, merges and identifiers go.
  EraseAndCheck({identity::IdType::kAnonymousId, "tablet-anon-4"}, {identity::IdType::kUserId, "ann-4471"},
                {"kid-anon-8", "tab-dev-9"},
                R"({"batch":[{"type":"track","userId":"ann-4471","event":"Later"}]})");
  EXPECT_EQ(profile::FindPerson(engine_->store(), {identity::IdType::kAnonymousId, "laptop-anon-2"})->id,
            profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "ann-4471"})->id);
}

// Pat holds three emails, the limit; a fourth is refused (a blocked merge listed by Pat
// alone, naming the email) and later becomes Quinn's. Erasing Quinn takes the refusal.
TEST_F(UnlistedMergeErasureTest, ErasingTheLaterOwnerOfAnIdentifierRefusedForTheLimit) {
  const std::string quinn_email = "quinn.own@example.org";
  ASSERT_EQ(Send(R"({"batch":[
      {"type":"identify","userId":"pat-1","traits":{"email":"pat.a@example.org"},"timestamp":"2024-05-01T10:00:00Z"},
      {"type":"identify","userId":"pat-1","traits":{"email":"pat.b@example.org"},"timestamp":"2024-05-01T10:01:00Z"},
      {"type":"identify","userId":"pat-1","traits":{"email":"pat.c@example.org"},"timestamp":"2024-05-01T10:02:00Z"},
      {"type":"identify","userId":"pat-1","traits":{"email":"quinn.own@example.org"},"timestamp":"2024-05-02T08:00:00Z"},
      {"type":"identify","userId":"quinn-2","traits":{"email":"quinn.own@example.org"},"context":{"device":{"id":"quinn-dev-5"}},"timestamp":"2024-05-03T10:00:00Z"}]})")
                .stored,
            5u);
  ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  auto pat = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "pat-1"});
  auto quinn = profile::FindPerson(engine_->store(), {identity::IdType::kEmailHash, HashEmail(quinn_email)});
  ASSERT_TRUE(pat.ok() && quinn.ok());
  ASSERT_NE(pat->id, quinn->id);
  ASSERT_EQ(pat->merges.size(), 1u);
  undone_ = pat->merges[0];  // the refusal, not an undone merge here
  auto refusal = identity::IdentityGraph::ReadMerge(engine_->store(), undone_);
  ASSERT_TRUE(refusal.ok());
  ASSERT_TRUE(refusal->blocked);
  ASSERT_EQ(refusal->loser, 0u);
  ASSERT_EQ(MergesNaming({{identity::IdType::kEmailHash, HashEmail(quinn_email)}}), std::vector<uint64_t>{undone_});
  // Pat's own event carried the email (hashed): it stays with Pat, so only Quinn's
  // identifiers of their own are needles.
  EraseAndCheck({identity::IdType::kUserId, "quinn-2"}, {identity::IdType::kUserId, "pat-1"}, {"quinn-2", "quinn-dev-5"},
                R"({"batch":[{"type":"track","userId":"pat-1","event":"Later"}]})");
  EXPECT_EQ(ExpectReadable({identity::IdType::kUserId, "pat-1"}, before_erasure_us_), 0u);
}

// The same refused email came with Zed's anonymous id, joining Zed to Yan: that merge
// is theirs and stays, but no longer names Quinn's email.
TEST_F(UnlistedMergeErasureTest, ErasingTheLaterOwnerKeepsAMergeThatNamedTheirIdentifier) {
  const std::string quinn_email = "quinn.own@example.org";
  ASSERT_EQ(Send(R"({"batch":[
      {"type":"identify","userId":"yan-3","traits":{"email":"yan.a@example.org"},"timestamp":"2024-05-01T10:00:00Z"},
      {"type":"identify","userId":"yan-3","traits":{"email":"yan.b@example.org"},"timestamp":"2024-05-01T10:01:00Z"},
      {"type":"identify","userId":"yan-3","traits":{"email":"yan.c@example.org"},"timestamp":"2024-05-01T10:02:00Z"},
      {"type":"page","anonymousId":"zed-anon-6","name":"Home","timestamp":"2024-05-01T11:00:00Z"},
      {"type":"identify","userId":"yan-3","anonymousId":"zed-anon-6","traits":{"email":"quinn.own@example.org"},"timestamp":"2024-05-02T08:00:00Z"},
      {"type":"identify","userId":"quinn-2","traits":{"email":"quinn.own@example.org"},"context":{"device":{"id":"quinn-dev-5"}},"timestamp":"2024-05-03T10:00:00Z"}]})")
                .stored,
            6u);
  ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  auto yan = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "yan-3"});
  ASSERT_TRUE(yan.ok());
  ASSERT_EQ(yan->merges.size(), 2u);
  uint64_t joined = 0;
  for (uint64_t id : yan->merges) {
    auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), id);
    ASSERT_TRUE(merge.ok());
    (merge->blocked ? undone_ : joined) = id;
  }
  ASSERT_NE(undone_, 0u);
  ASSERT_NE(joined, 0u);
  EraseAndCheck({identity::IdType::kUserId, "quinn-2"}, {identity::IdType::kUserId, "yan-3"}, {"quinn-2", "quinn-dev-5"},
                R"({"batch":[{"type":"track","userId":"yan-3","event":"Later"}]})");
  yan = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "yan-3"});
  ASSERT_TRUE(yan.ok());
  EXPECT_EQ(yan->merges, std::vector<uint64_t>{joined});
  auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), joined);
  ASSERT_TRUE(merge.ok());
  EXPECT_FALSE(merge->blocked);
  EXPECT_EQ(merge->evidence.size(), 2u);  // yan-3 and zed-anon-6
  EXPECT_EQ(ExpectReadable({identity::IdType::kAnonymousId, "zed-anon-6"}, before_erasure_us_), 2u);  // Yan and Zed list it
  // And it can still be undone.
  ASSERT_TRUE(engine_->Unmerge(joined).ok());
  EXPECT_NE(profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "yan-3"})->id,
            profile::FindPerson(engine_->store(), {identity::IdType::kAnonymousId, "zed-anon-6"})->id);
}

// While events stream in on other threads and the processors run in the background,
// an erasure still leaves nothing of the person behind.
TEST_F(ErasureTest, WhileServing) {
  EngineOptions options;
  engine_.reset();
  options.write_keys = {{"key", "web"}};
  auto engine = Engine::Open(dir_.path() + "/live", std::move(options));
  ASSERT_TRUE(engine.ok());
  engine_ = std::move(*engine);
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int sender = 0; sender < 3; ++sender) {
    senders.emplace_back([&, sender] {
      for (int idx = 0; !stop.load(); ++idx) {
        std::string who = idx % 2 ? "dora-42" : StrCat("other-", sender, "-", idx % 50);
        (void)engine_->collector()->Handle(
            "track", Basic("key"), StrCat(R"({"userId":")", who, R"(","event":"E","properties":{"n":)", idx, "}}"));
      }
    });
  }
  absl::StatusOr<identity::PersonRecord> dora = absl::NotFoundError("");
  while (!dora.ok()) dora = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "dora-42"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto report = engine_->ErasePerson(dora->id);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->events, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& sender : senders) sender.join();
  ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  EXPECT_EQ(LogicalHits("dora-42"), std::vector<std::string>());
  EXPECT_GT(engine_->Stats().suppressed, 0u);
  EXPECT_TRUE(absl::IsNotFound(profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "dora-42"}).status()));
}

}  // namespace
}  // namespace aidmp::collect
