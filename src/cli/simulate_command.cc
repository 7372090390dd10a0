#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "audience/segments.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "common/clock.h"
#include "common/logging.h"
#include "profile/person_document.h"
#include "profile/person_processor.h"
#include "recserve/recommendation_service.h"
#include "serve/http_server.h"
#include "sim/shop_simulator.h"
#include "simdjson.h"
#include "common/strings.h"
#include "event/json_util.h"

namespace aidmp::cli {

using event::ValueOr;
namespace {

struct SimulateFlags {
  sim::ShopOptions shop;
  size_t batch_size = 100;
  int concurrency = 4;
};

void DeclareSimulateFlags(CLI::App* command, SimulateFlags* flags) {
  command->add_option("--seed", flags->shop.seed, "Random seed; the same seed sends the same traffic")
      ->capture_default_str();
  command->add_option("--shoppers", flags->shop.shoppers, "Human shoppers")->capture_default_str();
  command->add_option("--items", flags->shop.items, "Catalogue size")->capture_default_str();
  command->add_option("--days", flags->shop.days, "Days of traffic, ending now")->capture_default_str();
  command->add_option("--malformed-rate", flags->shop.malformed_rate, "Share of deliberately bad messages")
      ->capture_default_str();
  command->add_option("--duplicate-rate", flags->shop.duplicate_rate, "Share of re-sent messages")
      ->capture_default_str();
  command->add_option("--batch-size", flags->batch_size, "Events per /v1/batch request")->capture_default_str();
  command->add_option("--concurrency", flags->concurrency, "Parallel HTTP connections")->capture_default_str();
}

struct SendReport {
  sim::ShopSimulator::Counts generated;
  size_t shoppers = 0;
  std::vector<sim::Shopper> registered;  // shoppers with a userId, hidden tastes and all
  uint64_t requests = 0;
  uint64_t failed_requests = 0;
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;
  double seconds = 0;
  std::string first_error;
};

// Generates the shop's traffic and posts it to `host:port` /v1/batch over `concurrency`
// keep-alive connections.
SendReport SendTraffic(const std::string& host, int port, const std::string& write_key,
                       const SimulateFlags& flags, const Clock& clock) {
  sim::ShopOptions shop = flags.shop;
  shop.end_time_us = clock.NowMicros();
  sim::ShopSimulator simulator(shop);
  SendReport report;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> bodies;
  bool done = false;
  constexpr size_t kMaxQueued = 64;
  std::atomic<uint64_t> stored{0}, duplicates{0}, quarantined{0}, requests{0}, failed{0};
  std::string auth = StrCat("Basic ", Base64Encode(write_key + ":"));

  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> senders;
  for (int sender_idx = 0; sender_idx < std::max(1, flags.concurrency); ++sender_idx) {
    senders.emplace_back([&] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      simdjson::dom::parser parser;
      while (true) {
        std::string body;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return done || !bodies.empty(); });
          if (bodies.empty()) return;
          body = std::move(bodies.front());
          bodies.pop_front();
        }
        cv.notify_all();
        httplib::Headers headers = {{"Authorization", auth}};
        auto result = client.Post("/v1/batch", headers, body, "application/json");
        ++requests;
        if (!result || result->status != 200) {
          ++failed;
          std::lock_guard<std::mutex> lock(mu);
          if (report.first_error.empty()) {
            report.first_error = result ? StrCat("HTTP ", result->status, ": ", result->body.substr(0, 200))
                                        : StrCat("connection failed: ", httplib::to_string(result.error()));
          }
          continue;
        }
        simdjson::dom::element answer;
        if (parser.parse(result->body).get(answer) != simdjson::SUCCESS) continue;
        stored += ValueOr(answer["stored"].get_uint64(), uint64_t{0});
        duplicates += ValueOr(answer["duplicates"].get_uint64(), uint64_t{0});
        quarantined += ValueOr(answer["quarantined"].get_uint64(), uint64_t{0});
      }
    });
  }
  std::vector<sim::SimMessage> messages;
  while (!StopRequested()) {
    messages.clear();
    if (!simulator.Next(flags.batch_size, &messages)) break;
    std::string body = sim::MakeBatchBody(messages, clock.NowMicros());
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return bodies.size() < kMaxQueued; });
    bodies.push_back(std::move(body));
    cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  for (auto& sender : senders) sender.join();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.generated = simulator.counts();
  report.shoppers = simulator.shoppers().size();
  for (const auto& shopper : simulator.shoppers()) {
    if (!shopper.user_id.empty() && !shopper.is_bot) report.registered.push_back(shopper);
  }
  report.requests = requests;
  report.failed_requests = failed;
  report.stored = stored;
  report.duplicates = duplicates;
  report.quarantined = quarantined;
  return report;
}

