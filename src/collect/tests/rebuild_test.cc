// `aidmp rebuild profiles` (Engine::RebuildPersons): re-resolving the whole log in memory
// gives exactly what streaming it gave, key for key; a rebuild cut short is started over
// by the next Open.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"

#include "collect/tests/engine_fixture.h"
#include "common/clock.h"
#include "identity/identity_graph.h"
#include "sim/shop_simulator.h"
#include "storage/keys.h"

namespace aidmp::collect {
namespace {

class RebuildTest : public EngineTest {
 protected:
  // A simulated shop (logins across devices, bots), then hand-made cases the shop lacks:
  // aliases (a known user and an unknown visitor as previousId), a shared tablet that
  // two userIds sign in on (a refused merge), and a person reached by email.
  void Fill() {
    sim::ShopOptions options;
    options.seed = 11;
    options.shoppers = 300;
    options.items = 80;
    options.days = 5;
    options.end_time_us = SystemClock::Default()->NowMicros();
    sim::ShopSimulator shop(options);
    std::vector<sim::SimMessage> messages;
    while (shop.Next(100, &messages)) {
      SendBatch(sim::MakeBatchBody(messages, options.end_time_us));
      messages.clear();
    }
    SendBatch(R"({"batch":[
        {"type":"track","anonymousId":"visitor-1","event":"Product Viewed","properties":{"category":"books"}},
        {"type":"alias","userId":"zoe","previousId":"visitor-1"},
        {"type":"identify","userId":"zoe","traits":{"email":"Zoe@Example.com"}},
        {"type":"identify","userId":"yan","anonymousId":"yan-phone"},
        {"type":"alias","userId":"yan-new","previousId":"yan"},
        {"type":"track","userId":"ann","anonymousId":"tablet","event":"Signed In"},
        {"type":"track","userId":"bob","anonymousId":"tablet","event":"Signed In"},
        {"type":"track","anonymousId":"tablet","event":"Product Viewed","properties":{"category":"games"}},
        {"type":"identify","anonymousId":"zoe-laptop","traits":{"email":"zoe@example.com"}}]})");
    ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  }

  // Everything the persons processor derived, as readers see it: each identifier's
  // canonical person (a rebuild points owner keys straight at it; streaming may leave a
  // chain), every other key of the identity family byte for byte, and the counters.
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> out;
    auto it = engine_->store()->NewIterator(storage::Family::kIdentity);
    for (it->Seek(std::string(1, '\0')); it->Valid(); it->Next()) {
      std::string key(it->key());
      if (key[0] != storage::kIdentityOwner) {
        out[key] = std::string(it->value());
        continue;
      }
      // An owner key: 'I', type, 4-byte length, value (storage/keys.h).
      identity::Identifier id{static_cast<identity::IdType>(key[1]), key.substr(6)};
      auto person = identity::IdentityGraph::LookupPerson(engine_->store(), id);
      EXPECT_TRUE(person.ok()) << person.status();
      out[key] = person.ok() ? StrCat("person ", person->id) : person.status().ToString();
    }
    EXPECT_TRUE(it->status().ok());
    for (const char* counter : {"identity_persons", "identity_merges", "identity_merges_blocked", "identity_identifiers"}) {
      out[StrCat("counter ", counter)] = StrCat(engine_->store()->ReadCounter(storage::CounterKey(counter)));
    }
    return out;
  }

  static void ExpectSame(const std::map<std::string, std::string>& want, const std::map<std::string, std::string>& got) {
    EXPECT_EQ(want.size(), got.size());
    size_t shown = 0;
    for (const auto& [key, value] : want) {
      auto found = got.find(key);
      if (found != got.end() && found->second == value) continue;
      ADD_FAILURE() << "key " << absl::CEscape(key) << ": streamed " << absl::CEscape(value).substr(0, 200)
                    << ", rebuilt " << (found == got.end() ? "(absent)" : absl::CEscape(found->second).substr(0, 200));
      if (++shown == 5) return;
    }
  }
};

