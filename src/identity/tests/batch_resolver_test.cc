// The batch resolver against the streaming IdentityGraph as its oracle: fed the same
// events with the same rules, both must give every identifier the same person and write
// the same person and merge records, on generated graphs (many seeds and rule sets) and
// on the real Taobao log imported through the real pipeline.
#include "identity/batch_resolver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <optional>
#include <set>

#include "collect/engine.h"
#include "collect/importer.h"
#include "common/key_coding.h"
#include "common/status.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "storage/keys.h"
#include "testing/temp_dir.h"

namespace aidmp::identity {
namespace {

// One event of a generated log: its identifiers and, for an alias, the previousId that
// each side types by asking its own graph (as the person processor does).
struct TestEvent {
  std::vector<Identifier> ids;
  std::string previous_id;
};

// A shop's visitors: people with 1-3 devices (each with an anonymousId or two, some an
// advertisingId), about 60 % logging in with a userId, some with emails and phones,
// a few family emails and friends' phones, a few hub devices used by many people (which
// must trigger blocked merges), and aliases from an old userId or anonymousId.
std::vector<TestEvent> GenerateLog(uint32_t seed, int people) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  auto tag = [&](std::string_view kind, int a, int b = -1, int c = -1) {
    std::string value = StrCat(kind, "-", seed, "-", a);
    if (b >= 0) StrAppend(&value, "-", b);
    if (c >= 0) StrAppend(&value, "-", c);
    return value;
  };
  // anonymousIds as Segment's libraries send them, canonical UUIDs, a few in upper
  // case (another identifier).
  auto uuid = [&](int a, int b, int c) {
    char text[40];
    std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-a%03x-%012llx", seed * 7919u + static_cast<uint32_t>(a),
                  static_cast<unsigned>(b & 0xffff), static_cast<unsigned>(c & 0xfff),
                  static_cast<unsigned>((a * 31 + b) & 0xfff),
                  static_cast<unsigned long long>(a) * 1000003ULL + static_cast<unsigned long long>(b) * 101 +
                      static_cast<unsigned long long>(c));
    std::string value(text);
    if (c == 1) std::transform(value.begin(), value.end(), value.begin(), ::toupper);
    return value;
  };
  const int hubs = 2 + pick(3);
  const int family_emails = 1 + pick(4);
  std::vector<std::vector<TestEvent>> per_person(people);
  for (int person_idx = 0; person_idx < people; ++person_idx) {
    auto& events = per_person[person_idx];
    Identifier user{IdType::kUserId, tag("user", person_idx)};
    bool logs_in = chance(0.6);
    int devices = chance(0.6) ? 1 : (chance(0.75) ? 2 : 3);
    std::vector<Identifier> emails;
    if (chance(0.25)) emails.push_back({IdType::kEmailHash, tag("email", person_idx)});
    if (chance(0.05)) emails.push_back({IdType::kEmailHash, tag("email", person_idx, 2)});
    if (chance(0.05)) emails.push_back({IdType::kEmailHash, tag("family", pick(family_emails))});
    std::vector<Identifier> first_anons;
    for (int device_idx = 0; device_idx < devices; ++device_idx) {
      Identifier device{IdType::kDeviceId, tag("device", person_idx, device_idx)};
      if (chance(0.03) && person_idx > 0) device.value = tag("device", pick(person_idx), 0);  // a friend's phone
      std::optional<Identifier> advertising;
      if (chance(0.3)) advertising = Identifier{IdType::kAdvertisingId, tag("ad", person_idx, device_idx)};
      int anons = chance(0.8) ? 1 : 2;
      for (int anon_idx = 0; anon_idx < anons; ++anon_idx) {
        Identifier anon{IdType::kAnonymousId, uuid(person_idx, device_idx, anon_idx)};
        if (device_idx == 0 && anon_idx == 0) first_anons.push_back(anon);
        int views = 1 + pick(3);
        for (int view_idx = 0; view_idx < views; ++view_idx) {
          TestEvent view{{anon}, ""};
          if (chance(0.8)) view.ids.push_back(device);
          if (advertising && chance(0.5)) view.ids.push_back(*advertising);
          events.push_back(view);
        }
        if (logs_in && chance(0.7)) events.push_back({{user, anon, device}, ""});
        if (!emails.empty() && chance(0.3)) events.push_back({{anon, emails[pick(static_cast<int>(emails.size()))]}, ""});
      }
    }
    if (logs_in) {
      events.push_back({{user}, ""});
      if (!emails.empty()) {
        TestEvent identify{{user}, ""};
        identify.ids.insert(identify.ids.end(), emails.begin(), emails.end());
        if (chance(0.2)) identify.ids.push_back({IdType::kPhoneHash, tag("phone", person_idx)});
        events.push_back(identify);
      }
      if (chance(0.1)) events.push_back({{user}, tag("old-user", person_idx)});  // alias of an unknown id
      if (chance(0.1) && !first_anons.empty()) events.push_back({{user}, first_anons[0].value});
      if (chance(0.03)) events.push_back({{user}, user.value});  // alias to itself: the id twice
    }
    if (chance(0.08)) {  // a shared family tablet or shop kiosk
      Identifier hub{IdType::kDeviceId, tag("hub", pick(hubs))};
      Identifier hub_anon{IdType::kAnonymousId, tag("hub-anon", person_idx)};
      events.push_back({{hub_anon, hub}, ""});
      events.push_back({{logs_in ? user : hub_anon, hub}, ""});
    }
  }
  // People act at the same time: interleave their events, each person's in order.
  std::vector<int> owners;
  for (int person_idx = 0; person_idx < people; ++person_idx) {
    owners.insert(owners.end(), per_person[person_idx].size(), person_idx);
  }
  std::shuffle(owners.begin(), owners.end(), rng);
  std::vector<size_t> next(people, 0);
  std::vector<TestEvent> log;
  for (int person_idx : owners) log.push_back(per_person[person_idx][next[person_idx]++]);
  return log;
}

