// aidmp_bench_identity: identity resolution speed (issue 3). On one thread it resolves a
// generated graph of about 10 million identifiers and 20 million edges with the batch
// resolver (identity/batch_resolver.h), measuring wall time, CPU time and the growth of
// peak resident memory. As the baseline, in the same run, the streaming IdentityGraph
// over RocksDB resolves a smaller log from the same generator (a prefix of the big log
// would not do: its people have barely begun, so it has almost no merges), and the batch
// resolver resolves that log too; the two must give every identifier the same person.
// docs/benchmarks.md records the results and how to read them.
//
//   aidmp_bench_identity [--quick] [--people=2650000] [--streaming-people=80000]
//                        [--dir=/tmp] [--seed=7] [--write-to]
//
// The log: people have 1-3 devices (55/33/12 %), each device an anonymousId (a second
// one on 15 %: cleared cookies); half log in with a userId, on each of their devices; 4 %
// have an email (a 64-hex hash); 0.5 % use one of 50 hub devices (shop kiosks, family
// tablets) that many people share. Beyond those first sightings, return visits repeat
// a person's pairs (3-9 events per person in all). People act at once: a seeded
// permutation spreads every person's events over the whole log. An event carrying k
// identifiers counts as k-1 edges (the links resolution must process; return visits
// included). Identifiers look like real ones (UUIDs, user ids, hex hashes), so hashing
// and comparing cost what they would.
//
// The events are generated while they are resolved, in chunks of 1024 handed to
// ResolveBatch, as a rebuild reads the event log in chunks; a separate pass measures
// the generator alone, and the resolver's time is the difference.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "bench/bench_util.h"
#include "common/logging.h"
#include "common/strings.h"
#include "identity/batch_resolver.h"
#include "identity/identity_graph.h"
#include "storage/store.h"

namespace aidmp::bench {
namespace {

using identity::BatchResolver;
using identity::Identifier;
using identity::IdType;

// The targets for the whole graph.
constexpr double kTargetSeconds = 10;
constexpr double kTargetBytes = 2.0 * (1 << 30);
constexpr double kTargetIdentifiers = 10e6;
constexpr double kTargetEdges = 20e6;

// A bijection of [0, size): keyed rounds of xorshift and odd multiplication (each
// invertible on k-bit numbers) over the next power of two, cycle-walking back into
// range (fewer than two steps on average).
class Permutation {
 public:
  Permutation(uint64_t size, uint64_t seed) : size_(size) {
    while ((uint64_t{1} << bits_) < size) ++bits_;
    mask_ = (uint64_t{1} << bits_) - 1;
    for (auto& key : keys_) key = Mix(seed, &key - keys_.data()) | 1;
  }
  uint64_t operator()(uint64_t index) const {
    do index = Round(index); while (index >= size_);
    return index;
  }

 private:
  uint64_t Round(uint64_t x) const {
    int shift = std::max(1, bits_ / 2);
    for (uint64_t key : keys_) {
      x = (x * key) & mask_;
      x ^= x >> shift;
      x = (x + (key >> 17)) & mask_;
    }
    return x;
  }
  uint64_t size_;
  int bits_ = 1;
  uint64_t mask_ = 1;
  std::array<uint64_t, 3> keys_{};
};

constexpr int kSlotsPerPerson = 12;
constexpr int kHubs = 50;

// Where one event is generated: a vector per event size, so that the strings keep their
// capacity and generating allocates nothing.
class EventBuffer {
 public:
  EventBuffer() {
    for (int size_idx = 0; size_idx < 4; ++size_idx) {
      by_size_[size_idx].resize(size_idx + 1);
      for (auto& id : by_size_[size_idx]) id.value.reserve(64);
    }
  }
  std::vector<Identifier>* Sized(int size) { return &by_size_[size - 1]; }

 private:
  std::array<std::vector<Identifier>, 4> by_size_;
};

// The generated log: event e of the log is slot Permutation(e) of person slot / 12.
class IdentityLog {
 public:
  IdentityLog(uint64_t people, uint64_t seed)
      : people_(people), seed_(seed), permutation_(people * kSlotsPerPerson, seed) {}

