// aidmp_bench_recommend_serving: issue 5's serving figures on a MovieLens-1M-sized shop.
// Generates 6,040 people x 3,706 items with ~1M views (each person favours two of 18
// genres; items are Zipf-popular within their genre), ingests them through the engine's
// collector, trains for serving (aidmp train recommender's code), then measures
//   - latency of GET /v1/recommendations/{person}?k=10 over HTTP at a fixed offered rate,
//     open loop (no coordinated omission), against GET /healthz at the same rate in the
//     same run (the HTTP floor of this machine), and GET /v1/items/{id}/similar?k=10;
//   - the same list in process (RecommendationService::Recommend, no HTTP);
//   - training time per stage, model size, and how many recommended items fall in the
//     person's favourite genres (a sanity figure: the popular list's share beside it).
// Flags: --quick (a tenth of the people), --rate=2000, --seconds=10, --connections=8,
// --algo=auto. docs/benchmarks.md keeps the figures.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_set>

#include "bench/bench_util.h"
#include "bench/open_loop.h"
#include "collect/engine.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "profile/person_document.h"
#include "recserve/recommendation_service.h"
#include "serve/http_server.h"

namespace aidmp::bench {
namespace {

constexpr int kGenres = 18;

struct Shop {
  int32_t people = 0, items = 0;
  std::vector<int> genre_of_item;
  std::vector<std::pair<int, int>> favourites;  // per person
  std::vector<std::vector<int32_t>> views;      // per person
  uint64_t interactions = 0;
};

Shop Generate(int32_t people, int32_t items, uint64_t target, uint64_t seed) {
  Shop shop;
  shop.people = people;
  shop.items = items;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int32_t>> by_genre(kGenres);
  for (int32_t item = 0; item < items; ++item) {
    int genre = static_cast<int>(Mix(seed, item) % kGenres);
    shop.genre_of_item.push_back(genre);
    by_genre[genre].push_back(item);
  }
  // Zipf(1) within each genre, as cumulative weights.
  std::vector<std::vector<double>> cumulative(kGenres);
  for (int genre = 0; genre < kGenres; ++genre) {
    double total = 0;
    for (size_t rank = 0; rank < by_genre[genre].size(); ++rank) cumulative[genre].push_back(total += 1.0 / (rank + 1));
  }
  std::lognormal_distribution<double> activity(0, 0.9);
  std::vector<double> weights(people);
  double weight_sum = 0;
  for (auto& weight : weights) weight_sum += weight = activity(rng);
  std::uniform_int_distribution<int> any_genre(0, kGenres - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int32_t person = 0; person < people; ++person) {
    int first = any_genre(rng), second = (first + 1 + any_genre(rng) % (kGenres - 1)) % kGenres;
    shop.favourites.emplace_back(first, second);
    int64_t degree = std::clamp<int64_t>(static_cast<int64_t>(target * weights[person] / weight_sum), 20, items / 4);
    std::unordered_set<int32_t> seen;
    for (int attempt = 0; static_cast<int64_t>(seen.size()) < degree && attempt < degree * 20; ++attempt) {
      double draw = unit(rng);
      int genre = draw < 0.45 ? first : draw < 0.8 ? second : any_genre(rng);
      const auto& weights_of = cumulative[genre];
      if (weights_of.empty()) continue;
      size_t rank = std::lower_bound(weights_of.begin(), weights_of.end(), unit(rng) * weights_of.back()) - weights_of.begin();
      seen.insert(by_genre[genre][std::min(rank, by_genre[genre].size() - 1)]);
    }
    shop.views.emplace_back(seen.begin(), seen.end());
    shop.interactions += seen.size();
  }
  return shop;
}

void Print(const char* name, OpenLoopResult& result) {
  std::printf("  %-34s %8.0f req/s  p50 %7.3f ms  p90 %7.3f  p99 %7.3f  p99.9 %7.3f  max %7.3f  failed %llu\n", name,
              result.achieved_per_second, result.p50_ms, result.p90_ms, result.p99_ms, result.p999_ms, result.max_ms,
              static_cast<unsigned long long>(result.failed_requests));
  if (!result.first_error.empty()) std::printf("    first error: %s\n", result.first_error.c_str());
}

int Run(int argc, char** argv) {
  bool quick = false;
  double rate = 2000, seconds = 10;
  int connections = 8;
  std::string algo = "auto";
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string arg = argv[arg_idx];
    if (arg == "--quick") quick = true;
    else if (arg.rfind("--rate=", 0) == 0) rate = std::stod(arg.substr(7));
    else if (arg.rfind("--seconds=", 0) == 0) seconds = std::stod(arg.substr(10));
    else if (arg.rfind("--connections=", 0) == 0) connections = std::stoi(arg.substr(14));
    else if (arg.rfind("--algo=", 0) == 0) algo = arg.substr(7);
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--rate=2000] [--seconds=10] [--connections=8] [--algo=auto]\n", argv[0]);
      return 2;
    }
  }
  const int32_t people = quick ? 604 : 6040;
  const uint64_t target = quick ? 100'000 : 1'000'000;
  std::printf("aidmp_bench_recommend_serving: %d people, 3706 items, ~%llu views (MovieLens-1M-sized)%s\n", people,
              static_cast<unsigned long long>(target), quick ? ", quick" : "");
  std::printf("machine: %s\n", DescribeMachine("/tmp").c_str());

  auto generated_at = SteadyClock::now();
  Shop shop = Generate(people, 3706, target, 42);
  std::printf("generated %llu views in %.1f s\n", static_cast<unsigned long long>(shop.interactions), SecondsSince(generated_at));

  CleanupRegistry cleanups;
  cleanups.InstallSignalHandler();
  auto scratch = ScratchDir::Create("/tmp", "aidmp-recserve-bench-", &cleanups);
  if (!scratch.ok()) {
    std::fprintf(stderr, "%s\n", scratch.status().ToString().c_str());
    return 1;
  }
  collect::EngineOptions options;
  options.write_keys = {{"wk", "bench"}};
  options.background_processors = false;
  auto engine = collect::Engine::Open((*scratch)->path(), options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }
  // Ingest through the collector, 400 events a batch, times over the last 60 days.
  auto ingest_at = SteadyClock::now();
  const std::string auth = StrCat("Basic ", Base64Encode("wk:"));
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string body;
  int in_batch = 0;
  uint64_t message = 0, stored = 0;
  auto flush = [&] {
    if (in_batch == 0) return true;
    body += "]}";
    auto result = (*engine)->collector()->Handle("batch", auth, body);
    if (!result.ok()) {
      std::fprintf(stderr, "ingest: %s\n", result.status().ToString().c_str());
      return false;
    }
    stored += result->stored;
    body.clear();
    in_batch = 0;
    return true;
  };
  for (int32_t person = 0; person < people; ++person) {
    for (int32_t item : shop.views[person]) {
      if (in_batch == 0) body = "{\"batch\":[";
      int64_t ts = now_s - static_cast<int64_t>(Mix(++message) % (60 * 86400));
      StrAppend(&body, in_batch ? "," : "", "{\"type\":\"track\",\"userId\":\"u", person,
                "\",\"event\":\"Product Viewed\",\"messageId\":\"m", message, "\",\"timestamp\":\"", FormatIso8601Micros(ts * kMicrosPerSecond),
                "\",\"properties\":{\"product_id\":\"i", item, "\",\"category\":\"genre ", shop.genre_of_item[item], "\"}}");
      if (++in_batch == 400 && !flush()) return 1;
    }
  }
  if (!flush()) return 1;
  double collect_seconds = SecondsSince(ingest_at);
  if (auto status = (*engine)->CatchUpProcessors(); !status.ok()) {
    std::fprintf(stderr, "processors: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("ingested %llu events: %.1f s collect + %.1f s processors\n", static_cast<unsigned long long>(stored),
              collect_seconds, SecondsSince(ingest_at) - collect_seconds);

  // Train for serving, timing each stage.
  recserve::RecommendationService service((*engine)->store(), (*engine)->data_dir(), &(*engine)->profile_model().config(),
                                          (*engine)->memberships(), (*engine)->clock());
  recserve::TrainOptions train;
  train.algo = algo;
  std::map<std::string, double> stage_done;
  auto train_at = SteadyClock::now();
  auto version = service.Train(train, [&](std::string_view stage, double fraction) {
    if (fraction >= 1) stage_done[std::string(stage)] = SecondsSince(train_at);
  });
  if (!version.ok()) {
    std::fprintf(stderr, "train: %s\n", version.status().ToString().c_str());
    return 1;
  }
  auto model = service.model();
  auto infos = service.models().List();
  std::printf("trained %s v%llu in %.2f s (read events %.2f s, fit %.2f s, rank %.2f s, similar items %.2f s); "
              "model file %.1f MB; RSS %.0f MB\n",
              model->algo.c_str(), static_cast<unsigned long long>(*version), SecondsSince(train_at), stage_done["read"],
              stage_done["fit"] - stage_done["read"], stage_done["rank"] - stage_done["fit"],
              stage_done["similar"] - stage_done["rank"], infos.ok() && !infos->empty() ? (*infos)[0].bytes / 1e6 : 0.0,
              ReadMemory().rss / 1e6);

  // Person ids, and the sanity figure: recommended items in the person's two genres.
  std::vector<uint64_t> persons(people);
  for (int32_t person = 0; person < people; ++person) {
    auto record = profile::FindPerson((*engine)->store(), {identity::IdType::kUserId, StrCat("u", person)});
    persons[person] = record.ok() ? record->id : 0;
  }
  recserve::RecommendRequest request;
  auto popular = service.Popular(request);
  uint64_t listed = 0, in_favourites = 0, popular_in_favourites = 0;
  LatencyHistogram in_process;
  for (int round = 0; round < 4; ++round) {
    for (int32_t person = 0; person < people; ++person) {
      auto started = SteadyClock::now();
      auto result = service.Recommend(persons[person], request);
      in_process.Add(SecondsSince(started) * 1e6);
      if (round > 0 || !result.ok()) continue;
      auto [first, second] = shop.favourites[person];
      for (const auto& entry : result->items) {
        int genre = shop.genre_of_item[std::stoi(model->items[entry.item].id.substr(1))];
        in_favourites += genre == first || genre == second;
        ++listed;
      }
      for (const auto& entry : popular->items) {
        int genre = shop.genre_of_item[std::stoi(model->items[entry.item].id.substr(1))];
        popular_in_favourites += genre == first || genre == second;
      }
    }
  }
  std::printf("top 10 in the person's two favourite genres: %.1f%% (popular list: %.1f%%)\n",
              100.0 * in_favourites / std::max<uint64_t>(listed, 1),
              100.0 * popular_in_favourites / std::max<uint64_t>(popular->items.size() * people, 1));
  std::printf("in process (Recommend, k=10, %zu calls): p50 %.1f us  p99 %.1f us  max %.1f us\n", in_process.count(),
              in_process.Quantile(0.5), in_process.Quantile(0.99), in_process.Quantile(1));

  // Over HTTP, open loop.
  serve::ServerOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.port = 0;
  server_options.admin_key = "admin";
  server_options.threads = connections + 4;
  serve::HttpServer server(engine->get(), server_options);
  if (auto status = server.Start(); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  OpenLoopOptions loop;
  loop.requests_per_second = rate;
  loop.connections = connections;
  loop.seconds = seconds;
  const httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  auto expect_ok = [](const httplib::Result& res) -> std::string {
    if (!res) return StrCat("HTTP error ", static_cast<int>(res.error()));
    if (res->status != 200) return StrCat("status ", res->status, ": ", res->body.substr(0, 200));
    return "";
  };
  std::printf("over HTTP, open loop at %.0f requests/s on %d connections, %.0f s each:\n", rate, connections, seconds);
  OpenLoopResult floor = RunOpenLoop(server.port(), loop, [&](httplib::Client& client, int, uint64_t) {
    return expect_ok(client.Get("/healthz"));
  });
  Print("GET /healthz (baseline)", floor);
  OpenLoopResult recs = RunOpenLoop(server.port(), loop, [&](httplib::Client& client, int worker, uint64_t n) {
    uint64_t person = persons[Mix(worker, n) % persons.size()];
    return expect_ok(client.Get(StrCat("/v1/recommendations/", person, "?k=10").c_str(), admin));
  });
  Print("GET /v1/recommendations/{id}?k=10", recs);
  OpenLoopResult similar = RunOpenLoop(server.port(), loop, [&](httplib::Client& client, int worker, uint64_t n) {
    const auto& item = model->items[model->by_popularity[Mix(worker, n) % 1000]];
    return expect_ok(client.Get(StrCat("/v1/items/", item.id, "/similar?k=10").c_str(), admin));
  });
  Print("GET /v1/items/{id}/similar?k=10", similar);
  server.Stop();
  std::printf("p99 recommendations / p99 healthz: %.2fx; target p99 < 5 ms at 2,000/s: %s\n",
              recs.p99_ms / std::max(floor.p99_ms, 1e-9),
              recs.p99_ms < 5 && recs.achieved_per_second >= 0.98 * 2000 && recs.failed_requests == 0 ? "met" : "MISSED");
  return 0;
}

}  // namespace
}  // namespace aidmp::bench

int main(int argc, char** argv) { return aidmp::bench::Run(argc, argv); }