// Rule sets the property test cycles through.
IdentityRules RulesFor(int variant) {
  IdentityRules rules;
  switch (variant % 4) {
    case 0: break;  // the defaults
    case 1:         // tight: limits bite often
      rules.max_per_person = {{IdType::kUserId, 1},   {IdType::kAnonymousId, 3}, {IdType::kDeviceId, 2},
                              {IdType::kEmailHash, 1}, {IdType::kPhoneHash, 1},  {IdType::kAdvertisingId, 1}};
      break;
    case 2: rules.max_per_person.clear(); break;  // connected components
    case 3:                                        // devices outrank users
      rules.priority = {IdType::kDeviceId, IdType::kAnonymousId, IdType::kUserId, IdType::kEmailHash};
      rules.max_per_person[IdType::kDeviceId] = 3;
      break;
  }
  return rules;
}

// Every identifier a log mentions, previousIds under both types they may take.
std::vector<Identifier> Universe(const std::vector<TestEvent>& log) {
  std::set<std::pair<int, std::string>> seen;
  for (const auto& event : log) {
    for (const auto& id : event.ids) seen.emplace(static_cast<int>(id.type), id.value);
    if (!event.previous_id.empty()) {
      seen.emplace(static_cast<int>(IdType::kUserId), event.previous_id);
      seen.emplace(static_cast<int>(IdType::kAnonymousId), event.previous_id);
    }
  }
  std::vector<Identifier> ids;
  for (const auto& [type, value] : seen) ids.push_back({static_cast<IdType>(type), value});
  return ids;
}

std::string Describe(const Resolution& resolution) {
  std::string text = StrCat("person ", resolution.person, " merges ", resolution.merges, " blocked ",
                            resolution.blocked, " created ", resolution.created, " absorbed");
  for (const auto& [loser, winner] : resolution.absorbed) StrAppend(&text, " ", loser, "->", winner);
  return text;
}

std::string Describe(const PersonRecord& person) { return IdentityGraph::EncodePerson(person); }
std::string Describe(const MergeRecord& merge) { return IdentityGraph::EncodeMerge(merge); }

// The streaming graph over a store, committed in batches as the person processor does.
class StreamingSide {
 public:
  explicit StreamingSide(const std::string& path, const IdentityRules& rules) {
    auto store = storage::Store::Open(path, storage::StoreOptions());
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    graph_ = std::make_unique<IdentityGraph>(store_.get(), rules);
  }

  void Begin() {
    graph_->BeginBatch();
    batch_ = std::make_unique<storage::WriteBatch>(store_.get());
  }
  void Commit() {
    ASSERT_TRUE(store_->Write(batch_.get(), false).ok());
    batch_.reset();
  }
  Resolution See(const TestEvent& event, uint64_t seq) {
    std::vector<Identifier> ids = event.ids;
    if (!event.previous_id.empty()) {
      auto as_user = graph_->Owner({IdType::kUserId, event.previous_id});
      EXPECT_TRUE(as_user.ok()) << as_user.status();
      ids.push_back({as_user.ok() && *as_user != 0 ? IdType::kUserId : IdType::kAnonymousId, event.previous_id});
    }
    auto resolution = graph_->Resolve(ids, seq, static_cast<int64_t>(seq) * 1000, batch_.get());
    EXPECT_TRUE(resolution.ok()) << resolution.status();
    return resolution.ok() ? *resolution : Resolution();
  }
  storage::Store* store() { return store_.get(); }

