#include "identity/identity_graph.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <random>

#include "common/strings.h"
#include "testing/temp_dir.h"

namespace aidmp::identity {
namespace {

Identifier User(std::string value) { return {IdType::kUserId, std::move(value)}; }
Identifier Anon(std::string value) { return {IdType::kAnonymousId, std::move(value)}; }
Identifier Device(std::string value) { return {IdType::kDeviceId, std::move(value)}; }

class IdentityGraphTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(IdentityRules()); }

  void Reopen(IdentityRules rules) {
    graph_.reset();
    store_.reset();
    auto store = storage::Store::Open(dir_.path(), storage::StoreOptions());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    graph_ = std::make_unique<IdentityGraph>(store_.get(), std::move(rules));
  }

  // Resolves one event and commits it, as the processor does per batch.
  Resolution See(std::vector<Identifier> ids) {
    graph_->BeginBatch();
    storage::WriteBatch batch(store_.get());
    uint64_t seq = ++seq_;
    auto resolution = graph_->Resolve(ids, seq, static_cast<int64_t>(seq), &batch);
    EXPECT_TRUE(resolution.ok()) << resolution.status();
    EXPECT_TRUE(store_->Write(&batch, false).ok());
    return resolution.ok() ? *resolution : Resolution();
  }

  uint64_t PersonOf(const Identifier& id) {
    auto person = IdentityGraph::Lookup(store_.get(), id);
    return person.ok() ? *person : 0;
  }

  aidmp::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<IdentityGraph> graph_;
  uint64_t seq_ = 0;
};

TEST_F(IdentityGraphTest, LoginLinksDevicesIntoOnePerson) {
  Resolution phone = See({Anon("phone-anon")});
  Resolution laptop = See({Anon("laptop-anon")});
  EXPECT_NE(phone.person, laptop.person);
  EXPECT_TRUE(phone.created);
  See({User("ann"), Anon("phone-anon")});
  Resolution login = See({User("ann"), Anon("laptop-anon")});
  EXPECT_EQ(login.merges, 1);
  // The older person survives: ids already handed out stay canonical.
  EXPECT_EQ(login.person, phone.person);
  EXPECT_EQ(PersonOf(Anon("laptop-anon")), phone.person);
  EXPECT_EQ(PersonOf(User("ann")), phone.person);
  auto record = IdentityGraph::ReadPerson(store_.get(), laptop.person);  // follows the merge
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->id, phone.person);
  EXPECT_EQ(record->identifiers.size(), 3u);
  EXPECT_EQ(record->absorbed, (std::vector<uint64_t>{laptop.person}));
  ASSERT_EQ(record->merges.size(), 1u);
  auto merge = IdentityGraph::ReadMerge(store_.get(), record->merges[0]);
  ASSERT_TRUE(merge.ok());
  EXPECT_FALSE(merge->blocked);
  EXPECT_EQ(merge->loser, laptop.person);
  EXPECT_EQ(merge->seq, 4u);  // the event that caused it
}

// A family tablet: two people log in on one device. The limit of one userId per person
// keeps them apart; the blocked merge is recorded with its reason.
TEST_F(IdentityGraphTest, SharedDeviceDoesNotFuseTwoPeople) {
  Resolution mum = See({User("mum"), Anon("tablet")});
  Resolution kid = See({User("kid"), Anon("tablet")});
  EXPECT_NE(mum.person, kid.person);
  EXPECT_EQ(kid.blocked, 1);
  EXPECT_EQ(PersonOf(Anon("tablet")), mum.person);
  EXPECT_EQ(PersonOf(User("kid")), kid.person);
  auto record = IdentityGraph::ReadPerson(store_.get(), kid.person);
  ASSERT_TRUE(record.ok());
  ASSERT_EQ(record->merges.size(), 1u);
  auto merge = IdentityGraph::ReadMerge(store_.get(), record->merges[0]);
  ASSERT_TRUE(merge.ok());
  EXPECT_TRUE(merge->blocked);
  EXPECT_NE(merge->reason.find("userId"), std::string::npos) << merge->reason;
  EXPECT_NE(merge->reason.find("limit is 1"), std::string::npos) << merge->reason;
}

