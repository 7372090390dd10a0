// `aidmp train recommender`, `aidmp recommend`, `aidmp items ...` and `aidmp recommender
// models|activate`: recommendations from the command line (docs/recommendations.md).
// Training works while a server holds the data directory: it reads what was stored
// when it opened and writes a new model version, which the server picks up.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "cli/person_flags.h"
#include "common/logging.h"
#include "common/status.h"
#include "common/strings.h"
#include "recommend/registry.h"
#include "recserve/item_catalogue.h"
#include "recserve/recommendation_service.h"
#include "serve/recommendation_routes.h"

namespace aidmp::cli {
namespace {

struct ListFlags {
  int k = 10;
  std::string category, segment;
  bool explain = false, include_seen = false;

  void Declare(CLI::App* command) {
    command->add_option("-k,--k", k, "How many items (1-1000)")->capture_default_str();
    command->add_option("--category", category, "Only items of this category");
    command->add_option("--segment", segment, "Only items that members of this saved segment interacted with");
    command->add_flag("--explain", explain, "Say why each item is there");
  }
  recserve::RecommendRequest Request() const {
    recserve::RecommendRequest request;
    request.k = k;
    request.category = category;
    request.segment = segment;
    request.explain = explain;
    request.exclude_seen = !include_seen;
    return request;
  }
};

void PrintList(const recserve::RecommendResult& result, bool json, bool with_person) {
  if (json) {
    std::printf("%s\n", serve::RecommendationJson(result, with_person).c_str());
    return;
  }
  const recserve::ServingModel& model = *result.model;
  std::printf("model v%llu (%s)%s%s\n", static_cast<unsigned long long>(model.version), model.algo.c_str(),
              result.note.empty() ? "" : ": ", result.note.c_str());
  int rank = 0;
  for (const auto& entry : result.items) {
    const recserve::CatalogueItem& item = model.items[entry.item];
    std::string categories;
    for (const auto& category : item.categories) StrAppend(&categories, categories.empty() ? "" : ",", category);
    std::printf("%3d. %-14s %-32.32s %-18.18s %10.4f  %s\n", ++rank, item.id.c_str(), item.title.c_str(),
                categories.c_str(), entry.score, entry.source.c_str());
    for (const auto& reason : entry.reasons) {
      std::printf("       %s %s (%.3f)\n", reason.kind.c_str(), reason.what.c_str(), reason.weight);
    }
  }
}

// Opens the engine for reading and the service over it.
struct Opened {
  std::unique_ptr<collect::Engine> engine;
  std::unique_ptr<recserve::RecommendationService> service;
};
absl::StatusOr<Opened> Open(const EngineFlags& flags) {
  Opened opened;
  AIDMP_ASSIGN_OR_RETURN(opened.engine, flags.OpenForReading());
  collect::Engine* engine = opened.engine.get();
  opened.service = std::make_unique<recserve::RecommendationService>(
      engine->store(), engine->data_dir(), &engine->profile_model().config(), engine->memberships(), engine->clock());
  return opened;
}

}  // namespace

void AddRecommendCommands(CLI::App& app, int* exit_code) {
  // aidmp train recommender
  CLI::App* train = app.add_subcommand("train", "Train models on the data directory's events");
  train->require_subcommand(1);
  struct TrainFlags {
    EngineFlags engine;
    std::string algo = "auto", params, ann = "auto";
    int per_person = 100, similar = 20, threads = 2;
    int hnsw_m = recserve::TrainOptions().hnsw_m;
    int hnsw_ef_construction = recserve::TrainOptions().hnsw_ef_construction;
    int hnsw_ef = recserve::TrainOptions().hnsw_ef;
    bool weighted = false, no_activate = false;
  };
  auto train_flags = std::make_shared<TrainFlags>();
  CLI::App* recommender = train->add_subcommand(
      "recommender", "Fit a recommender on every person's item events and save it as the next model version "
                     "(docs/recommendations.md); a running server switches to it within a second");
  train_flags->engine.Declare(recommender, /*with_write_keys=*/false);
  recommender->add_option("--algo", train_flags->algo,
                          "A ranking algorithm (aidmp eval recommend --help lists them), or auto: EASE up to 15,000 "
                          "items, item-kNN above")->capture_default_str();
  recommender->add_option("--params", train_flags->params, "Hyper-parameters NAME=NUMBER,... over the defaults");
  recommender->add_option("--per-person", train_flags->per_person, "Items kept per person for serving")->capture_default_str();
  recommender->add_option("--similar", train_flags->similar, "Similar items kept per item")->capture_default_str();
  recommender->add_option("--threads", train_flags->threads, "Threads")->capture_default_str();
  recommender->add_flag("--weighted", train_flags->weighted, "Train on event weights (purchase 4, cart 2, view 1) instead of 1 per item");
  recommender->add_flag("--no-activate", train_flags->no_activate, "Save the version without making it active");
  recommender->add_option("--ann", train_flags->ann,
                          "Rank each person's items with an HNSW inner-product index over the model's factors (als, "
                          "bpr) instead of scoring every item: auto (from 50,000 items), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  recommender->add_option("--hnsw-m", train_flags->hnsw_m, "HNSW graph degree")->check(CLI::Range(2, 1000))->capture_default_str();
  recommender->add_option("--hnsw-ef-construction", train_flags->hnsw_ef_construction,
                          "HNSW candidate list while building the index")->check(CLI::PositiveNumber)->capture_default_str();
  recommender->add_option("--hnsw-ef", train_flags->hnsw_ef,
                          "HNSW candidate list while searching (at least per-person + the person's seen items)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  recommender->callback([train_flags, exit_code] {
    const TrainFlags& flags = *train_flags;
    InitLogging(flags.engine.log_level == "info" ? "warn" : flags.engine.log_level);
    recserve::TrainOptions options;
    options.algo = flags.algo;
    options.recommendations_per_person = flags.per_person;
    options.similar_per_item = flags.similar;
    options.threads = flags.threads;
    options.weighted = flags.weighted;
    options.hnsw_m = flags.hnsw_m;
    options.hnsw_ef_construction = flags.hnsw_ef_construction;
    options.hnsw_ef = flags.hnsw_ef;
    auto ann = recserve::ParseAnnMode(flags.ann);
    if (!ann.ok()) {
      *exit_code = ReportError(ann.status());
      return;
    }
    options.ann = *ann;
    auto params = recommend::ParseParams(flags.params);
    if (!params.ok()) {
      *exit_code = ReportError(params.status());
      return;
    }
    options.params = *std::move(params);
    auto opened = Open(flags.engine);
    if (!opened.ok()) {
      *exit_code = ReportError(opened.status());
      return;
    }
    int last_decile = -1;
    std::string last_stage;
    auto progress = [&](std::string_view stage, double fraction) {
      int decile = static_cast<int>(fraction * 10);
      if (stage == last_stage && decile == last_decile) return;
      last_stage = std::string(stage);
      last_decile = decile;
      std::fprintf(stderr, "training: %-7s %3d%%\n", last_stage.c_str(), decile * 10);
    };
    collect::Engine* engine = opened->engine.get();
    auto model = recserve::TrainFromStore(engine->store(), options, engine->clock()->NowMicros(), progress);
    if (!model.ok()) {
      *exit_code = ReportError(model.status());
      return;
    }
    auto version = opened->service->models().Save(&*model, !flags.no_activate);
    if (!version.ok()) {
      *exit_code = ReportError(version.status());
      return;
    }
    std::printf("%s\n", recserve::ModelStore::DescribeJson(*model).c_str());
    std::fprintf(stderr, "model v%llu saved in %s%s\n", static_cast<unsigned long long>(*version),
                 opened->service->models().dir().c_str(), flags.no_activate ? " (not active)" : " and active");
  });

  // aidmp recommend
  struct RecommendFlags {
    EngineFlags engine;
    PersonFlags who;
    ListFlags list;
    bool json = false;
  };
  auto recommend_flags = std::make_shared<RecommendFlags>();
  CLI::App* recommend = app.add_subcommand("recommend", "A person's recommendations from the active model");
  recommend_flags->engine.Declare(recommend, /*with_write_keys=*/false);
  recommend_flags->who.Declare(recommend);
  recommend_flags->list.Declare(recommend);
  recommend->add_flag("--include-seen", recommend_flags->list.include_seen, "Keep items the person interacted with");
  recommend->add_flag("--json", recommend_flags->json, "Print the JSON answer of GET /v1/recommendations/{person}");
  recommend->callback([recommend_flags, exit_code] {
    const RecommendFlags& flags = *recommend_flags;
    InitLogging(flags.engine.log_level == "info" ? "warn" : flags.engine.log_level);
    auto opened = Open(flags.engine);
    if (!opened.ok()) {
      *exit_code = ReportError(opened.status());
      return;
    }
    auto person = flags.who.Find(opened->engine->store());
    if (!person.ok()) {
      *exit_code = ReportError(person.status());
      return;
    }
    auto result = opened->service->Recommend(person->id, flags.list.Request());
    if (!result.ok()) {
      *exit_code = ReportError(result.status());
      return;
    }
    PrintList(*result, flags.json, true);
  });

  // aidmp items import|similar|popular
  CLI::App* items = app.add_subcommand("items", "The item catalogue and item-to-item recommendations");
  items->require_subcommand(1);
  struct ItemsFlags {
    EngineFlags engine;
    std::string file, format = "jsonl", item;
    ListFlags list;
    bool json = false;
  };
  auto items_flags = std::make_shared<ItemsFlags>();
  CLI::App* import = items->add_subcommand("import", "Import catalogue entries (id, title, categories, price) from JSONL or CSV");
  items_flags->engine.Declare(import, /*with_write_keys=*/false);
  import->add_option("file", items_flags->file, "The catalogue file")->required();
  import->add_option("--format", items_flags->format, "jsonl or csv")->capture_default_str();
  import->callback([items_flags, exit_code] {
    InitLogging(items_flags->engine.log_level == "info" ? "warn" : items_flags->engine.log_level);
    std::ifstream in(items_flags->file, std::ios::binary);
    if (!in) {
      *exit_code = ReportError(absl::NotFoundError(StrCat("cannot read ", items_flags->file)));
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto options = items_flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    auto engine = collect::Engine::Open(items_flags->engine.data_dir, *std::move(options));
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    auto report = recserve::ImportItems((*engine)->store(), items_flags->format, text.str());
    if (!report.ok()) {
      *exit_code = ReportError(report.status());
      return;
    }
    for (const auto& error : report->errors) std::fprintf(stderr, "%s: %s\n", items_flags->file.c_str(), error.c_str());
    std::printf("%llu rows, %llu stored, %llu rejected\n", static_cast<unsigned long long>(report->rows),
                static_cast<unsigned long long>(report->stored), static_cast<unsigned long long>(report->rejected));
  });
  for (bool similar : {true, false}) {
    CLI::App* command = similar ? items->add_subcommand("similar", "Items similar to one item")
                                : items->add_subcommand("popular", "The most popular items");
    items_flags->engine.Declare(command, /*with_write_keys=*/false);
    if (similar) command->add_option("item", items_flags->item, "The item id")->required();
    items_flags->list.Declare(command);
    command->add_flag("--json", items_flags->json, "Print the JSON answer of the HTTP API");
    command->callback([items_flags, exit_code, similar] {
      InitLogging(items_flags->engine.log_level == "info" ? "warn" : items_flags->engine.log_level);
      auto opened = Open(items_flags->engine);
      if (!opened.ok()) {
        *exit_code = ReportError(opened.status());
        return;
      }
      auto result = similar ? opened->service->Similar(items_flags->item, items_flags->list.Request())
                            : opened->service->Popular(items_flags->list.Request());
      if (!result.ok()) {
        *exit_code = ReportError(result.status());
        return;
      }
      PrintList(*result, items_flags->json, false);
    });
  }

  // aidmp recommender models|activate
  CLI::App* models = app.add_subcommand("recommender", "Recommender model versions");
  models->require_subcommand(1);
  struct ModelFlags {
    std::string data_dir = "aidmp-data";
    uint64_t version = 0;
  };
  auto model_flags = std::make_shared<ModelFlags>();
  CLI::App* list = models->add_subcommand("models", "List the versions, newest first");
  CLI::App* activate = models->add_subcommand("activate", "Make a version the one that serves (a running server follows)");
  for (CLI::App* command : {list, activate}) {
    command->add_option("--data", model_flags->data_dir, "Data directory")->capture_default_str();
  }
  activate->add_option("version", model_flags->version, "The version")->required();
  list->callback([model_flags, exit_code] {
    recserve::ModelStore store(model_flags->data_dir);
    auto infos = store.List();
    if (!infos.ok()) {
      *exit_code = ReportError(infos.status());
      return;
    }
    if (infos->empty()) std::fprintf(stderr, "no recommender models in %s\n", store.dir().c_str());
    for (const auto& info : *infos) std::printf("%s%s\n", info.active ? "* " : "  ", info.json.c_str());
  });
  activate->callback([model_flags, exit_code] {
    recserve::ModelStore store(model_flags->data_dir);
    absl::Status status = store.Activate(model_flags->version);
    if (!status.ok()) *exit_code = ReportError(status);
  });
}

}  // namespace aidmp::cli