 private:
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<IdentityGraph> graph_;
  std::unique_ptr<storage::WriteBatch> batch_;
};

Resolution BatchSee(BatchResolver* resolver, const TestEvent& event, uint64_t seq) {
  std::vector<Identifier> ids = event.ids;
  if (!event.previous_id.empty()) {
    bool as_user = resolver->Owner({IdType::kUserId, event.previous_id}) != 0;
    ids.push_back({as_user ? IdType::kUserId : IdType::kAnonymousId, event.previous_id});
  }
  auto resolution = resolver->Resolve(ids, seq, static_cast<int64_t>(seq) * 1000);
  EXPECT_TRUE(resolution.ok()) << resolution.status();
  return resolution.ok() ? *resolution : Resolution();
}

// Feeds log[begin, end) through ResolveBatch in chunks of random size; an alias starts
// a new chunk, since its previousId is typed by the graph as it stands before it.
std::vector<Resolution> ChunkedSee(BatchResolver* resolver, const std::vector<TestEvent>& log, size_t begin,
                                   size_t end, std::mt19937* rng) {
  std::vector<Resolution> out;
  std::vector<std::vector<Identifier>> typed(end - begin);
  std::vector<BatchResolver::EventRef> chunk;
  size_t chunk_size = 1 + (*rng)() % 300;
  for (size_t event_idx = begin; event_idx < end; ++event_idx) {
    const TestEvent& event = log[event_idx];
    if (!event.previous_id.empty() || chunk.size() == chunk_size) {
      EXPECT_TRUE(resolver->ResolveBatch(chunk, &out).ok());
      chunk.clear();
      chunk_size = 1 + (*rng)() % 300;
    }
    std::vector<Identifier>& ids = typed[event_idx - begin];
    ids = event.ids;
    if (!event.previous_id.empty()) {
      bool as_user = resolver->Owner({IdType::kUserId, event.previous_id}) != 0;
      ids.push_back({as_user ? IdType::kUserId : IdType::kAnonymousId, event.previous_id});
    }
    chunk.push_back({&ids, event_idx + 1, static_cast<int64_t>(event_idx + 1) * 1000});
  }
  EXPECT_TRUE(resolver->ResolveBatch(chunk, &out).ok());
  return out;
}

uint64_t LookupOrZero(storage::Store* store, const Identifier& id) {
  auto person = IdentityGraph::Lookup(store, id);
  EXPECT_TRUE(person.ok() || absl::IsNotFound(person.status())) << person.status();
  return person.ok() ? *person : 0;
}

// The raw record under person `person`'s key, as stored.
absl::StatusOr<PersonRecord> RawPerson(storage::Store* store, uint64_t person) {
  std::string value;
  AIDMP_RETURN_IF_ERROR(store->Get(storage::Family::kIdentity, storage::PersonKey(person), &value));
  PersonRecord record;
  AIDMP_RETURN_IF_ERROR(IdentityGraph::DecodePerson(value, &record));
  return record;
}

// Every key of `tag` in the identity family.
std::set<std::string> KeysUnder(storage::Store* store, char tag) {
  std::set<std::string> keys;
  auto it = store->NewIterator(storage::Family::kIdentity);
  for (it->Seek(std::string(1, tag)); it->Valid() && it->key()[0] == tag; it->Next()) keys.emplace(it->key());
  return keys;
}