void PrintSendReport(const SendReport& report) {
  const auto& gen = report.generated;
  std::cout << absl::StrFormat(
      "simulated shop traffic\n"
      "  messages sent      %10d  (%d identify, %d track, %d page; %d from bots)\n"
      "  deliberately bad   %10d\n"
      "  deliberately dup   %10d\n"
      "  requests           %10d  (%d failed)\n"
      "  stored             %10d\n"
      "  duplicates         %10d\n"
      "  quarantined        %10d\n"
      "  time               %10.2f s  (%.0f events/s)\n",
      gen.messages, gen.identifies, gen.tracks, gen.pages, gen.bot_messages, gen.malformed,
      gen.duplicates, report.requests, report.failed_requests, report.stored, report.duplicates,
      report.quarantined, report.seconds,
      report.seconds > 0 ? static_cast<double>(gen.messages) / report.seconds : 0.0);
  if (!report.first_error.empty()) std::cout << "  first error: " << report.first_error << "\n";
}

// Parses "http://host:port".
bool ParseUrl(const std::string& url, std::string* host, int* port) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    *host = rest;
    *port = 80;
    return !host->empty();
  }
  *host = rest.substr(0, colon);
  try {
    *port = std::stoi(rest.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  return !host->empty() && *port > 0 && *port < 65536;
}

constexpr char kDemoMarker[] = ".aidmp-demo";

// The demo owns its directory: it may wipe one it made before, never anything else.
absl::Status PrepareDemoDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(dir)) {
    if (fs::exists(fs::path(dir) / kDemoMarker)) {
      fs::remove_all(dir, error);
    } else if (!fs::is_empty(dir, error)) {
      return absl::FailedPreconditionError(StrCat(
          dir, " exists and was not made by the demo; give --data an empty or new directory"));
    }
  }
  fs::create_directories(dir, error);
  if (error) return absl::InternalError(StrCat("cannot create ", dir, ": ", error.message()));
  std::ofstream(fs::path(dir) / kDemoMarker) << "made by aidmp demo; wiped by the next demo run\n";
  return absl::OkStatus();
}

}  // namespace