TEST_F(RebuildTest, InMemoryRebuildEqualsStreaming) {
  Fill();
  std::map<std::string, std::string> streamed = Snapshot();
  ASSERT_GE(std::stoull(streamed["counter identity_merges"]), 10u);  // logins across devices
  ASSERT_GE(std::stoull(streamed["counter identity_merges_blocked"]), 1u);  // the shared tablet
  EXPECT_EQ(streamed["counter identity_identifiers"],
            StrCat(std::count_if(streamed.begin(), streamed.end(),
                                 [](const auto& entry) { return entry.first[0] == storage::kIdentityOwner; })));

  uint64_t calls = 0, last_done = 0, last_total = 0;
  ASSERT_TRUE(engine_
                  ->RebuildPersons([&](uint64_t done, uint64_t total) {
                    ++calls;
                    last_done = done;
                    last_total = total;
                  })
                  .ok());
  EXPECT_GE(calls, 2u);
  EXPECT_EQ(last_done, last_total);
  std::map<std::string, std::string> rebuilt = Snapshot();
  ExpectSame(streamed, rebuilt);
  std::string checkpoint;
  EXPECT_TRUE(absl::IsNotFound(
      engine_->store()->Get(storage::Family::kMeta, storage::CheckpointKey("persons-rebuild"), &checkpoint)));

  for (const auto& runner : engine_->processors()) EXPECT_EQ(runner->Lag(), 0u) << runner->name();

  // The persons processor goes on from the rebuilt graph: new events join known people
  // and new persons are numbered after the rebuilt ones, as streaming would have them.
  SendBatch(R"({"batch":[{"type":"track","userId":"zoe","anonymousId":"zoe-tablet","event":"Signed In"},
                    {"type":"track","anonymousId":"newcomer","event":"Product Viewed"}]})");
  ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  auto zoe = identity::IdentityGraph::LookupPerson(engine_->store(), {identity::IdType::kAnonymousId, "zoe-tablet"});
  ASSERT_TRUE(zoe.ok()) << zoe.status();
  auto by_email = identity::IdentityGraph::LookupPerson(engine_->store(), {identity::IdType::kAnonymousId, "visitor-1"});
  ASSERT_TRUE(by_email.ok());
  EXPECT_EQ(zoe->id, by_email->id);
  auto newcomer = identity::IdentityGraph::LookupPerson(engine_->store(), {identity::IdType::kAnonymousId, "newcomer"});
  ASSERT_TRUE(newcomer.ok());
  EXPECT_EQ(newcomer->id, std::stoull(streamed["counter identity_persons"]) + 1);
}

// A rebuild that died before writing its graph left person events and profiles behind,
// under its own checkpoint. The next Open throws them away and the persons processor
// starts over, ending where streaming did.
TEST_F(RebuildTest, AnInterruptedRebuildStartsOver) {
  Fill();
  std::map<std::string, std::string> streamed = Snapshot();
  storage::WriteBatch crashed(engine_->store());
  {
    auto it = engine_->store()->NewIterator(storage::Family::kIdentity);  // gone before the store
    for (it->SeekToFirst(); it->Valid(); it->Next()) crashed.Delete(storage::Family::kIdentity, it->key());
  }
  crashed.Put(storage::Family::kIdentity, storage::ProfileKey(1), "half a rebuild");
  crashed.Delete(storage::Family::kMeta, storage::CheckpointKey("persons"));
  crashed.Put(storage::Family::kMeta, storage::CheckpointKey("persons-rebuild"), std::string(8, '\x01'));
  ASSERT_TRUE(engine_->store()->Write(&crashed, true).ok());

  Open(EngineOptions());
  ASSERT_TRUE(engine_->CatchUpProcessors().ok());
  ExpectSame(streamed, Snapshot());
}

// Profiles that leave the persons processor's cache between steps: streaming re-reads
// them from the store, a rebuild writes them out early and reads them back. Neither may
// change a profile.
TEST_F(RebuildTest, ATinyProfileCacheGivesTheSameResult) {
  Fill();
  std::map<std::string, std::string> streamed = Snapshot();
  EngineOptions tiny;
  tiny.profile_cache_bytes = 1;  // every profile leaves at the next step
  Open(tiny);
  ASSERT_TRUE(engine_->RebuildPersons([](uint64_t, uint64_t) {}).ok());
  ExpectSame(streamed, Snapshot());
  ASSERT_TRUE(engine_->RebuildPersons([](uint64_t, uint64_t) {}, /*streaming_identity=*/true).ok());
  ExpectSame(streamed, Snapshot());
}

// Streaming with a tiny cache from the start, in small steps: the same as the default.
TEST_F(RebuildTest, StreamingWithATinyProfileCacheEqualsTheDefault) {
  EngineOptions tiny;
  tiny.profile_cache_bytes = 1;
  Open(tiny);
  Fill();
  std::map<std::string, std::string> tiny_streamed = Snapshot();
  Open(EngineOptions());
  ASSERT_TRUE(engine_->RebuildPersons([](uint64_t, uint64_t) {}, /*streaming_identity=*/true).ok());
  ExpectSame(tiny_streamed, Snapshot());
}

}  // namespace
}  // namespace aidmp::collect