// The batch resolver's graph equals the one in `store` (written by a streaming graph or
// by WriteTo): owners, every person record as stored, every merge record, counters.
void ExpectSameGraph(const BatchResolver& batch, storage::Store* store, const std::vector<Identifier>& universe) {
  int mismatches = 0;
  for (const auto& id : universe) {
    uint64_t streamed = LookupOrZero(store, id);
    if (batch.Owner(id) != streamed && ++mismatches <= 5) {
      ADD_FAILURE() << IdTypeName(id.type) << " " << id.value << ": batch person " << batch.Owner(id)
                    << ", streaming person " << streamed;
    }
  }
  EXPECT_EQ(store->ReadCounter(storage::CounterKey("identity_persons")), batch.person_count());
  EXPECT_EQ(KeysUnder(store, storage::kIdentityPerson).size(), batch.person_count());
  for (uint64_t person = 1; person <= batch.person_count(); ++person) {
    auto streamed = RawPerson(store, person);
    auto batched = batch.StoredPerson(person);
    ASSERT_TRUE(streamed.ok()) << person << ": " << streamed.status();
    ASSERT_TRUE(batched.ok()) << batched.status();
    if (Describe(*batched) != Describe(*streamed) && ++mismatches <= 5) {
      ADD_FAILURE() << "person " << person << "\n batch:     " << Describe(*batched)
                    << "\n streaming: " << Describe(*streamed);
    }
  }
  EXPECT_EQ(KeysUnder(store, storage::kIdentityMerge).size(), batch.merge_count());
  uint64_t blocked = 0;
  for (uint64_t merge = 1; merge <= batch.merge_count(); ++merge) {
    auto streamed = IdentityGraph::ReadMerge(store, merge);
    auto batched = batch.ReadMerge(merge);
    ASSERT_TRUE(streamed.ok()) << merge << ": " << streamed.status();
    ASSERT_TRUE(batched.ok()) << batched.status();
    blocked += batched->blocked;
    if (Describe(*batched) != Describe(*streamed) && ++mismatches <= 5) {
      ADD_FAILURE() << "merge " << merge << "\n batch:     " << Describe(*batched)
                    << "\n streaming: " << Describe(*streamed);
    }
  }
  EXPECT_EQ(store->ReadCounter(storage::CounterKey("identity_merges_blocked")), blocked);
  EXPECT_EQ(store->ReadCounter(storage::CounterKey("identity_merges")), batch.merge_count() - blocked);
  EXPECT_EQ(mismatches, 0);
}