  uint64_t slots() const { return people_ * kSlotsPerPerson; }

  // Event `index` of the log, generated into `buffer`; nullptr for an empty slot.
  const std::vector<Identifier>* Event(uint64_t index, EventBuffer* buffer) const {
    uint64_t slot = permutation_(index);
    uint64_t person = slot / kSlotsPerPerson;
    auto slot_idx = static_cast<int>(slot % kSlotsPerPerson);
    Person shape = Shape(person);
    // First sightings: each anonymousId on its device, a login on each device, the
    // email, the hub; then return visits up to the person's activity.
    int first = shape.anons_total + (shape.user ? shape.devices : 0) + shape.email + shape.hub;
    int events = std::max(first, shape.activity);
    if (slot_idx >= events) return nullptr;
    int pick = slot_idx;
    if (pick >= first) pick = static_cast<int>(Mix(person, seed_ + 1000 + slot_idx) % first);
    std::vector<Identifier>* out = nullptr;
    if (pick < shape.anons_total) {
      int device = 0, anon = pick;
      while (anon >= shape.anons[device]) anon -= shape.anons[device++];
      out = buffer->Sized(2);
      Anon(person, device, anon, &(*out)[0]);
      Device(person, device, &(*out)[1]);
      return out;
    }
    pick -= shape.anons_total;
    if (shape.user && pick < shape.devices) {
      out = buffer->Sized(3);
      User(person, &(*out)[0]);
      Anon(person, pick, 0, &(*out)[1]);
      Device(person, pick, &(*out)[2]);
      return out;
    }
    if (shape.user) pick -= shape.devices;
    out = buffer->Sized(2);
    if (shape.user) {
      User(person, &(*out)[0]);
    } else {
      Anon(person, 0, 0, &(*out)[0]);
    }
    if (shape.email && pick == 0) {
      Email(person, &(*out)[1]);
    } else {
      HubDevice(Mix(person, seed_ + 77) % kHubs, &(*out)[1]);
    }
    return out;
  }

 private:
  struct Person {
    int devices;
    std::array<int, 3> anons;
    int anons_total;
    bool user;
    int email;
    int hub;
    int activity;  // events including return visits
  };

  Person Shape(uint64_t person) const {
    uint64_t bits = Mix(person, seed_);
    Person shape{};
    uint64_t roll = bits % 100;
    shape.devices = roll < 55 ? 1 : roll < 88 ? 2 : 3;
    bits /= 100;
    for (int device_idx = 0; device_idx < shape.devices; ++device_idx) {
      shape.anons[device_idx] = bits % 100 < 15 ? 2 : 1;
      shape.anons_total += shape.anons[device_idx];
      bits /= 100;
    }
    shape.user = bits % 2 == 1;
    bits /= 2;
    shape.email = bits % 100 < 4 ? 1 : 0;
    bits /= 100;
    shape.hub = bits % 1000 < 5 ? 1 : 0;
    bits /= 1000;
    shape.activity = 3 + static_cast<int>(bits % 7);  // 3..9
    return shape;
  }