TEST_F(IdentityGraphTest, PerTypeLimitStopsNewIdentifiers) {
  IdentityRules rules;
  rules.max_per_person[IdType::kDeviceId] = 2;
  Reopen(rules);
  Resolution first = See({User("u"), Device("d1")});
  See({User("u"), Device("d2")});
  Resolution third = See({User("u"), Device("d3")});
  EXPECT_EQ(third.person, first.person);
  EXPECT_EQ(third.blocked, 1);
  EXPECT_EQ(PersonOf(Device("d3")), 0u);
}

TEST_F(IdentityGraphTest, StatePersistsAcrossReopen) {
  Resolution before = See({User("u"), Anon("a")});
  Reopen(IdentityRules());
  Resolution after = See({Anon("a"), Device("d")});
  EXPECT_EQ(after.person, before.person);
  Resolution fresh = See({Anon("someone-else")});
  EXPECT_GT(fresh.person, before.person);  // ids keep counting after a restart
}

// With no limits the graph must find exactly the connected components of "seen together",
// as a trivially correct union-find over identifier strings does.
TEST_F(IdentityGraphTest, WithoutLimitsPersonsAreConnectedComponents) {
  IdentityRules rules;
  rules.max_per_person.clear();
  Reopen(rules);
  std::mt19937 rng(21);
  std::map<std::string, std::string> parent;
  auto find = [&](std::string x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<Identifier> universe;
  for (int id_idx = 0; id_idx < 300; ++id_idx) {
    universe.push_back({static_cast<IdType>(1 + id_idx % 3), "v" + std::to_string(id_idx)});
  }
  auto name = [](const Identifier& id) { return std::to_string(static_cast<int>(id.type)) + id.value; };
  for (int event_idx = 0; event_idx < 400; ++event_idx) {
    std::vector<Identifier> ids;
    int count = 1 + static_cast<int>(rng() % 3);
    for (int pick_idx = 0; pick_idx < count; ++pick_idx) {
      const Identifier& id = universe[rng() % universe.size()];
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    for (const auto& id : ids) parent.emplace(name(id), name(id));
    for (size_t id_idx = 1; id_idx < ids.size(); ++id_idx) parent[find(name(ids[id_idx]))] = find(name(ids[0]));
    See(ids);
  }
  std::map<std::string, uint64_t> person_of_root;
  for (const auto& id : universe) {
    if (!parent.count(name(id))) {
      EXPECT_EQ(PersonOf(id), 0u);
      continue;
    }
    uint64_t person = PersonOf(id);
    ASSERT_NE(person, 0u);
    auto [it, inserted] = person_of_root.emplace(find(name(id)), person);
    EXPECT_EQ(it->second, person) << "one component split across persons";
  }
  std::set<uint64_t> distinct;
  for (const auto& [root, person] : person_of_root) distinct.insert(person);
  EXPECT_EQ(distinct.size(), person_of_root.size()) << "two components fused into one person";
}

// Persons with more than 64 identifiers are merged by following merged_into, not by
// re-pointing their identifiers. A run of such merges, each into an older person (hub
// devices gather anonymous visitors without limit), makes chains longer than 64 hops;
// they must still resolve.
TEST_F(IdentityGraphTest, LongMergeChainsOfLargePersonsResolve) {
  constexpr int kPersons = 70;
  constexpr int kIdsEach = 66;
  auto anon = [](int person_idx, int id_idx) { return Anon(StrCat("p", person_idx, "-", id_idx)); };
  for (int person_idx = 0; person_idx < kPersons; ++person_idx) {
    See({anon(person_idx, 0)});
    for (int id_idx = 1; id_idx < kIdsEach; ++id_idx) See({anon(person_idx, 0), anon(person_idx, id_idx)});
  }
  // The newest person into the one before it, that one into the one before, ...
  for (int person_idx = kPersons - 1; person_idx > 0; --person_idx) {
    Resolution merged = See({anon(person_idx - 1, 0), anon(person_idx, 0)});
    ASSERT_EQ(merged.merges, 1) << person_idx;
  }
  uint64_t first = PersonOf(anon(0, 0));
  ASSERT_NE(first, 0u);
  EXPECT_EQ(PersonOf(anon(kPersons - 1, kIdsEach - 1)), first);
  auto record = IdentityGraph::ReadPerson(store_.get(), kPersons);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->identifiers.size(), static_cast<size_t>(kPersons * kIdsEach));
  // And the writer still resolves through the chain.
  Resolution again = See({anon(kPersons - 1, 1), Anon("new-visitor")});
  EXPECT_EQ(again.person, first);
}

}  // namespace
}  // namespace aidmp::identity