TEST(BatchResolverTest, RefusesRulesItCannotMatch) {
  IdentityRules zero;
  zero.max_per_person[IdType::kUserId] = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(BatchResolver::Create(zero).status()));
  IdentityRules unknown_type;
  unknown_type.max_per_person[static_cast<IdType>(9)] = 1;
  EXPECT_TRUE(absl::IsInvalidArgument(BatchResolver::Create(unknown_type).status()));
  auto resolver = BatchResolver::Create(IdentityRules());
  ASSERT_TRUE(resolver.ok());
  EXPECT_TRUE(absl::IsInvalidArgument((*resolver)->Resolve({}, 1, 1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument((*resolver)->Resolve({{static_cast<IdType>(0), "x"}}, 1, 1).status()));
  EXPECT_EQ((*resolver)->person_count(), 0u);
  EXPECT_EQ((*resolver)->identifier_count(), 0u);
}

// Identifiers are exact bytes: every spelling of one UUID's digits is another
// identifier, and every value reads back byte for byte, in records and in the store.
TEST(BatchResolverTest, UuidSpellingsStayDistinctAndReadBackExactly) {
  auto made = BatchResolver::Create(IdentityRules());
  ASSERT_TRUE(made.ok());
  BatchResolver& resolver = **made;
  const std::vector<std::string> spellings = {
      "3f2b9c1e-8a4d-4e7f-9b1a-0c2d3e4f5a6b",    // canonical
      "3F2B9C1E-8A4D-4E7F-9B1A-0C2D3E4F5A6B",    // upper case
      "3f2b9c1e8a4d4e7f9b1a0c2d3e4f5a6b",        // no dashes
      "{3f2b9c1e-8a4d-4e7f-9b1a-0c2d3e4f5a6b}",  // braces
      "3f2b9c1e-8a4d-4e7f-9b1a_0c2d3e4f5a6b",    // a dash misplaced
      "3f2b9c1e-8a4d-4e7f-9b1a-0c2d3e4f5a6g",    // not hex
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff"};
  uint64_t seq = 0;
  for (const auto& value : spellings) {
    auto resolution = resolver.Resolve({{IdType::kAnonymousId, value}}, ++seq, 0);
    ASSERT_TRUE(resolution.ok());
    EXPECT_TRUE(resolution->created) << value;
    EXPECT_EQ(resolution->person, seq) << value;
  }
  // The same canonical UUID as a deviceId is another identifier too.
  ASSERT_TRUE(resolver.Resolve({{IdType::kDeviceId, spellings[0]}}, ++seq, 0).ok());
  EXPECT_EQ(resolver.identifier_count(), spellings.size() + 1);
  for (size_t idx = 0; idx < spellings.size(); ++idx) {
    EXPECT_EQ(resolver.Owner({IdType::kAnonymousId, spellings[idx]}), idx + 1) << spellings[idx];
    auto person = resolver.ReadPerson(idx + 1);
    ASSERT_TRUE(person.ok());
    EXPECT_EQ(person->identifiers, (std::vector<Identifier>{{IdType::kAnonymousId, spellings[idx]}}));
  }
  // Joining two of them keeps both values exact in the merge's evidence.
  auto joined = resolver.Resolve({{IdType::kUserId, "u1"}, {IdType::kAnonymousId, spellings[0]},
                                  {IdType::kAnonymousId, spellings[1]}},
                                 ++seq, 0);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->merges, 1);
  auto merge = resolver.ReadMerge(1);
  ASSERT_TRUE(merge.ok());
  EXPECT_EQ(merge->evidence[1].value, spellings[0]);
  EXPECT_EQ(merge->evidence[2].value, spellings[1]);
  aidmp::testing::TempDir dir;
  auto store = storage::Store::Open(dir.Sub("store"), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(resolver.WriteTo(store->get()).ok());
  for (const auto& value : spellings) {
    auto owner = IdentityGraph::Lookup(store->get(), {IdType::kAnonymousId, value});
    ASSERT_TRUE(owner.ok()) << value << ": " << owner.status();
    EXPECT_EQ(*owner, resolver.Owner({IdType::kAnonymousId, value})) << value;
  }
}

TEST(BatchResolverTest, SharedTabletIsABlockedMergeWithItsReason) {
  auto made = BatchResolver::Create(IdentityRules());
  ASSERT_TRUE(made.ok());
  BatchResolver& resolver = **made;
  Identifier mum{IdType::kUserId, "mum"}, kid{IdType::kUserId, "kid"}, tablet{IdType::kAnonymousId, "tablet"};
  auto first = resolver.Resolve({mum, tablet}, 1, 10);
  auto second = resolver.Resolve({kid, tablet}, 2, 20);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->person, 1u);
  EXPECT_EQ(second->person, 2u);
  EXPECT_EQ(second->blocked, 1);
  EXPECT_EQ(resolver.Owner(tablet), 1u);
  EXPECT_EQ(resolver.Owner(kid), 2u);
  EXPECT_EQ(resolver.Owner({IdType::kUserId, "nobody"}), 0u);
  auto merge = resolver.ReadMerge(1);
  ASSERT_TRUE(merge.ok());
  EXPECT_TRUE(merge->blocked);
  EXPECT_EQ(merge->winner, 2u);
  EXPECT_EQ(merge->loser, 1u);
  EXPECT_EQ(merge->seq, 2u);
  EXPECT_EQ(merge->ts_us, 20);
  EXPECT_EQ(merge->reason, "persons 2 and 1 together would hold 2 userId identifiers; the limit is 1");
  EXPECT_EQ(merge->evidence, (std::vector<Identifier>{kid, tablet}));
  // The anonymous phone of the kid joins the kid; a login then merges the newer person
  // into the older.
  Identifier phone{IdType::kAnonymousId, "kid-phone"};
  ASSERT_TRUE(resolver.Resolve({phone}, 3, 30).ok());
  auto login = resolver.Resolve({kid, phone}, 4, 40);
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->person, 2u);
  EXPECT_EQ(login->absorbed, (std::vector<std::pair<uint64_t, uint64_t>>{{3, 2}}));
  auto kid_record = resolver.ReadPerson(3);
  ASSERT_TRUE(kid_record.ok());
  EXPECT_EQ(kid_record->id, 2u);
  EXPECT_EQ(kid_record->identifiers, (std::vector<Identifier>{kid, phone}));
  EXPECT_EQ(kid_record->absorbed, (std::vector<uint64_t>{3}));
  EXPECT_EQ(kid_record->merges, (std::vector<uint64_t>{1, 2}));
  auto absorbed = resolver.StoredPerson(3);
  ASSERT_TRUE(absorbed.ok());
  EXPECT_EQ(absorbed->merged_into, 2u);
  EXPECT_TRUE(absl::IsNotFound(resolver.ReadPerson(4).status()));
  EXPECT_TRUE(absl::IsNotFound(resolver.ReadMerge(3).status()));
}