  static void Uuid(uint64_t high, uint64_t low, std::string* out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out->resize(36);
    char* text = out->data();
    auto bytes = [&](uint64_t word, int from_byte, int to_byte) {
      for (int byte_idx = from_byte; byte_idx < to_byte; ++byte_idx) {
        auto byte = static_cast<unsigned>(word >> (8 * (7 - byte_idx))) & 0xff;
        *text++ = kHex[byte >> 4];
        *text++ = kHex[byte & 15];
      }
    };
    bytes(high, 0, 4);
    *text++ = '-';
    bytes(high, 4, 6);
    *text++ = '-';
    bytes(high, 6, 8);
    *text++ = '-';
    bytes(low, 0, 2);
    *text++ = '-';
    bytes(low, 2, 8);
  }
  void Anon(uint64_t person, int device, int anon, Identifier* out) const {
    out->type = IdType::kAnonymousId;
    uint64_t key = (person << 4) | static_cast<uint64_t>(device << 1 | anon);
    Uuid(Mix(key, seed_ + 1), Mix(key, seed_ + 2), &out->value);
  }
  void Device(uint64_t person, int device, Identifier* out) const {
    out->type = IdType::kDeviceId;
    uint64_t key = (person << 2) | static_cast<uint64_t>(device);
    Uuid(Mix(key, seed_ + 3), Mix(key, seed_ + 4), &out->value);
  }
  void HubDevice(uint64_t hub, Identifier* out) const {
    out->type = IdType::kDeviceId;
    Uuid(Mix(hub, seed_ + 5), Mix(hub, seed_ + 6), &out->value);
  }
  void User(uint64_t person, Identifier* out) const {
    out->type = IdType::kUserId;
    out->value.assign("u");
    StrAppend(&out->value, person);
  }
  void Email(uint64_t person, Identifier* out) const {
    out->type = IdType::kEmailHash;
    std::string second;
    Uuid(Mix(person, seed_ + 7), Mix(person, seed_ + 8), &out->value);
    Uuid(Mix(person, seed_ + 9), Mix(person, seed_ + 10), &second);
    out->value.append(second);
    std::erase(out->value, '-');
  }

  uint64_t people_;
  uint64_t seed_;
  Permutation permutation_;
};

struct Flags {
  uint64_t people = 2'650'000;
  uint64_t streaming_people = 80'000;
  std::string dir;
  uint64_t seed = 7;
  bool quick = false;
  bool write_to = false;
};

constexpr char kUsage[] =
    "usage: aidmp_bench_identity [--quick] [--people=2650000] [--streaming-people=80000] [--dir=/tmp] [--seed=7]\n"
    "                            [--write-to]\n"
    "  --quick             a 10x smaller graph and baseline, to check that everything runs\n"
    "  --write-to          also time BatchResolver::WriteTo of the big graph into a fresh store in --dir\n"
    "  --people            people in the generated log (2.65M give about 10M identifiers, 20M edges)\n"
    "  --streaming-people  people in the log the streaming IdentityGraph baseline resolves over RocksDB\n"
    "                      (80,000 give about 490,000 events)\n"
    "  --dir               where the baseline's scratch database goes (default $TMPDIR or /tmp)\n";

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  const char* tmpdir = std::getenv("TMPDIR");
  flags.dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  bool people_given = false, streaming_given = false;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string_view arg = argv[arg_idx];
    size_t equals = arg.find('=');
    std::string_view name = arg.substr(0, equals);
    std::string_view value = equals == std::string_view::npos ? "" : arg.substr(equals + 1);
    auto bad = [&] { return absl::InvalidArgumentError(StrCat("bad flag '", arg, "'\n", kUsage)); };
    if (name == "--quick") {
      flags.quick = true;
    } else if (name == "--people") {
      if (!ParseNumber(value, &flags.people) || flags.people == 0 || flags.people > (uint64_t{1} << 28)) return bad();
      people_given = true;
    } else if (name == "--streaming-people") {
      if (!ParseNumber(value, &flags.streaming_people) || flags.streaming_people == 0 ||
          flags.streaming_people > (uint64_t{1} << 28)) {
        return bad();
      }
      streaming_given = true;
    } else if (name == "--dir" && !value.empty()) {
      flags.dir = std::string(value);
    } else if (name == "--write-to") {
      flags.write_to = true;
    } else if (name == "--seed") {
      if (!ParseNumber(value, &flags.seed)) return bad();
    } else {
      return bad();
    }
  }
  if (flags.quick) {
    if (!people_given) flags.people /= 10;
    if (!streaming_given) flags.streaming_people /= 10;
  }
  return flags;
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so that the next peak is this phase's.
bool ResetPeak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  return static_cast<bool>(clear.flush());
}

std::string Mib(double bytes) { return StrCat(Fixed(bytes / (1 << 20), 0), " MiB"); }

// The log read in chunks, as a rebuild reads the event log: each chunk's events are
// generated into their own buffers and handed to ResolveBatch together.
class ChunkReader {
 public:
  static constexpr size_t kChunkEvents = 1024;