namespace {

// "  <user id> (person N)\n    hidden tastes<pad><taste> <weight> ...", strongest taste
// first: the first lines of a shopper's example in the demo's report.
void AppendShopperHeading(const sim::Shopper& shopper, uint64_t person, std::string_view pad, std::string* out) {
  std::vector<std::pair<std::string, double>> tastes(shopper.hidden_tastes.begin(), shopper.hidden_tastes.end());
  std::sort(tastes.begin(), tastes.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  StrAppend(out, "  ", shopper.user_id, " (person ", person, ")\n    hidden tastes", pad);
  for (const auto& [category, weight] : tastes) StrAppend(out, absl::StrFormat("%s %.2f  ", category, weight));
}

// What the profiles learned against what the simulator hid: for each registered shopper,
// is the strongest interest tag their strongest hidden taste? Prints the rate and a few
// shoppers side by side.
void PrintInterestsAgainstTastes(collect::Engine* engine, const std::vector<sim::Shopper>& shoppers) {
  int64_t now = engine->clock()->NowMicros();
  size_t found = 0, top_matches = 0, top_in_tastes = 0, shown = 0;
  std::string examples;
  for (const auto& shopper : shoppers) {
    auto person = profile::FindPerson(engine->store(), {identity::IdType::kUserId, shopper.user_id});
    if (!person.ok()) continue;
    auto stored = profile::ReadProfile(engine->store(), person->id);
    if (!stored.ok()) continue;
    auto tags = profile::InterestsAt(*stored, engine->profile_model().config(), now);
    if (tags.empty() || shopper.hidden_tastes.empty()) continue;
    ++found;
    auto strongest = std::max_element(shopper.hidden_tastes.begin(), shopper.hidden_tastes.end(),
                                      [](const auto& a, const auto& b) { return a.second < b.second; });
    top_matches += tags[0].tag == strongest->first ? 1 : 0;
    top_in_tastes += shopper.hidden_tastes.count(tags[0].tag) ? 1 : 0;
    if (shown < 3) {
      ++shown;
      AppendShopperHeading(shopper, person->id, "  ", &examples);
      StrAppend(&examples, "\n    interest tags  ");
      for (size_t idx = 0; idx < tags.size() && idx < 4; ++idx) {
        StrAppend(&examples, absl::StrFormat("%s %.2f  ", tags[idx].tag, tags[idx].score));
      }
      StrAppend(&examples, "\n");
    }
  }
  if (found == 0) return;
  std::cout << absl::StrFormat(
      "profiles: interest tags against the shoppers' hidden tastes\n"
      "  registered shoppers with interests %6d\n"
      "  top tag = strongest hidden taste   %6.1f%%\n"
      "  top tag among hidden tastes        %6.1f%%\n",
      found, 100.0 * top_matches / found, 100.0 * top_in_tastes / found);
  std::cout << examples;
}

// Saves a few audience segments on the shop (kept in the data directory) and prints their
// sizes, counted on the engine's bitmap index.
void PrintSegments(collect::Engine* engine) {
  static const std::pair<const char*, const char*> kSegments[] = {
      {"book_lovers", R"(interest("books") >= 0.5)"},
      {"repeat_buyers", R"(did("Order Completed", count >= 2))"},
      {"big_spenders", "computed.revenue_total >= 300"},
      {"cart_abandoners", R"(did("Product Added", within: 3d) and not did("Order Completed", within: 3d))"},
      {"us_repeat_book_lovers", R"(traits.country = "US" and in_segment("book_lovers") and in_segment("repeat_buyers"))"},
  };
  audience::SegmentCatalog catalog(engine->store());
  int64_t now = engine->clock()->NowMicros();
  std::cout << "audience segments (saved in the data directory; counted on bitmaps; the first count builds the index,\n"
               "windowed did(...) reads the events of the people the counters leave undecided)\n";
  for (const auto& [name, text] : kSegments) {
    auto saved = catalog.Save(name, text, engine->profile_model(), now);
    if (!saved.ok()) {
      std::cout << "  " << name << ": " << saved.status().message() << "\n";
      continue;
    }
    // The first evaluation builds the index; the refresh stores the members (entries
    // recorded) that streaming keeps current from here on.
    auto started = std::chrono::steady_clock::now();
    auto result = engine->memberships()->Refresh(name, now);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!result.ok()) {
      std::cout << "  " << name << ": " << result.status().message() << "\n";
      continue;
    }
    std::cout << absl::StrFormat("  %-22s %6d persons  %8.2f ms   %s\n", name, result->front().size, ms, text);
  }
}

// Trains the recommender on the shop (a new model version in the data directory, which
// the running server picks up) and compares each registered shopper's list with their
// hidden tastes: how many of the recommended items fall in a category they like, against
// the popular list everyone would get.
void PrintRecommendations(collect::Engine* engine, const std::vector<sim::Shopper>& shoppers) {
  recserve::RecommendationService service(engine->store(), engine->data_dir(), &engine->profile_model().config(),
                                          engine->memberships(), engine->clock());
  auto started = std::chrono::steady_clock::now();
  auto version = service.Train(recserve::TrainOptions());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!version.ok()) {
    std::cout << "recommendations: " << version.status().message() << "\n";
    return;
  }
  auto model = service.model();
  std::cout << absl::StrFormat(
      "recommendations (model v%d, %s, trained on %d persons x %d items in %.2f s; top 10 unseen items each)\n",
      *version, model->algo, model->persons.size(), model->items.size(), seconds);
  recserve::RecommendRequest request;
  auto popular = service.Popular(request);
  if (!popular.ok()) return;
  auto in_tastes = [&](const sim::Shopper& shopper, int32_t item) {
    for (const auto& category : model->items[item].categories) {
      if (shopper.hidden_tastes.count(category)) return true;
    }
    return false;
  };
  size_t measured = 0, personal_hits = 0, popular_hits = 0, listed = 0, shown = 0;
  std::string examples;
  for (const auto& shopper : shoppers) {
    if (shopper.hidden_tastes.empty()) continue;
    auto person = profile::FindPerson(engine->store(), {identity::IdType::kUserId, shopper.user_id});
    if (!person.ok()) continue;
    auto result = service.Recommend(person->id, request);
    if (!result.ok() || !result->personalized) continue;
    ++measured;
    for (const auto& entry : result->items) personal_hits += in_tastes(shopper, entry.item) ? 1 : 0;
    for (const auto& entry : popular->items) popular_hits += in_tastes(shopper, entry.item) ? 1 : 0;
    listed += result->items.size();
    if (shown < 3) {
      ++shown;
      AppendShopperHeading(shopper, person->id, "    ", &examples);
      StrAppend(&examples, "\n    recommended      ");
      for (size_t i = 0; i < result->items.size() && i < 5; ++i) {
        const auto& item = model->items[result->items[i].item];
        StrAppend(&examples, item.id, " (", item.categories.empty() ? "?" : item.categories[0], ")  ");
      }
      StrAppend(&examples, "\n");
    }
  }
  if (measured == 0 || listed == 0) return;
  std::cout << absl::StrFormat(
      "  registered shoppers with a personal list %6d\n"
      "  recommended items in a hidden taste      %6.1f%%   (the popular list: %.1f%%)\n",
      measured, 100.0 * personal_hits / listed, 100.0 * popular_hits / (measured * popular->items.size()));
  std::cout << examples;
}

}  // namespace