// The property: on generated logs, over many seeds and four rule sets, batch equals
// streaming event by event and in every record; WriteTo then gives IdentityGraph's
// readers the same answers, and streaming graphs continue identically from both.
TEST(BatchResolverTest, EqualsStreamingOnGeneratedGraphs) {
  auto started = std::chrono::steady_clock::now();
  uint64_t total_merges = 0, total_blocked = 0, total_events = 0;
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    SCOPED_TRACE(StrCat("seed ", seed, ", rules variant ", seed % 4));
    IdentityRules rules = RulesFor(static_cast<int>(seed));
    std::vector<TestEvent> log = GenerateLog(seed, 200 + static_cast<int>(seed) * 20);
    // The last fifth is fed after WriteTo, to both continuations.
    size_t split = log.size() * 4 / 5;
    aidmp::testing::TempDir dir;
    StreamingSide streaming(dir.Sub("streaming"), rules);
    auto made = BatchResolver::Create(rules);
    ASSERT_TRUE(made.ok()) << made.status();
    BatchResolver& batch = **made;
    std::mt19937 rng(seed);
    uint64_t seq = 0;
    int mismatches = 0;
    std::vector<Resolution> streamed_all;
    while (seq < split) {
      streaming.Begin();
      size_t batch_events = 1 + rng() % 40;
      for (size_t event_idx = 0; event_idx < batch_events && seq < split; ++event_idx) {
        const TestEvent& event = log[seq++];
        Resolution streamed = streaming.See(event, seq);
        Resolution batched = BatchSee(&batch, event, seq);
        if (Describe(batched) != Describe(streamed) && ++mismatches <= 5) {
          ADD_FAILURE() << "event " << seq << ": batch " << Describe(batched) << "; streaming " << Describe(streamed);
        }
        streamed_all.push_back(streamed);
      }
      streaming.Commit();
    }
    ASSERT_EQ(mismatches, 0);
    std::vector<Identifier> universe = Universe(log);
    ExpectSameGraph(batch, streaming.store(), universe);
    // The same events through ResolveBatch, in chunks.
    auto chunked = BatchResolver::Create(rules);
    ASSERT_TRUE(chunked.ok());
    std::vector<Resolution> chunked_all = ChunkedSee(chunked->get(), log, 0, split, &rng);
    ASSERT_EQ(chunked_all.size(), streamed_all.size());
    for (size_t event_idx = 0; event_idx < split; ++event_idx) {
      if (Describe(chunked_all[event_idx]) != Describe(streamed_all[event_idx]) && ++mismatches <= 5) {
        ADD_FAILURE() << "event " << event_idx + 1 << ": ResolveBatch " << Describe(chunked_all[event_idx])
                      << "; streaming " << Describe(streamed_all[event_idx]);
      }
    }
    ExpectSameGraph(**chunked, streaming.store(), universe);
    for (uint64_t merge = 1; merge <= batch.merge_count(); ++merge) total_blocked += batch.ReadMerge(merge)->blocked;
    total_merges += batch.merge_count();
    total_events += seq;

    // WriteTo into a store that already holds another graph: it must be replaced.
    auto written = storage::Store::Open(dir.Sub("written"), storage::StoreOptions());
    ASSERT_TRUE(written.ok());
    {
      IdentityGraph other(written->get(), IdentityRules());
      storage::WriteBatch other_batch(written->get());
      uint64_t other_seq = 0;
      for (const auto& event : GenerateLog(seed + 1000, 200)) {
        ASSERT_TRUE(other.Resolve(event.ids, ++other_seq, 0, &other_batch).ok());
      }
      ASSERT_TRUE((*written)->Write(&other_batch, false).ok());
    }
    ASSERT_TRUE(batch.WriteTo(written->get()).ok());
    ExpectSameGraph(batch, written->get(), universe);
    EXPECT_EQ(KeysUnder(written->get(), storage::kIdentityOwner).size(),
              KeysUnder(streaming.store(), storage::kIdentityOwner).size());
    for (char tag : {storage::kIdentityPerson, storage::kIdentityMerge}) {
      auto it = written->get()->NewIterator(storage::Family::kIdentity);
      std::map<std::string, std::string> from_batch, from_streaming;
      for (it->Seek(std::string(1, tag)); it->Valid() && it->key()[0] == tag; it->Next()) {
        from_batch.emplace(it->key(), it->value());
      }
      auto streamed_it = streaming.store()->NewIterator(storage::Family::kIdentity);
      for (streamed_it->Seek(std::string(1, tag)); streamed_it->Valid() && streamed_it->key()[0] == tag;
           streamed_it->Next()) {
        from_streaming.emplace(streamed_it->key(), streamed_it->value());
      }
      EXPECT_TRUE(from_batch == from_streaming) << "records under '" << tag << "' differ byte for byte";
    }

    // Streaming graphs opened on both stores continue alike.
    IdentityGraph continued(written->get(), rules);
    StreamingSide* reference = &streaming;
    reference->Begin();
    storage::WriteBatch continued_batch(written->get());
    for (; seq < log.size(); ) {
      const TestEvent& event = log[seq++];
      Resolution streamed = reference->See(event, seq);
      std::vector<Identifier> ids = event.ids;
      if (!event.previous_id.empty()) {
        auto as_user = continued.Owner({IdType::kUserId, event.previous_id});
        ASSERT_TRUE(as_user.ok());
        ids.push_back({*as_user != 0 ? IdType::kUserId : IdType::kAnonymousId, event.previous_id});
      }
      auto resumed = continued.Resolve(ids, seq, static_cast<int64_t>(seq) * 1000, &continued_batch);
      ASSERT_TRUE(resumed.ok()) << resumed.status();
      Resolution batched = BatchSee(&batch, event, seq);
      EXPECT_EQ(Describe(*resumed), Describe(streamed)) << "event " << seq;
      EXPECT_EQ(Describe(batched), Describe(streamed)) << "event " << seq;
    }
    reference->Commit();
    ASSERT_TRUE((*written)->Write(&continued_batch, false).ok());
    ExpectSameGraph(batch, streaming.store(), universe);
    ExpectSameGraph(batch, written->get(), universe);
    if (HasFailure()) break;
  }
  // The generator must exercise what the test is about.
  EXPECT_GT(total_merges, 2000u);
  EXPECT_GT(total_blocked, 200u);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[          ] " << total_events << " events, " << total_merges << " merge log entries ("
            << total_blocked << " blocked) in " << seconds << " s\n";
}