  explicit ChunkReader(const IdentityLog* log) : log_(log), buffers_(kChunkEvents) {}

  // The next chunk; empty at the end of the log.
  const std::vector<BatchResolver::EventRef>& Next() {
    refs_.clear();
    while (refs_.size() < kChunkEvents && index_ < log_->slots()) {
      const auto* ids = log_->Event(index_++, &buffers_[refs_.size()]);
      if (ids == nullptr) continue;
      ++seq_;
      refs_.push_back({ids, seq_, static_cast<int64_t>(seq_)});
    }
    return refs_;
  }

 private:
  const IdentityLog* log_;
  std::vector<EventBuffer> buffers_;
  std::vector<BatchResolver::EventRef> refs_;
  uint64_t index_ = 0;
  uint64_t seq_ = 0;
};

struct BatchRun {
  uint64_t events = 0;
  uint64_t edges = 0;
  double seconds = 0;  // generating and resolving
  double cpu_seconds = 0;
  double generate_seconds = 0;  // generating alone, measured in a separate pass
  uint64_t identifiers = 0, persons = 0, merges = 0, blocked = 0;
  uint64_t canonical_persons = 0;
  size_t table_bytes = 0;
  Memory before, after;
  bool peak_reset = false;
  double resolve_seconds() const { return std::max(0.0, seconds - generate_seconds); }
  double peak_growth() const { return peak_reset ? static_cast<double>(after.peak) - before.rss : 0; }
};

// Reads the whole log without resolving it: the generator's own cost.
double TimeGenerator(const IdentityLog& log, uint64_t* checksum) {
  SteadyClock::time_point start = SteadyClock::now();
  ChunkReader reader(&log);
  for (const auto* chunk = &reader.Next(); !chunk->empty(); chunk = &reader.Next()) {
    for (const auto& event : *chunk) *checksum += static_cast<unsigned char>(event.ids->back().value.back());
  }
  return SecondsSince(start);
}

// Resolves the whole log in batch, with tables sized for `expected_identifiers` (0: grown
// as needed); keeps the resolver in `keep` if given.
absl::StatusOr<BatchRun> RunBatch(const IdentityLog& log, std::unique_ptr<BatchResolver>* keep = nullptr,
                                  size_t expected_identifiers = 0) {
  BatchRun run;
  uint64_t checksum = 0;
  run.generate_seconds = TimeGenerator(log, &checksum);
  run.peak_reset = ResetPeak();
  run.before = ReadMemory();
  double cpu_start = ProcessCpuSeconds();
  SteadyClock::time_point start = SteadyClock::now();
  identity::BatchResolverOptions sizing;
  sizing.expected_identifiers = expected_identifiers;
  auto made = BatchResolver::Create(identity::IdentityRules(), sizing);
  if (!made.ok()) return made.status();
  BatchResolver& resolver = **made;
  ChunkReader reader(&log);
  for (const auto* chunk = &reader.Next(); !chunk->empty(); chunk = &reader.Next()) {
    for (const auto& event : *chunk) run.edges += event.ids->size() - 1;
    run.events += chunk->size();
    absl::Status status = resolver.ResolveBatch(*chunk, nullptr);
    if (!status.ok()) return status;
  }
  run.seconds = SecondsSince(start);
  run.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  run.after = ReadMemory();
  run.identifiers = resolver.identifier_count();
  run.persons = resolver.person_count();
  run.merges = resolver.merge_count();
  run.blocked = resolver.blocked_merge_count();
  // Each merge that was not blocked ends one person.
  run.canonical_persons = run.persons - (run.merges - run.blocked);
  run.table_bytes = resolver.MemoryBytes();
  if (keep != nullptr) *keep = std::move(*made);
  return run;
}

struct StreamingRun {
  uint64_t events = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t persons = 0, merges = 0, blocked = 0;
  uint64_t disk_bytes = 0;
  // The batch resolver on the same log, and whether every identifier sighting of the
  // log has the same person in both.
  std::optional<BatchRun> batch;
  uint64_t owners_compared = 0, owners_differing = 0;
};

