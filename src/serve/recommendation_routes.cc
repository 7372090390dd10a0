#include "serve/recommendation_routes.h"

#include <httplib.h>

#include <cmath>

#include "common/json_writer.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "profile/person_document.h"
#include "recserve/item_catalogue.h"
#include "serve/request_util.h"
#include "simdjson.h"

namespace aidmp::serve {
namespace {

constexpr size_t kMaxCatalogueBody = 1 << 20;

absl::StatusOr<bool> BoolParam(const httplib::Request& req, const char* name, bool fallback) {
  if (!req.has_param(name)) return fallback;
  std::string value = req.get_param_value(name);
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return absl::InvalidArgumentError(StrCat("query parameter '", name, "' must be true or false"));
}

absl::StatusOr<recserve::RecommendRequest> ParseRequest(const httplib::Request& req) {
  recserve::RecommendRequest request;
  if (req.has_param("k")) {
    if (!ParseNumber(req.get_param_value("k"), &request.k) || request.k < 1 || request.k > recserve::kMaxK) {
      return absl::InvalidArgumentError(StrCat("query parameter 'k' must be an integer from 1 to ", recserve::kMaxK));
    }
  }
  request.category = req.get_param_value("category");
  request.segment = req.get_param_value("segment");
  AIDMP_ASSIGN_OR_RETURN(request.exclude_seen, BoolParam(req, "exclude_seen", true));
  AIDMP_ASSIGN_OR_RETURN(request.explain, BoolParam(req, "explain", false));
  return request;
}

void WriteItemMembers(const recserve::CatalogueItem& item, JsonWriter* writer) {
  writer->Key("id").String(item.id).Key("title").String(item.title).Key("categories").BeginArray();
  for (const auto& category : item.categories) writer->String(category);
  writer->EndArray();
  if (std::isfinite(item.price)) writer->Key("price").Double(item.price);
}

void Reply(httplib::Response& res, const absl::StatusOr<recserve::RecommendResult>& result, bool with_person) {
  if (!result.ok()) return SendError(res, result.status());
  res.set_content(RecommendationJson(*result, with_person), kJson);
}

}  // namespace

std::string RecommendationJson(const recserve::RecommendResult& result, bool with_person) {
  const recserve::ServingModel& model = *result.model;
  JsonWriter writer;
  writer.BeginObject();
  if (with_person) writer.Key("person").Uint(result.person);
  writer.Key("model")
      .BeginObject()
      .Key("version").Uint(model.version)
      .Key("algo").String(model.algo)
      .Key("trained_at").String(FormatIso8601Micros(model.trained_at_us))
      .EndObject();
  if (with_person) writer.Key("personalized").Bool(result.personalized);
  if (!result.note.empty()) writer.Key("note").String(result.note);
  writer.Key("items").BeginArray();
  for (const auto& entry : result.items) {
    writer.BeginObject();
    WriteItemMembers(model.items[entry.item], &writer);
    writer.Key("score").Double(entry.score).Key("source").String(entry.source);
    if (!entry.reasons.empty()) {
      writer.Key("reasons").BeginArray();
      for (const auto& reason : entry.reasons) {
        writer.BeginObject().Key("kind").String(reason.kind);
        if (!reason.what.empty()) writer.Key(reason.kind == "interest" || reason.kind == "category" ? "tag" : reason.kind == "model" ? "algo" : "item").String(reason.what);
        writer.Key("weight").Double(reason.weight).EndObject();
      }
      writer.EndArray();
    }
    writer.EndObject();
  }
  writer.EndArray().EndObject();
  return writer.Take();
}

absl::StatusOr<recserve::TrainOptions> ParseTrainRequest(std::string_view body) {
  recserve::TrainOptions options;
  if (StripWhitespace(body).empty()) return options;
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (auto error = parser.parse(body.data(), body.size()).get(root); error) {
    return absl::InvalidArgumentError(StrCat("the body must be a JSON object: ", simdjson::error_message(error)));
  }
  for (auto [key, value] : root) {
    if (key == "algo") {
      std::string_view algo;
      if (value.get(algo) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"algo\" must be a string");
      options.algo = std::string(algo);
    } else if (key == "params") {
      simdjson::dom::object params;
      if (value.get(params) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"params\" must be an object of numbers");
      for (auto [name, number] : params) {
        double parsed = 0;
        if (number.get_double().get(parsed) != simdjson::SUCCESS) {
          return absl::InvalidArgumentError(StrCat("params.", name, " must be a number"));
        }
        options.params[std::string(name)] = parsed;
      }
    } else if (key == "recommendations_per_person" || key == "similar_per_item") {
      int64_t number = 0;
      if (value.get_int64().get(number) != simdjson::SUCCESS || number < 1 || number > 10000) {
        return absl::InvalidArgumentError(StrCat("\"", key, "\" must be an integer from 1 to 10000"));
      }
      (key == "similar_per_item" ? options.similar_per_item : options.recommendations_per_person) = static_cast<int>(number);
    } else if (key == "weighted") {
      if (value.get_bool().get(options.weighted) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"weighted\" must be true or false");
    } else if (key == "ann") {
      std::string_view mode;
      if (value.get(mode) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"ann\" must be \"auto\", \"on\" or \"off\"");
      auto parsed = recserve::ParseAnnMode(mode);
      if (!parsed.ok()) return absl::InvalidArgumentError("\"ann\" must be \"auto\", \"on\" or \"off\"");
      options.ann = *parsed;
    } else if (key == "hnsw_m" || key == "hnsw_ef_construction" || key == "hnsw_ef") {
      const int64_t low = key == "hnsw_m" ? 2 : 1, high = key == "hnsw_m" ? 1000 : 100000;
      int64_t number = 0;
      if (value.get_int64().get(number) != simdjson::SUCCESS || number < low || number > high) {
        return absl::InvalidArgumentError(StrCat("\"", key, "\" must be an integer from ", low, " to ", high));
      }
      (key == "hnsw_m" ? options.hnsw_m : key == "hnsw_ef" ? options.hnsw_ef : options.hnsw_ef_construction) =
          static_cast<int>(number);
    } else {
      return absl::InvalidArgumentError(StrCat("unknown member \"", key,
                                               "\" (algo, params, recommendations_per_person, similar_per_item, weighted, "
                                               "ann, hnsw_m, hnsw_ef_construction, hnsw_ef)"));
    }
  }
  return options;
}

void RegisterRecommendationRoutes(httplib::Server* server, collect::Engine* engine,
                                  recserve::RecommendationService* service,
                                  std::function<bool(const httplib::Request&, httplib::Response&)> check_admin) {
  auto recommend = [engine, service, check_admin](const httplib::Request& req, httplib::Response& res, bool lookup) {
    if (!check_admin(req, res)) return;
    auto request = ParseRequest(req);
    if (!request.ok()) return SendError(res, request.status());
    uint64_t person = 0;
    if (lookup) {
      auto id = IdentifierParam(req);
      if (!id.ok()) return SendError(res, id.status());
      auto record = profile::FindPerson(engine->store(), *id);
      if (!record.ok()) return SendError(res, record.status());
      person = record->id;
    } else if (!ParseNumber(std::string(req.matches[1]), &person)) {
      return SendError(res, absl::InvalidArgumentError("the person id must be a number"));
    }
    Reply(res, service->Recommend(person, *request), true);
  };
  server->Get("/v1/recommendations/lookup",
              [recommend](const httplib::Request& req, httplib::Response& res) { recommend(req, res, true); });
  server->Get(R"(/v1/recommendations/(\d+))",
              [recommend](const httplib::Request& req, httplib::Response& res) { recommend(req, res, false); });

  server->Get("/v1/items/popular", [service, check_admin](const httplib::Request& req, httplib::Response& res) {
    if (!check_admin(req, res)) return;
    auto request = ParseRequest(req);
    if (!request.ok()) return SendError(res, request.status());
    Reply(res, service->Popular(*request), false);
  });
  // The item id in the path, or as ?id= for ids holding a '/'.
  auto similar = [service, check_admin](const httplib::Request& req, httplib::Response& res, bool in_path) {
    if (!check_admin(req, res)) return;
    auto request = ParseRequest(req);
    if (!request.ok()) return SendError(res, request.status());
    std::string id = in_path ? std::string(req.matches[1]) : req.get_param_value("id");
    if (id.empty()) return SendError(res, absl::InvalidArgumentError("query parameter 'id' (the item id) is required"));
    Reply(res, service->Similar(id, *request), false);
  };
  server->Get("/v1/items/similar",
              [similar](const httplib::Request& req, httplib::Response& res) { similar(req, res, false); });
  server->Get(R"(/v1/items/([^/]+)/similar)",
              [similar](const httplib::Request& req, httplib::Response& res) { similar(req, res, true); });
  server->Get(R"(/v1/items/([^/]+))", [engine, service, check_admin](const httplib::Request& req, httplib::Response& res) {
    if (!check_admin(req, res)) return;
    std::string id = req.matches[1];
    auto item = recserve::GetItem(engine->store(), id);
    if (absl::IsNotFound(item.status())) {
      // Not imported, but known from events to the model.
      if (auto model = service->model(); model != nullptr && model->FindItem(id) >= 0) {
        item = model->items[model->FindItem(id)];
      } else {
        return SendError(res, absl::NotFoundError(StrCat("no item '", id, "' in the catalogue or the model")));
      }
    }
    if (!item.ok()) return SendError(res, item.status());
    res.set_content(recserve::ItemJson(*item), kJson);
  });
  server->Post("/v1/items", [engine, check_admin](const httplib::Request& req, httplib::Response& res) {
    if (!check_admin(req, res)) return;
    if (req.body.size() > kMaxCatalogueBody) {
      return SendError(res, absl::InvalidArgumentError("catalogue bodies are at most 1 MiB; import bigger files with `aidmp items import`"));
    }
    std::string format = req.has_param("format") ? req.get_param_value("format") : "jsonl";
    std::string body = req.body;
    std::string_view trimmed = StripWhitespace(body);
    if (format == "jsonl" && !trimmed.empty() && trimmed.front() == '[') {
      // A JSON array: one item per element, as lines.
      simdjson::dom::parser parser;
      simdjson::dom::array array;
      if (auto error = parser.parse(body).get(array); error) {
        return SendError(res, absl::InvalidArgumentError(StrCat("malformed JSON array: ", simdjson::error_message(error))));
      }
      std::string lines;
      for (simdjson::dom::element element : array) StrAppend(&lines, simdjson::minify(element), "\n");
      body = std::move(lines);
    }
    auto report = recserve::ImportItems(engine->store(), format, body);
    if (!report.ok()) return SendError(res, report.status());
    JsonWriter writer;
    writer.BeginObject().Key("rows").Uint(report->rows).Key("stored").Uint(report->stored)
        .Key("rejected").Uint(report->rejected).Key("errors").BeginArray();
    for (const auto& error : report->errors) writer.String(error);
    writer.EndArray().EndObject();
    res.set_content(writer.Take(), kJson);
  });

  server->Post("/v1/recommender/train", [service, check_admin](const httplib::Request& req, httplib::Response& res) {
    if (!check_admin(req, res)) return;
    auto options = ParseTrainRequest(req.body);
    if (!options.ok()) return SendError(res, options.status());
    auto version = service->Train(*options);
    if (!version.ok()) return SendError(res, version.status());
    auto model = service->model();
    res.set_content(recserve::ModelStore::DescribeJson(*model), kJson);
  });
  server->Get("/v1/recommender/models", [service, check_admin](const httplib::Request& req, httplib::Response& res) {
    if (!check_admin(req, res)) return;
    auto list = service->models().List();
    if (!list.ok()) return SendError(res, list.status());
    JsonWriter writer;
    writer.BeginObject().Key("active");
    auto active = service->models().ActiveVersion();
    if (active.ok()) writer.Uint(*active);
    else writer.Null();
    writer.Key("models").BeginArray();
    for (const auto& info : *list) {
      writer.BeginObject().Key("version").Uint(info.version).Key("active").Bool(info.active)
          .Key("bytes").Uint(info.bytes).Key("summary").Raw(info.json).EndObject();
    }
    writer.EndArray().EndObject();
    res.set_content(writer.Take(), kJson);
  });
  server->Post(R"(/v1/recommender/models/(\d+)/activate)",
               [service, check_admin](const httplib::Request& req, httplib::Response& res) {
                 if (!check_admin(req, res)) return;
                 uint64_t version = 0;
                 if (!ParseNumber(std::string(req.matches[1]), &version)) {
                   return SendError(res, absl::InvalidArgumentError("the version must be a number"));
                 }
                 absl::Status status = service->Activate(version);
                 if (!status.ok()) return SendError(res, status);
                 res.set_content(recserve::ModelStore::DescribeJson(*service->model()), kJson);
               });
}

}  // namespace aidmp::serve