// Large persons (more than 64 identifiers) merged one into the next: IdentityGraph then
// reaches their identifiers through long merged_into chains, the batch resolver through
// its union-find; both must agree.
TEST(BatchResolverTest, EqualsStreamingOnLongMergeChains) {
  std::vector<TestEvent> log;
  auto anon = [](int person_idx, int id_idx) {
    return Identifier{IdType::kAnonymousId, StrCat("p", person_idx, "-", id_idx)};
  };
  constexpr int kPersons = 80;
  for (int person_idx = 0; person_idx < kPersons; ++person_idx) {
    log.push_back({{anon(person_idx, 0)}, ""});
    for (int id_idx = 1; id_idx < 70; ++id_idx) log.push_back({{anon(person_idx, 0), anon(person_idx, id_idx)}, ""});
  }
  for (int person_idx = kPersons - 1; person_idx > 0; --person_idx) {
    log.push_back({{anon(person_idx - 1, 0), anon(person_idx, 0)}, ""});
  }
  log.push_back({{anon(kPersons - 1, 5), {IdType::kUserId, "late-login"}}, ""});
  aidmp::testing::TempDir dir;
  StreamingSide streaming(dir.path(), IdentityRules());
  auto made = BatchResolver::Create(IdentityRules());
  ASSERT_TRUE(made.ok());
  streaming.Begin();
  for (size_t event_idx = 0; event_idx < log.size(); ++event_idx) {
    Resolution streamed = streaming.See(log[event_idx], event_idx + 1);
    Resolution batched = BatchSee(made->get(), log[event_idx], event_idx + 1);
    ASSERT_EQ(Describe(batched), Describe(streamed)) << "event " << event_idx + 1;
  }
  streaming.Commit();
  EXPECT_EQ((*made)->merge_count(), static_cast<uint64_t>(kPersons - 1));
  // Each IdentityGraph::Lookup decodes every record along its chain: a sample of the
  // identifiers (the deepest ones included) keeps this quick; every record is compared.
  std::vector<Identifier> sample = {{IdType::kUserId, "late-login"}};
  for (int person_idx = 0; person_idx < kPersons; ++person_idx) {
    sample.push_back(anon(person_idx, 0));
    sample.push_back(anon(person_idx, 69));
  }
  ExpectSameGraph(**made, streaming.store(), sample);
}

// Reads the log of an engine and resolves it in batch, as a rebuild would.
void ResolveLog(collect::Engine* engine, BatchResolver* resolver, std::vector<Identifier>* universe) {
  std::vector<log::LogEntry> entries;
  event::Event event;
  uint64_t after = 0;
  std::set<std::pair<int, std::string>> seen;
  while (true) {
    entries.clear();
    ASSERT_TRUE(engine->event_log()->Read(after, 4096, &entries).ok());
    if (entries.empty()) break;
    for (const auto& entry : entries) {
      after = entry.seq;
      ASSERT_TRUE(event::DecodeStoredEvent(entry.record, &event).ok());
      std::vector<Identifier> ids = ExtractIdentifiers(event);
      if (!event.previous_id.empty()) {
        bool as_user = resolver->Owner({IdType::kUserId, event.previous_id}) != 0;
        ids.push_back({as_user ? IdType::kUserId : IdType::kAnonymousId, event.previous_id});
      }
      if (ids.empty()) continue;
      for (const auto& id : ids) seen.emplace(static_cast<int>(id.type), id.value);
      ASSERT_TRUE(resolver->Resolve(ids, entry.seq, event.timestamp_us).ok());
    }
  }
  for (const auto& [type, value] : seen) universe->push_back({static_cast<IdType>(type), value});
}