// The streaming IdentityGraph as the persons processor drives it: batches of 4096
// events, each staged into one WriteBatch written unsynced (log/processor_runner.cc).
absl::StatusOr<StreamingRun> RunStreaming(const IdentityLog& log, const std::string& path) {
  StreamingRun run;
  {
    auto store = storage::Store::Open(path, storage::StoreOptions());
    if (!store.ok()) return store.status();
    identity::IdentityGraph graph(store->get(), identity::IdentityRules());
    EventBuffer buffer;
    double cpu_start = ProcessCpuSeconds();
    SteadyClock::time_point start = SteadyClock::now();
    uint64_t index = 0;
    while (index < log.slots()) {
      graph.BeginBatch();
      storage::WriteBatch batch(store->get());
      for (int event_idx = 0; event_idx < 4096 && index < log.slots(); ++index) {
        const auto* ids = log.Event(index, &buffer);
        if (ids == nullptr) continue;
        ++event_idx;
        ++run.events;
        auto resolution = graph.Resolve(*ids, run.events, static_cast<int64_t>(run.events), &batch);
        if (!resolution.ok()) return resolution.status();
      }
      absl::Status status = (*store)->Write(&batch, /*sync=*/false);
      if (!status.ok()) return status;
    }
    run.seconds = SecondsSince(start);
    run.cpu_seconds = ProcessCpuSeconds() - cpu_start;
    run.persons = (*store)->ReadCounter(storage::CounterKey("identity_persons"));
    run.merges = (*store)->ReadCounter(storage::CounterKey("identity_merges"));
    run.blocked = (*store)->ReadCounter(storage::CounterKey("identity_merges_blocked"));
    run.disk_bytes = (*store)->ApproximateDiskBytes();

    std::unique_ptr<BatchResolver> resolver;
    auto batch_run = RunBatch(log, &resolver);
    if (!batch_run.ok()) return batch_run.status();
    run.batch = *batch_run;
    for (uint64_t slot = 0; slot < log.slots(); ++slot) {
      const auto* ids = log.Event(slot, &buffer);
      if (ids == nullptr) continue;
      for (const auto& id : *ids) {
        auto streamed = identity::IdentityGraph::Lookup(store->get(), id);
        if (!streamed.ok() && !absl::IsNotFound(streamed.status())) return streamed.status();
        ++run.owners_compared;
        if ((streamed.ok() ? *streamed : 0) != resolver->Owner(id)) ++run.owners_differing;
      }
    }
  }
  std::error_code error;
  std::filesystem::remove_all(path, error);
  return run;
}

std::string Millions(double value) { return StrCat(Fixed(value / 1e6, 2), "M"); }
std::string PerSecond(double events, double seconds) {
  return seconds > 0 ? StrCat(Thousands(events / seconds), " ev/s") : "n/a";
}
std::string Micros(double seconds, uint64_t events) { return events > 0 ? Fixed(seconds * 1e6 / events, 2) : ""; }