void AddSimulateCommands(CLI::App& app, int* exit_code) {
  struct Flags {
    SimulateFlags simulate;
    std::string url = "http://127.0.0.1:8080";
    std::string write_key;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* simulate = app.add_subcommand(
      "simulate", "Send a simulated shop's traffic (seeded) to a running aidmp serve over HTTP");
  DeclareSimulateFlags(simulate, &flags->simulate);
  simulate->add_option("--url", flags->url, "The collector's base URL")->capture_default_str();
  simulate->add_option("--write-key", flags->write_key, "Write key to send with")->required();
  simulate->callback([flags, exit_code] {
    InitLogging("warn");
    InstallStopSignals();
    std::string host;
    int port;
    if (!ParseUrl(flags->url, &host, &port)) {
      *exit_code = ReportError(absl::InvalidArgumentError(StrCat("--url: cannot read '", flags->url, "'")));
      return;
    }
    SendReport report = SendTraffic(host, port, flags->write_key, flags->simulate, *SystemClock::Default());
    PrintSendReport(report);
    if (report.failed_requests > 0) *exit_code = 1;
  });

  struct DemoFlags {
    SimulateFlags simulate;
    EngineFlags engine;
    int port = 8080;
    bool no_serve = false;
  };
  auto demo_flags = std::make_shared<DemoFlags>();
  demo_flags->engine.data_dir = "demo-data";
  demo_flags->engine.log_level = "warn";
  CLI::App* demo = app.add_subcommand(
      "demo", "Start aidmp on the embedded store, drive the simulated shop through the real HTTP "
              "collector, print the report, and keep serving until Ctrl-C");
  DeclareSimulateFlags(demo, &demo_flags->simulate);
  demo_flags->engine.Declare(demo, /*with_write_keys=*/false);
  demo->add_option("--port", demo_flags->port, "TCP port to serve on; 0 picks a free one")->capture_default_str();
  demo->add_flag("--no-serve", demo_flags->no_serve, "Exit after the report");
  demo->callback([demo_flags, exit_code] {
    InitLogging(demo_flags->engine.log_level);
    InstallStopSignals();
    absl::Status status = PrepareDemoDir(demo_flags->engine.data_dir);
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    const std::string write_key = "demo-write-key";
    const std::string admin_key = "demo-admin-key";
    demo_flags->engine.write_keys = {write_key + "=demo-shop"};
    auto options = demo_flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    auto engine = collect::Engine::Open(demo_flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    serve::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = demo_flags->port;
    server_options.admin_key = admin_key;
    serve::HttpServer server(engine->get(), server_options);
    status = server.Start();
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    std::cout << "aidmp demo: serving on http://127.0.0.1:" << server.port() << " with data in "
              << demo_flags->engine.data_dir << "\n";
    SendReport report =
        SendTraffic("127.0.0.1", server.port(), write_key, demo_flags->simulate, *SystemClock::Default());
    PrintSendReport(report);
    // Wait (bounded) for the indexes to catch up so the numbers below are final.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (const auto& runner : (*engine)->processors()) {
      while (runner->Lag() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    collect::EngineStats stats = (*engine)->Stats();
    std::cout << absl::StrFormat("stored in %s\n  events stored      %10d\n  duplicates         %10d\n"
                                 "  quarantined        %10d\n",
                                 demo_flags->engine.data_dir, stats.events_stored, stats.duplicates,
                                 stats.quarantined);
    for (const auto& [reason, count] : stats.quarantined_by_reason) {
      std::cout << absl::StrFormat("    %-24s %8d\n", reason, count);
    }
    std::cout << absl::StrFormat(
        "identity resolution\n  persons            %10d  (%d shoppers and bots simulated)\n"
        "  merges             %10d  (devices and logins joined)\n"
        "  merges refused     %10d  (by the one-userId-per-person rule)\n",
        stats.persons - stats.merges, report.shoppers, stats.merges, stats.merges_blocked);
    PrintInterestsAgainstTastes(engine->get(), report.registered);
    PrintSegments(engine->get());
    PrintRecommendations(engine->get(), report.registered);
    if (report.failed_requests > 0) *exit_code = 1;
    if (demo_flags->no_serve) return;
    std::cout << "\nOpen http://127.0.0.1:" << server.port() << "/dashboard (admin key " << admin_key
              << ") in a browser, or try it from a shell (Ctrl-C stops the server):\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' 'http://127.0.0.1:"
              << server.port() << "/v1/stats'\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' 'http://127.0.0.1:"
              << server.port() << "/v1/events?limit=5'\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' 'http://127.0.0.1:"
              << server.port() << "/v1/quarantine?limit=5'\n"
              << "  curl -s -u " << write_key << ": -H 'Content-Type: application/json' -d "
              << "'{\"userId\":\"u1\",\"event\":\"Signed Up\"}' http://127.0.0.1:" << server.port()
              << "/v1/track\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' 'http://127.0.0.1:" << server.port()
              << "/v1/profiles/lookup?type=userId&value="
              << (report.registered.empty() ? std::string("u1") : report.registered.front().user_id) << "'\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' -d "
              << "'{\"expression\": \"interest(\\\"books\\\") >= 0.5 and did(\\\"Order Completed\\\")\", \"explain\": true}' "
              << "http://127.0.0.1:" << server.port() << "/v1/segments/count\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' 'http://127.0.0.1:" << server.port()
              << "/v1/segments/repeat_buyers/members?format=csv&identifiers=userId,emailHash'\n"
              << "  curl -s -H 'Authorization: Bearer " << admin_key << "' 'http://127.0.0.1:" << server.port()
              << "/v1/recommendations/lookup?type=userId&value="
              << (report.registered.empty() ? std::string("u1") : report.registered.front().user_id) << "&explain=true'\n"
              << "  curl -s http://127.0.0.1:" << server.port() << "/metrics\n"
              << std::flush;
    while (!StopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.Stop();
  });
}

}  // namespace aidmp::cli