// The real e-commerce log through the real pipeline: import (cleaning, dedup, the log),
// the persons processor resolving it event by event; then the batch resolver over the
// same stored log must give the graph that processor built.
TEST(BatchResolverTest, EqualsThePersonProcessorOnTheTaobaoLog) {
  std::string data = aidmp::testing::SharedDataDir("taobao-userbehavior-head");
  if (data.empty()) {
    GTEST_SKIP() << "../shared/data/taobao-userbehavior-head is absent (set AIDMP_SHARED_DATA to its parent); "
                    "skipping the real-log comparison";
  }
  aidmp::testing::TempDir dir;
  collect::EngineOptions options;
  options.background_processors = false;
  auto engine = collect::Engine::Open(dir.Sub("engine"), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  collect::ImportOptions import;
  import.format = collect::ImportFormat::kTaobao;
  auto report = collect::ImportFile(engine->get(), data + "/UserBehavior_head.csv", import);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE((*engine)->CatchUpProcessors().ok());

  auto resolver = BatchResolver::Create(options.identity);
  ASSERT_TRUE(resolver.ok());
  std::vector<Identifier> universe;
  ResolveLog(engine->get(), resolver->get(), &universe);
  // Each row carries its user's userId only (collect/importer.cc): one person per user.
  EXPECT_EQ(universe.size(), 814u);
  EXPECT_EQ((*resolver)->person_count(), 814u);
  ExpectSameGraph(**resolver, (*engine)->store(), universe);

  aidmp::testing::TempDir rebuilt;
  auto store = storage::Store::Open(rebuilt.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*resolver)->WriteTo(store->get()).ok());
  ExpectSameGraph(**resolver, store->get(), universe);
}

// The Taobao log's rows carry one identifier each, so resolving them merges nothing.
// Here the same real rows also carry their item as a device id: a real, heavy-tailed
// co-occurrence graph (popular items are hubs seen by hundreds of users), where the
// userId and device limits refuse most merges. Batch must still equal streaming.
TEST(BatchResolverTest, EqualsStreamingOnTaobaoRowsWithItemsAsSharedDevices) {
  std::string data = aidmp::testing::SharedDataDir("taobao-userbehavior-head");
  if (data.empty()) {
    GTEST_SKIP() << "../shared/data/taobao-userbehavior-head is absent (set AIDMP_SHARED_DATA to its parent); "
                    "skipping the real-log comparison";
  }
  std::ifstream file(data + "/UserBehavior_head.csv");
  ASSERT_TRUE(file.is_open());
  std::vector<TestEvent> log;
  std::string line;
  while (std::getline(file, line)) {
    std::vector<std::string_view> fields = Split(line, ',');
    ASSERT_EQ(fields.size(), 5u) << line;
    log.push_back({{{IdType::kUserId, std::string(fields[0])}, {IdType::kDeviceId, std::string(fields[1])}}, ""});
    // Category pages viewed anonymously on the item's device: anonymousIds have no limit.
    if (fields[3] == "pv" && log.size() % 7 == 0) {
      log.push_back({{{IdType::kAnonymousId, StrCat("cat-", fields[2])}, {IdType::kDeviceId, std::string(fields[1])}},
                     ""});
    }
  }
  ASSERT_GT(log.size(), 84287u);
  aidmp::testing::TempDir dir;
  IdentityRules rules;
  StreamingSide streaming(dir.path(), rules);
  auto made = BatchResolver::Create(rules);
  ASSERT_TRUE(made.ok());
  uint64_t seq = 0;
  int mismatches = 0;
  while (seq < log.size()) {
    streaming.Begin();
    for (int event_idx = 0; event_idx < 4096 && seq < log.size(); ++event_idx) {
      const TestEvent& event = log[seq++];
      Resolution streamed = streaming.See(event, seq);
      Resolution batched = BatchSee(made->get(), event, seq);
      if (Describe(batched) != Describe(streamed) && ++mismatches <= 5) {
        ADD_FAILURE() << "event " << seq << ": batch " << Describe(batched) << "; streaming " << Describe(streamed);
      }
    }
    streaming.Commit();
  }
  EXPECT_EQ(mismatches, 0);
  uint64_t blocked = streaming.store()->ReadCounter(storage::CounterKey("identity_merges_blocked"));
  uint64_t merges = streaming.store()->ReadCounter(storage::CounterKey("identity_merges"));
  EXPECT_GT(blocked, 1000u);
  EXPECT_GT(merges, 100u);
  ExpectSameGraph(**made, streaming.store(), Universe(log));
  std::cout << "[          ] " << log.size() << " events, " << (*made)->identifier_count() << " identifiers, "
            << (*made)->person_count() << " persons, " << merges << " merges, " << blocked << " blocked\n";
}

}  // namespace
}  // namespace aidmp::identity