int Run(const Flags& flags) {
  CleanupRegistry cleanups;
  cleanups.InstallSignalHandler();
  auto scratch = ScratchDir::Create(flags.dir, "aidmp-bench-identity-", &cleanups);
  if (!scratch.ok()) {
    std::cerr << scratch.status().message() << "\n";
    return 2;
  }
  std::cout << "machine: " << DescribeMachine(flags.dir) << "\n";
  int exit_code = 0;

  IdentityLog log(flags.people, flags.seed);
  std::cout << "batch resolver: " << Thousands(static_cast<double>(flags.people)) << " people, 1 thread (load "
            << LoadAverages() << ")" << std::endl;
  std::unique_ptr<BatchResolver> resolver;
  auto batch = RunBatch(log, &resolver);
  if (!batch.ok()) {
    std::cout << "  !! batch resolver failed: " << batch.status().message() << "\n";
    return 1;
  }
  std::cout << "  " << batch->events << " events, " << batch->edges << " edges, " << batch->identifiers
            << " identifiers -> " << batch->persons << " persons created, " << batch->canonical_persons
            << " after merges; " << batch->merges << " merge log entries (" << batch->blocked << " blocked)\n"
            << "  " << Fixed(batch->seconds, 2) << " s wall (generator alone " << Fixed(batch->generate_seconds, 2)
            << " s), " << Fixed(batch->cpu_seconds, 2) << " s CPU; RSS " << Mib(batch->before.rss) << " before, "
            << Mib(batch->after.rss) << " after, peak " << Mib(batch->after.peak) << "; tables reserve "
            << Mib(static_cast<double>(batch->table_bytes)) << " of address space\n";
  if (!batch->peak_reset) std::cout << "  !! could not reset the peak RSS (/proc/self/clear_refs): no peak figure\n";
  double write_seconds = 0;
  uint64_t write_disk_bytes = 0;
  if (flags.write_to) {
    std::cout << "WriteTo a fresh store (load " << LoadAverages() << ")" << std::endl;
    std::string path = (*scratch)->Sub("written");
    auto store = storage::Store::Open(path, storage::StoreOptions());
    if (!store.ok()) {
      std::cout << "  !! " << store.status().message() << "\n";
      return 1;
    }
    SteadyClock::time_point start = SteadyClock::now();
    absl::Status status = resolver->WriteTo(store->get());
    if (status.ok()) status = (*store)->CompactAll(storage::Family::kIdentity);
    write_seconds = SecondsSince(start);
    write_disk_bytes = (*store)->ApproximateDiskBytes();
    if (!status.ok()) {
      std::cout << "  !! WriteTo failed: " << status.message() << "\n";
      return 1;
    }
    std::cout << "  " << Fixed(write_seconds, 2) << " s including a full compaction; "
              << Mib(static_cast<double>(write_disk_bytes)) << " on disk\n";
    store->reset();
    std::error_code error;
    std::filesystem::remove_all(path, error);
  }
  resolver.reset();

  // As `aidmp rebuild profiles` runs it: sized by the identifier count of the graph it
  // replaces (Engine::RebuildPersons), here the same log's.
  std::cout << "batch resolver sized as a rebuild sizes it (" << Thousands(static_cast<double>(batch->identifiers))
            << " identifiers expected; load " << LoadAverages() << ")" << std::endl;
  auto sized = RunBatch(log, nullptr, batch->identifiers);
  if (!sized.ok()) {
    std::cout << "  !! batch resolver failed: " << sized.status().message() << "\n";
    return 1;
  }
  bool sized_same = sized->identifiers == batch->identifiers && sized->persons == batch->persons &&
                    sized->merges == batch->merges && sized->blocked == batch->blocked;
  if (!sized_same) exit_code = 1;
  std::cout << "  " << Fixed(sized->seconds, 2) << " s wall (generator alone " << Fixed(sized->generate_seconds, 2)
            << " s), " << Fixed(sized->cpu_seconds, 2) << " s CPU; peak " << Mib(sized->after.peak) << "; "
            << (sized_same ? "same counts" : "DIFFERENT counts") << "\n";

  IdentityLog small_log(flags.streaming_people, flags.seed + 1);
  std::cout << "streaming IdentityGraph over RocksDB: a log of " << Thousands(static_cast<double>(flags.streaming_people))
            << " people from the same generator, batches of 4096, unsynced (load " << LoadAverages() << ")"
            << std::endl;
  auto streaming = RunStreaming(small_log, (*scratch)->Sub("streaming"));
  if (!streaming.ok()) {
    std::cout << "  !! streaming baseline failed: " << streaming.status().message() << "\n";
    return 1;
  }
  const BatchRun& small = *streaming->batch;
  bool agree = streaming->owners_differing == 0 && streaming->persons == small.persons &&
               streaming->merges + streaming->blocked == small.merges && streaming->blocked == small.blocked;
  std::cout << "  " << streaming->events << " events in " << Fixed(streaming->seconds, 2) << " s, "
            << streaming->persons << " persons, " << streaming->merges << " merges, " << streaming->blocked
            << " blocked; " << Mib(static_cast<double>(streaming->disk_bytes)) << " on disk\n"
            << "  batch on the same log: " << Fixed(small.seconds, 3) << " s, " << small.persons << " persons, "
            << small.merges - small.blocked << " merges, " << small.blocked << " blocked; "
            << streaming->owners_compared << " identifier sightings compared, " << streaming->owners_differing
            << " differ -> " << (agree ? "agree" : "DISAGREE") << "\n";
  if (!agree) exit_code = 1;

  double streaming_rate = streaming->events / streaming->seconds;
  double batch_rate = batch->events / batch->seconds;
  std::vector<ResultRow> rows;
  rows.push_back({StrCat("batch: ", Millions(batch->identifiers), " ids, ", Millions(batch->edges), " edges, ",
                         Millions(batch->events), " events"),
                  "1", StrCat(Fixed(batch->seconds, 2), " s"), Micros(batch->cpu_seconds, batch->events),
                  StrCat(PerSecond(batch->events, batch->seconds), ", ", Fixed(batch_rate / streaming_rate, 0),
                         "x streaming"),
                  "", ""});
  rows.push_back({"  generating the events (separate pass)", "1", StrCat(Fixed(batch->generate_seconds, 2), " s"),
                  Micros(batch->generate_seconds, batch->events), "", "", ""});
  rows.push_back({"  resolving (the difference)", "1", StrCat(Fixed(batch->resolve_seconds(), 2), " s"),
                  Micros(batch->resolve_seconds(), batch->events), "", "< 10 s",
                  batch->resolve_seconds() < kTargetSeconds ? "yes" : "NO"});
  rows.push_back({"  resolving, sized as a rebuild sizes it", "1", StrCat(Fixed(sized->resolve_seconds(), 2), " s"),
                  Micros(sized->resolve_seconds(), sized->events),
                  StrCat("peak RSS growth ", sized->peak_reset ? Mib(sized->peak_growth()) : "unknown"), "< 10 s",
                  sized->resolve_seconds() < kTargetSeconds ? "yes" : "NO"});
  rows.push_back({"batch: peak RSS growth while resolving", "1",
                  batch->peak_reset ? Mib(batch->peak_growth()) : "unknown", "",
                  batch->peak_reset ? StrCat(Fixed(batch->peak_growth() / std::max<uint64_t>(batch->identifiers, 1), 0),
                                             " B/identifier")
                                    : "",
                  "< 2 GiB", batch->peak_reset && batch->peak_growth() < kTargetBytes ? "yes" : "NO"});
  if (flags.write_to) {
    rows.push_back({"batch: WriteTo a fresh store, compacted", "1", StrCat(Fixed(write_seconds, 2), " s"), "",
                    StrCat(Mib(static_cast<double>(write_disk_bytes)), " on disk"), "", ""});
  }
  rows.push_back({StrCat("streaming IdentityGraph+RocksDB, ", Millions(streaming->events), " events"), "1",
                  PerSecond(streaming->events, streaming->seconds), Micros(streaming->cpu_seconds, streaming->events),
                  "baseline", "", ""});
  rows.push_back({StrCat("batch on the same ", Millions(small.events), " events"), "1",
                  PerSecond(small.events, small.seconds), Micros(small.cpu_seconds, small.events),
                  StrCat(Fixed((small.events / small.seconds) / streaming_rate, 0), "x streaming; ",
                         agree ? "same persons" : "DIFFERENT persons"),
                  "", ""});
  if (batch->identifiers < kTargetIdentifiers * 0.95 || batch->edges < kTargetEdges * 0.95) {
    std::cout << "  note: the graph is smaller than the issue's 10M identifiers / 20M edges (--people)\n";
  }
  std::cout << "\nload after the run: " << LoadAverages() << "\n\n";
  PrintTable(rows);
  return exit_code;
}

}  // namespace
}  // namespace aidmp::bench

int main(int argc, char** argv) {
  auto flags = aidmp::bench::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << flags.status().message() << "\n";
    return 2;
  }
  aidmp::InitLogging("warn");
  return aidmp::bench::Run(*flags);
}
