#include "serve/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "audience/evaluate.h"
#include "audience/export.h"
#include "audience/lookalike.h"
#include "audience/segments.h"
#include "collect/replay.h"
#include "common/json_writer.h"
#include "common/parallel.h"
#include "common/status.h"
#include "common/time_format.h"
#include "event/event_codec.h"
#include "identity/person_events.h"
#include "privacy/erasure.h"
#include "profile/person_document.h"
#include "index/event_query.h"
#include "storage/keys.h"
#include "serve/dashboard.h"
#include "serve/http_status.h"
#include "serve/request_util.h"
#include "serve/recommendation_routes.h"
#include "serve/metrics.h"
#include "simdjson.h"
#include "spdlog/spdlog.h"
#include "common/strings.h"

namespace aidmp::serve {
namespace {

thread_local std::chrono::steady_clock::time_point request_started;

// As res.set_content(body, kJson) without copying the body: cpp-httplib 0.11 has no
// set_content that takes a string by value, and a profile document is several KB.
void SetJsonBody(httplib::Response& res, std::string body) {
  res.body = std::move(body);
  auto old = res.headers.equal_range("Content-Type");
  res.headers.erase(old.first, old.second);
  res.set_header("Content-Type", kJson);
}

// cpp-httplib's pool, whose threads lower their own CPU priority by `nice` before their
// first connection. A connection is one task for as long as it is kept alive.
class NicedThreadPool final : public httplib::ThreadPool {
 public:
  NicedThreadPool(size_t threads, int nice) : httplib::ThreadPool(threads), nice_(nice) {}

  void enqueue(std::function<void()> fn) override {
    httplib::ThreadPool::enqueue([nice = nice_, fn = std::move(fn)] {
      thread_local bool lowered = false;
      if (!lowered) {
        lowered = true;
        if (absl::Status status = LowerThreadPriority(nice); !status.ok()) {
          spdlog::warn("http server: cannot lower a request thread's CPU priority: {}", std::string(status.message()));
        }
      }
      fn();
    });
  }

 private:
  int nice_;
};

}  // namespace

struct HttpServer::Impl {
  collect::Engine* engine;
  ServerOptions options;
  httplib::Server server;
  std::thread thread;
  int bound_port = 0;
  int listen_fd = -1;  // the socket cpp-httplib listens on, once bound
  RequestMetrics metrics;
  std::unique_ptr<profile::RfmCache> rfm_cache;
  std::unique_ptr<audience::SegmentCatalog> segments;
  // The lookalike model, rebuilt from the profiles when older than kLookalikeMaxAge.
  std::mutex lookalike_mu;
  std::shared_ptr<const audience::LookalikeModel> lookalike;  // guarded by lookalike_mu
  static constexpr int64_t kLookalikeMaxAge = 15 * kMicrosPerMinute;
  std::unique_ptr<recserve::RecommendationService> recommendations;
  // Scheduled retraining (options.retrain_every_us > 0).
  std::thread retrain_thread;
  std::mutex retrain_mu;
  std::condition_variable retrain_cv;
  bool stopping = false;  // guarded by retrain_mu

  void RetrainLoop() {
    NameThisThread("aidmp-retrain");
    std::unique_lock<std::mutex> lock(retrain_mu);
    while (!retrain_cv.wait_for(lock, std::chrono::microseconds(options.retrain_every_us), [this] { return stopping; })) {
      lock.unlock();
      auto version = recommendations->Train(options.train);
      if (version.ok()) {
        spdlog::info("scheduled retraining: recommender model version {} is active", *version);
      } else {
        spdlog::warn("scheduled retraining failed: {}", version.status().ToString());
      }
      lock.lock();
    }
  }

  bool CheckAdmin(const httplib::Request& req, httplib::Response& res) {
    std::string expected = StrCat("Bearer ", options.admin_key);
    if (!options.admin_key.empty() && req.get_header_value("Authorization") == expected) return true;
    SendError(res, absl::UnauthenticatedError(
                       "admin routes need 'Authorization: Bearer <admin key>' with the server's admin key"));
    return false;
  }

  void HandleCollect(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& content_reader) {
    std::string endpoint = req.matches[1];
    bool batch = endpoint == "batch" || endpoint == "import";
    // Read at most one byte past the limit so the collector can name the size.
    size_t limit = (batch ? 500 * 1024 : 32 * 1024) + 1;
    // Kept per server thread with its capacity (about the limit at most): a batch's body
    // grown by appends was copied at every doubling. Nothing refers to it once the
    // request is answered.
    thread_local std::string body;
    body.clear();
    bool truncated = false;
    bool read_ok = content_reader([&](const char* data, size_t length) {
      if (body.size() + length > limit) {
        body.append(data, limit - body.size());
        truncated = true;
        return false;
      }
      body.append(data, length);
      return true;
    });
    if (!read_ok && !truncated) {
      bool gzip = req.get_header_value("Content-Encoding").find("gzip") != std::string::npos;
      SendError(res, absl::InvalidArgumentError(
                         gzip ? "the request body could not be read: truncated or corrupt gzip"
                              : "the request body could not be read completely"));
      res.set_header("Connection", "close");
      return;
    }
    if (truncated) {
      SendError(res, absl::InvalidArgumentError(StrCat(
                         "request body is over the limit of ", limit - 1, " bytes for /v1/", endpoint,
                         " (after decompression)")));
      res.set_header("Connection", "close");
      return;
    }
    auto summary = engine->collector()->Handle(endpoint, req.get_header_value("Authorization"), body);
    if (!summary.ok()) {
      SendError(res, summary.status());
      return;
    }
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("success").Bool(true);
    writer.Key("stored").Uint(summary->stored);
    writer.Key("duplicates").Uint(summary->duplicates);
    writer.Key("quarantined").Uint(summary->quarantined);
    if (summary->suppressed > 0) writer.Key("suppressed").Uint(summary->suppressed);
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleEvents(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    index::EventFilter filter;
    filter.user_id = req.get_param_value("userId");
    filter.anonymous_id = req.get_param_value("anonymousId");
    filter.event = req.get_param_value("event");
    filter.type = req.get_param_value("type");
    filter.cursor = req.get_param_value("cursor");
    auto limit = ParseLimit(req, 100);
    if (!limit.ok()) return SendError(res, limit.status());
    filter.limit = *limit;
    for (const char* name : {"from", "to"}) {
      if (!req.has_param(name)) continue;
      auto ts = ParseTimeParam(name, req.get_param_value(name));
      if (!ts.ok()) return SendError(res, ts.status());
      (std::string_view(name) == "from" ? filter.from_us : filter.to_us) = *ts;
    }
    auto page = index::QueryEvents(engine->store(), filter, engine->pending_index());
    if (!page.ok()) return SendError(res, page.status());
    JsonWriter writer;
    writer.BeginObject().Key("events").BeginArray();
    for (const auto& record : page->records) writer.Raw(record);
    writer.EndArray();
    writer.Key("next_cursor");
    if (page->next_cursor.empty()) {
      writer.Null();
    } else {
      writer.String(page->next_cursor);
    }
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleStats(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    collect::EngineStats stats = engine->Stats();
    JsonWriter writer;
    writer.BeginObject();
    collect::WriteStatsMembers(stats, &writer);
    // The lag bound (collect::IngestOptions), 0 when none is in force, and how long it
    // has held acknowledgements back since the server started.
    writer.Key("ingest").BeginObject();
    writer.Key("lag_bound_ms").Double(static_cast<double>(engine->pipeline()->lag_bound_micros()) / 1000.0);
    writer.Key("held_back_ms").Double(static_cast<double>(engine->pipeline()->backpressure_micros()) / 1000.0);
    writer.EndObject();
    writer.Key("processors").BeginObject();
    for (const auto& runner : engine->processors()) {
      writer.Key(runner->name()).BeginObject();
      writer.Key("applied_seq").Uint(runner->AppliedSeq());
      writer.Key("lag_events").Uint(runner->Lag());
      writer.Key("lag_ms").Double(static_cast<double>(runner->LagMicros()) / 1000.0);
      writer.EndObject();
    }
    writer.EndObject();
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleQuarantine(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    std::optional<clean::Reason> reason;
    if (req.has_param("reason")) {
      clean::Reason parsed;
      if (!clean::ParseReasonCode(req.get_param_value("reason"), &parsed)) {
        return SendError(res, absl::InvalidArgumentError(StrCat(
                                  "query parameter 'reason': unknown reason '",
                                  req.get_param_value("reason"), "'")));
      }
      reason = parsed;
    }
    uint64_t after = 0;
    if (req.has_param("after") && !ParseNumber(req.get_param_value("after"), &after)) {
      return SendError(res, absl::InvalidArgumentError("query parameter 'after' must be a record id"));
    }
    auto limit = ParseLimit(req, 100);
    if (!limit.ok()) return SendError(res, limit.status());
    std::vector<clean::QuarantineRecord> records;
    absl::Status status = engine->quarantine()->List(after, std::min<size_t>(*limit, 1000), reason, &records);
    if (!status.ok()) return SendError(res, status);
    JsonWriter writer;
    writer.BeginObject().Key("quarantine").BeginArray();
    for (const auto& record : records) writer.Raw(clean::Quarantine::EncodeRecord(record));
    writer.EndArray();
    writer.Key("next_after");
    if (records.empty()) {
      writer.Null();
    } else {
      writer.Uint(records.back().id);
    }
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleReplay(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    auto report = collect::ReplayQuarantine(engine, std::nullopt, 1'000'000);
    if (!report.ok()) return SendError(res, report.status());
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("examined").Uint(report->examined);
    writer.Key("stored").Uint(report->stored);
    writer.Key("duplicates").Uint(report->duplicates);
    writer.Key("still_failing").Uint(report->still_failing);
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  // A person's whole document (profile/person_document.h). Query: limit and before page
  // the recent events; at= evaluates windows, decay and recency at another time.
  void WritePerson(const identity::PersonRecord& person, const httplib::Request& req, httplib::Response& res) {
    profile::DocumentOptions options;
    auto limit = ParseLimit(req, 20);
    if (!limit.ok()) return SendError(res, limit.status());
    options.events_limit = *limit;
    if (req.has_param("before")) {
      auto ts = ParseTimeParam("before", req.get_param_value("before"));
      if (!ts.ok()) return SendError(res, ts.status());
      options.events_before_us = *ts;
    }
    auto now_us = EvaluationTime(req, engine->clock()->NowMicros());
    if (!now_us.ok()) return SendError(res, now_us.status());
    options.now_us = *now_us;
    // Scores at another time need their own fit (a scan); now's come from the cache.
    auto rfm = req.has_param("at") ? profile::FitRfm(engine->store(), engine->profile_model(), options.now_us)
                                   : rfm_cache->Get(options.now_us);
    if (!rfm.ok()) return SendError(res, rfm.status());
    JsonWriter writer;
    writer.Reserve(16 << 10);  // a document with a page of events is 5-10 KB
    absl::Status status =
        profile::WritePersonDocument(engine->store(), engine->profile_model(), person, &*rfm, options, &writer);
    if (!status.ok()) return SendError(res, status);
    SetJsonBody(res, writer.Take());
  }

  void HandlePersonLookup(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    auto id = IdentifierParam(req);
    if (!id.ok()) return SendError(res, id.status());
    if (req.has_param("as_of")) {
      auto root = profile::OriginalOwner(engine->store(), *id);
      if (!root.ok()) return SendError(res, root.status());
      return WritePersonAsOf(*root, req, res);
    }
    auto person = profile::FindPerson(engine->store(), *id);
    if (!person.ok()) return SendError(res, person.status());
    WritePerson(*person, req, res);
  }

  // ?as_of=TIME: the person as it was then (profile/person_document.h).
  void WritePersonAsOf(uint64_t root, const httplib::Request& req, httplib::Response& res) {
    auto as_of = ParseTimeParam("as_of", req.get_param_value("as_of"));
    if (!as_of.ok()) return SendError(res, as_of.status());
    profile::DocumentOptions options;
    auto limit = ParseLimit(req, 20);
    if (!limit.ok()) return SendError(res, limit.status());
    options.events_limit = *limit;
    auto now_us = EvaluationTime(req, *as_of);
    if (!now_us.ok()) return SendError(res, now_us.status());
    options.now_us = *now_us;
    JsonWriter writer;
    absl::Status status =
        profile::WritePersonDocumentAsOf(engine->store(), engine->profile_model(), root, *as_of, options, &writer);
    if (!status.ok()) return SendError(res, status);
    SetJsonBody(res, writer.Take());
  }

  void HandlePerson(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    uint64_t person_id;
    if (!ParseNumber(std::string(req.matches[1]), &person_id)) {
      return SendError(res, absl::InvalidArgumentError("the person id must be a number"));
    }
    if (req.has_param("as_of")) return WritePersonAsOf(person_id, req, res);
    auto person = identity::IdentityGraph::ReadPerson(engine->store(), person_id);
    if (!person.ok()) return SendError(res, person.status());
    WritePerson(*person, req, res);
  }

  // DELETE /v1/profiles/{id} or /v1/profiles/lookup?type=&value=: erase the person.
  void HandleErase(const httplib::Request& req, httplib::Response& res, bool by_identifier) {
    if (!CheckAdmin(req, res)) return;
    uint64_t person_id = 0;
    if (by_identifier) {
      auto id = IdentifierParam(req);
      if (!id.ok()) return SendError(res, id.status());
      auto person = profile::FindPerson(engine->store(), *id);
      if (!person.ok()) return SendError(res, person.status());
      person_id = person->id;
    } else if (!ParseNumber(std::string(req.matches[1]), &person_id)) {
      return SendError(res, absl::InvalidArgumentError("the person id must be a number"));
    }
    auto report = engine->ErasePerson(person_id);
    if (!report.ok()) return SendError(res, report.status());
    res.set_content(privacy::EncodeErasure(*report), kJson);
  }

  // POST /v1/identity/unmerge {"merge": N}
  void HandleUnmerge(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    uint64_t merge_id = 0;
    if (parser.parse(req.body).get(body) != simdjson::SUCCESS || body["merge"].get_uint64().get(merge_id) != simdjson::SUCCESS) {
      return SendError(res, absl::InvalidArgumentError("the body must be {\"merge\": <merge id>} (ids are in a person's 'merges')"));
    }
    auto report = engine->Unmerge(merge_id);
    if (!report.ok()) return SendError(res, report.status());
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("merge").Uint(report->merge);
    writer.Key("split").Uint(report->split);
    writer.Key("events_reattributed").Uint(report->events);
    writer.Key("persons").BeginArray();
    for (uint64_t person : report->persons) writer.Uint(person);
    writer.EndArray();
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  // POST /v1/segments/count {"expression": "...", "explain": false}: how many persons
  // match, now (or at=), on the bitmap index; "explain": true adds the plan's steps.
  void HandleSegmentCount(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    std::string_view text;
    if (parser.parse(req.body).get(body) != simdjson::SUCCESS ||
        body["expression"].get_string().get(text) != simdjson::SUCCESS) {
      return SendError(res, absl::InvalidArgumentError("the body must be {\"expression\": \"...\"} (docs/segments.md)"));
    }
    bool explain = false;
    if (body["explain"].get_bool().get(explain) != simdjson::SUCCESS && body["explain"].error() != simdjson::NO_SUCH_FIELD) {
      return SendError(res, absl::InvalidArgumentError("\"explain\" must be true or false"));
    }
    auto expression = audience::ParseExpression(text);
    if (!expression.ok()) return SendError(res, expression.status());
    auto now_us = EvaluationTime(req, engine->clock()->NowMicros());
    if (!now_us.ok()) return SendError(res, now_us.status());
    auto started = std::chrono::steady_clock::now();
    auto definitions = segments->Definitions();
    if (!definitions.ok()) return SendError(res, definitions.status());
    auto result = engine->audience()->Evaluate(*expression, &*definitions, *now_us, explain);
    if (!result.ok()) return SendError(res, result.status());
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("count").Uint(result->count);
    writer.Key("persons").Uint(result->persons);
    writer.Key("expression").String(expression->ToString());
    writer.Key("evaluated_at").String(FormatIso8601Micros(*now_us));
    writer.Key("milliseconds").Double(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    if (explain) {
      writer.Key("plan").BeginArray();
      for (const auto& step : result->plan) {
        writer.BeginObject();
        writer.Key("depth").Int(step.depth);
        writer.Key("node").String(step.node);
        writer.Key("how").String(step.how);
        writer.Key("candidates").Uint(step.candidates);
        writer.Key("result").Uint(step.result);
        writer.Key("checked_one_by_one").Uint(step.residual_checks);
        writer.Key("milliseconds").Double(step.micros / 1000.0);
        writer.EndObject();
      }
      writer.EndArray();
    }
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  // POST /v1/segments {"name": ..., "expression": ...} creates or replaces a segment.
  void HandleSegmentSave(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    std::string_view name, text;
    if (parser.parse(req.body).get(body) != simdjson::SUCCESS || body["name"].get_string().get(name) != simdjson::SUCCESS ||
        body["expression"].get_string().get(text) != simdjson::SUCCESS) {
      return SendError(res, absl::InvalidArgumentError("the body must be {\"name\": \"...\", \"expression\": \"...\"}"));
    }
    int64_t now_us = engine->clock()->NowMicros();
    auto saved = segments->Save(std::string(name), text, engine->profile_model(), now_us);
    if (!saved.ok()) return SendError(res, saved.status());
    // Members now; those entering are recorded as entries.
    auto refreshed = engine->memberships()->Refresh(saved->name, now_us);
    if (!refreshed.ok()) return SendError(res, refreshed.status());
    SendSegment(*saved, res);
  }

  // A saved segment with its current size.
  // The segment's JSON with its current size.
  absl::StatusOr<std::string> SegmentWithSize(const audience::SavedSegment& segment) {
    AIDMP_ASSIGN_OR_RETURN(uint64_t size, engine->memberships()->Size(segment.name));
    std::string json = audience::SegmentCatalog::Encode(segment);
    json.pop_back();
    return StrCat(json, ",\"size\":", size, "}");
  }

  void SendSegment(const audience::SavedSegment& segment, httplib::Response& res) {
    auto json = SegmentWithSize(segment);
    if (!json.ok()) return SendError(res, json.status());
    res.set_content(*json, kJson);
  }

  // GET /v1/segments/{name}/members?format=jsonl|csv|json&identifiers=userId,emailHash
  //   &purpose=advertising&require_consent=false&after=CURSOR&limit=N
  void HandleSegmentMembers(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    audience::ExportOptions options;
    if (req.has_param("identifiers")) {
      auto types = audience::ParseIdentifierList(req.get_param_value("identifiers"));
      if (!types.ok()) return SendError(res, types.status());
      options.identifiers = *types;
    }
    if (req.has_param("purpose")) options.purpose = req.get_param_value("purpose");
    if (options.purpose == "none") options.purpose.clear();
    options.require_grant = req.get_param_value("require_consent") == "true";
    if (req.has_param("after") && !ParseNumber(req.get_param_value("after"), &options.after)) {
      return SendError(res, absl::InvalidArgumentError("query parameter 'after' must be a cursor (a person number)"));
    }
    auto limit = ParseLimit(req, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    options.limit = *limit;
    std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
    if (format != "json" && format != "jsonl" && format != "csv") {
      return SendError(res, absl::InvalidArgumentError("query parameter 'format' must be json, jsonl or csv"));
    }
    auto page = audience::ExportMembers(engine->store(), engine->memberships(), std::string(req.matches[1]), options);
    if (!page.ok()) return SendError(res, page.status());
    res.set_header("X-Next-Cursor", std::to_string(page->next_cursor));
    res.set_header("X-Excluded-By-Consent", std::to_string(page->excluded_by_consent));
    if (format == "csv") return res.set_content(audience::ExportCsv(*page, options, options.after == 0), "text/csv");
    if (format == "jsonl") return res.set_content(audience::ExportJsonLines(*page, options), "application/x-ndjson");
    std::string lines = audience::ExportJsonLines(*page, options);
    std::string members;
    for (std::string_view line : Split(lines, '\n', /*skip_empty=*/true)) StrAppend(&members, members.empty() ? "" : ",", line);
    res.set_content(StrCat("{\"members\":[", members, "],\"next_cursor\":", page->next_cursor,
                           ",\"excluded_by_consent\":", page->excluded_by_consent,
                           ",\"without_identifiers\":", page->without_identifiers, "}"),
                    kJson);
  }

  // GET /v1/segments/{name}/members/{person}: is the person a member?
  void HandleSegmentMember(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    uint64_t person = 0;
    if (!ParseNumber(std::string(req.matches[2]), &person)) {
      return SendError(res, absl::InvalidArgumentError("the person must be a number"));
    }
    auto member = engine->memberships()->IsMember(std::string(req.matches[1]), person);
    if (!member.ok()) return SendError(res, member.status());
    res.set_content(StrCat("{\"segment\":\"", std::string(req.matches[1]), "\",\"person\":", person,
                           ",\"member\":", *member ? "true" : "false", "}"),
                    kJson);
  }

  // GET /v1/segments/{name}/history?from=&to=&limit=: size over time and the entries
  // and exits since `from` (default: the last 7 days).
  void HandleSegmentHistory(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    int64_t now_us = engine->clock()->NowMicros();
    int64_t from_us = now_us - 7 * kMicrosPerDay, to_us = now_us;
    if (req.has_param("from")) {
      auto from = ParseTimeParam("from", req.get_param_value("from"));
      if (!from.ok()) return SendError(res, from.status());
      from_us = *from;
    }
    if (req.has_param("to")) {
      auto to = ParseTimeParam("to", req.get_param_value("to"));
      if (!to.ok()) return SendError(res, to.status());
      to_us = *to;
    }
    auto limit = ParseLimit(req, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    const std::string name(req.matches[1]);
    auto sizes = engine->memberships()->Sizes(name, from_us, to_us);
    if (!sizes.ok()) return SendError(res, sizes.status());
    auto changes = engine->memberships()->Changes(name, from_us, std::min<size_t>(*limit, 100000));
    if (!changes.ok()) return SendError(res, changes.status());
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("segment").String(name);
    writer.Key("sizes").BeginArray();
    for (const auto& point : *sizes) {
      writer.BeginObject().Key("at").String(FormatIso8601Micros(point.at_us)).Key("size").Uint(point.size).EndObject();
    }
    writer.EndArray();
    writer.Key("changes").BeginArray();
    for (const auto& change : *changes) {
      if (change.at_us > to_us) break;
      writer.BeginObject();
      writer.Key("at").String(FormatIso8601Micros(change.at_us));
      writer.Key("person").Uint(change.person);
      writer.Key("change").String(change.entered ? "entered" : "exited");
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  // POST /v1/segments/{name}/refresh (or /v1/segments/refresh for all): re-evaluates over
  // everyone and records the differences.
  void HandleSegmentRefresh(const httplib::Request& req, httplib::Response& res, bool all) {
    if (!CheckAdmin(req, res)) return;
    auto reports = engine->memberships()->Refresh(all ? "" : std::string(req.matches[1]), engine->clock()->NowMicros());
    if (!reports.ok()) return SendError(res, reports.status());
    JsonWriter writer;
    writer.BeginObject().Key("segments").BeginArray();
    for (const auto& report : *reports) {
      writer.BeginObject();
      writer.Key("name").String(report.segment);
      writer.Key("size").Uint(report.size);
      writer.Key("entered").Uint(report.entered);
      writer.Key("exited").Uint(report.exited);
      writer.EndObject();
    }
    writer.EndArray().EndObject();
    res.set_content(writer.Take(), kJson);
  }

  // POST /v1/segments/{name}/lookalike {"size": N, "exact": false, "check_recall": false}:
  // the N people most like the segment's members who are not in it.
  void HandleSegmentLookalike(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    uint64_t size = 100;
    bool exact = false, check_recall = false;
    if (parser.parse(req.body.empty() ? std::string("{}") : req.body).get(body) != simdjson::SUCCESS ||
        !body.is_object()) {
      return SendError(res, absl::InvalidArgumentError("the body must be {\"size\": N, \"exact\": false}"));
    }
    if (body["size"].error() != simdjson::NO_SUCH_FIELD &&
        (body["size"].get_uint64().get(size) != simdjson::SUCCESS || size == 0 || size > 100000)) {
      return SendError(res, absl::InvalidArgumentError("\"size\" must be a whole number from 1 to 100000"));
    }
    if (body["exact"].error() != simdjson::NO_SUCH_FIELD && body["exact"].get_bool().get(exact) != simdjson::SUCCESS) {
      return SendError(res, absl::InvalidArgumentError("\"exact\" must be true or false"));
    }
    if (body["check_recall"].error() != simdjson::NO_SUCH_FIELD &&
        body["check_recall"].get_bool().get(check_recall) != simdjson::SUCCESS) {
      return SendError(res, absl::InvalidArgumentError("\"check_recall\" must be true or false"));
    }
    const std::string name(req.matches[1]);
    auto seed = engine->memberships()->Members(name, 0, std::numeric_limits<size_t>::max());
    if (!seed.ok()) return SendError(res, seed.status());
    int64_t now_us = engine->clock()->NowMicros();
    std::shared_ptr<const audience::LookalikeModel> model;
    {
      std::lock_guard<std::mutex> lock(lookalike_mu);
      if (lookalike == nullptr || lookalike->built_at_us() < now_us - kLookalikeMaxAge) {
        auto built = audience::LookalikeModel::Build(engine->store(), engine->profile_model(), now_us);
        if (!built.ok()) return SendError(res, built.status());
        lookalike = std::move(*built);
      }
      model = lookalike;
    }
    auto started = std::chrono::steady_clock::now();
    auto found = model->Expand(*seed, size, exact);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!found.ok()) return SendError(res, found.status());
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("segment").String(name);
    writer.Key("seed").Uint(seed->size());
    writer.Key("search").String(exact ? "exact" : "hnsw");
    writer.Key("milliseconds").Double(ms);
    writer.Key("model").BeginObject();
    writer.Key("persons").Uint(model->persons());
    writer.Key("dimensions").Uint(model->dimensions());
    writer.Key("built_at").String(FormatIso8601Micros(model->built_at_us()));
    writer.EndObject();
    if (check_recall && !exact) {
      auto truth = model->Expand(*seed, size, /*exact=*/true);
      if (!truth.ok()) return SendError(res, truth.status());
      writer.Key("recall_vs_exact").Double(audience::Recall(*found, *truth));
    }
    writer.Key("lookalikes").BeginArray();
    for (const auto& match : *found) {
      writer.BeginObject().Key("person").Uint(match.person).Key("similarity").Double(match.similarity).EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  // POST /v1/segments/overlap {"a": NAME, "b": NAME}: audience planning between two saved
  // segments' current members.
  void HandleSegmentOverlap(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    std::string_view a, b;
    if (parser.parse(req.body).get(body) != simdjson::SUCCESS || body["a"].get_string().get(a) != simdjson::SUCCESS ||
        body["b"].get_string().get(b) != simdjson::SUCCESS) {
      return SendError(res, absl::InvalidArgumentError("the body must be {\"a\": \"segment\", \"b\": \"segment\"}"));
    }
    auto overlap = engine->memberships()->Overlap(std::string(a), std::string(b));
    if (!overlap.ok()) return SendError(res, overlap.status());
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("a").String(a);
    writer.Key("b").String(b);
    writer.Key("a_size").Uint(overlap->a);
    writer.Key("b_size").Uint(overlap->b);
    writer.Key("both").Uint(overlap->both);
    writer.Key("a_only").Uint(overlap->a - overlap->both);
    writer.Key("b_only").Uint(overlap->b - overlap->both);
    writer.Key("either").Uint(overlap->a + overlap->b - overlap->both);
    uint64_t either = overlap->a + overlap->b - overlap->both;
    writer.Key("jaccard").Double(either == 0 ? 0.0 : static_cast<double>(overlap->both) / static_cast<double>(either));
    writer.EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleSegmentList(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    auto list = segments->List();
    if (!list.ok()) return SendError(res, list.status());
    JsonWriter writer;
    writer.BeginObject().Key("segments").BeginArray();
    for (const auto& segment : *list) {
      auto json = SegmentWithSize(segment);
      if (!json.ok()) return SendError(res, json.status());
      writer.Raw(*json);
    }
    writer.EndArray().EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleSegmentGet(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    auto segment = segments->Get(std::string(req.matches[1]));
    if (!segment.ok()) return SendError(res, segment.status());
    SendSegment(*segment, res);
  }

  void HandleSegmentDelete(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    absl::Status status = segments->Delete(std::string(req.matches[1]));
    if (status.ok()) status = engine->memberships()->Drop(std::string(req.matches[1]));
    if (!status.ok()) return SendError(res, status);
    res.set_content("{\"deleted\":true}", kJson);
  }

  void HandleErasures(const httplib::Request& req, httplib::Response& res) {
    if (!CheckAdmin(req, res)) return;
    auto limit = ParseLimit(req, 100);
    if (!limit.ok()) return SendError(res, limit.status());
    auto erasures = privacy::ListErasures(engine->store(), *limit);
    if (!erasures.ok()) return SendError(res, erasures.status());
    JsonWriter writer;
    writer.BeginObject().Key("erasures").BeginArray();
    for (const auto& record : *erasures) writer.Raw(record);
    writer.EndArray().EndObject();
    res.set_content(writer.Take(), kJson);
  }

  void HandleMetrics(httplib::Response& res) {
    collect::EngineStats stats = engine->Stats();
    std::string out;
    auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
      StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name, " ", value, "\n");
    };
    counter("aidmp_events_received_total", "Events received (stored, duplicate or quarantined).",
            stats.events_received);
    counter("aidmp_events_stored_total", "Events appended to the event log.", stats.events_stored);
    counter("aidmp_events_duplicate_total", "Events dropped as duplicates of a stored messageId.",
            stats.duplicates);
    StrAppend(&out,
                    "# HELP aidmp_events_quarantined_total Events quarantined, by reason.\n"
                    "# TYPE aidmp_events_quarantined_total counter\n");
    for (const auto& [reason, count] : stats.quarantined_by_reason) {
      StrAppend(&out, "aidmp_events_quarantined_total{reason=\"", reason, "\"} ", count, "\n");
    }
    StrAppend(&out,
                    "# HELP aidmp_processor_lag_events Log entries not yet applied, by processor.\n"
                    "# TYPE aidmp_processor_lag_events gauge\n");
    for (const auto& runner : engine->processors()) {
      StrAppend(&out, "aidmp_processor_lag_events{processor=\"", runner->name(), "\"} ",
                      runner->Lag(), "\n");
    }
    StrAppend(&out,
                    "# HELP aidmp_processor_lag_seconds Age of the oldest unapplied log entry.\n"
                    "# TYPE aidmp_processor_lag_seconds gauge\n");
    for (const auto& runner : engine->processors()) {
      StrAppend(&out, "aidmp_processor_lag_seconds{processor=\"", runner->name(), "\"} ",
                      static_cast<double>(runner->LagMicros()) / 1e6, "\n");
    }
    StrAppend(&out,
              "# HELP aidmp_ingest_backpressure_seconds_total Time acknowledgements waited for the processors "
              "to come back within the lag bound (--max-processor-lag).\n"
              "# TYPE aidmp_ingest_backpressure_seconds_total counter\naidmp_ingest_backpressure_seconds_total ",
              static_cast<double>(engine->pipeline()->backpressure_micros()) / 1e6, "\n");
    StrAppend(&out, "# HELP aidmp_dedup_ids_in_memory Recent messageIds the dedup index holds in memory.\n"
                    "# TYPE aidmp_dedup_ids_in_memory gauge\naidmp_dedup_ids_in_memory ",
              engine->dedup().IdsInMemory(), "\n");
    StrAppend(&out, "# HELP aidmp_log_last_seq Highest event log sequence number.\n"
                          "# TYPE aidmp_log_last_seq gauge\naidmp_log_last_seq ",
                    stats.log_last_seq, "\n");
    metrics.AppendPrometheus(&out);
    res.set_content(out, "text/plain; version=0.0.4");
  }

  void Install() {
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(100000);
    // Idle keep-alive connections hold Stop() until they time out (cpp-httplib 0.11
    // checks for stop between waits), so keep the wait short; busy clients are unaffected.
    server.set_keep_alive_timeout(2);
    server.set_read_timeout(10, 0);
    server.set_write_timeout(10, 0);
    // Raw (compressed) bytes; the decompressed limit is enforced while reading.
    server.set_payload_max_length(1 << 20);
    int threads = options.threads;
    int nice = options.request_nice;
    // Called on the listener thread, whose name the pool's threads inherit as they start.
    server.new_task_queue = [threads, nice]() -> httplib::TaskQueue* {
      NameThisThread("aidmp-request");
      auto* pool = new NicedThreadPool(threads, nice);
      NameThisThread("aidmp-listen");
      return pool;
    };

    server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_started = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      auto elapsed = std::chrono::steady_clock::now() - request_started;
      Route route = req.path.rfind("/v1/", 0) != 0 ? Route::kOther
                    : req.method == "POST" && req.path.find("quarantine") == std::string::npos
                        ? Route::kCollect
                        : Route::kAdmin;
      metrics.Observe(route, res.status,
                      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    });
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      absl::Status status =
          res.status == 404 ? absl::NotFoundError(StrCat("no route for ", req.method, " ", req.path))
          : res.status == 413 ? absl::InvalidArgumentError("the request body is too large")
          : res.status == 400 ? absl::InvalidArgumentError("the request could not be read (bad HTTP or body)")
                              : absl::UnknownError(StrCat("HTTP ", res.status));
      int http_status = res.status;
      res.set_content(ErrorBody(status), kJson);
      res.status = http_status;
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unexpected error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      SendError(res, absl::InternalError(what));
    });
    RegisterDashboardRoutes(&server);  // GET /, /dashboard: the web page (serve/dashboard.h)

    server.Post(R"(/v1/(track|identify|page|screen|group|alias|batch|import))",
                [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& content_reader) {
                  HandleCollect(req, res, content_reader);
                });
    server.Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) { HandleEvents(req, res); });
    server.Get("/v1/stats", [this](const httplib::Request& req, httplib::Response& res) { HandleStats(req, res); });
    server.Get("/v1/quarantine",
               [this](const httplib::Request& req, httplib::Response& res) { HandleQuarantine(req, res); });
    server.Post("/v1/quarantine/replay",
                [this](const httplib::Request& req, httplib::Response& res) { HandleReplay(req, res); });
    // /v1/persons/... is the older name of /v1/profiles/...; both stay.
    server.Get(R"(/v1/(?:profiles|persons)/lookup)",
               [this](const httplib::Request& req, httplib::Response& res) { HandlePersonLookup(req, res); });
    server.Get(R"(/v1/(?:profiles|persons)/(\d+))",
               [this](const httplib::Request& req, httplib::Response& res) { HandlePerson(req, res); });
    server.Delete(R"(/v1/(?:profiles|persons)/lookup)",
                  [this](const httplib::Request& req, httplib::Response& res) { HandleErase(req, res, true); });
    server.Delete(R"(/v1/(?:profiles|persons)/(\d+))",
                  [this](const httplib::Request& req, httplib::Response& res) { HandleErase(req, res, false); });
    server.Post("/v1/identity/unmerge",
                [this](const httplib::Request& req, httplib::Response& res) { HandleUnmerge(req, res); });
    server.Post("/v1/segments/count",
                [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentCount(req, res); });
    server.Post("/v1/segments/overlap",
                [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentOverlap(req, res); });
    server.Post("/v1/segments/refresh",
                [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentRefresh(req, res, true); });
    server.Post(R"(/v1/segments/([A-Za-z0-9_-]+)/refresh)",
                [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentRefresh(req, res, false); });
    server.Post(R"(/v1/segments/([A-Za-z0-9_-]+)/lookalike)",
                [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentLookalike(req, res); });
    server.Get(R"(/v1/segments/([A-Za-z0-9_-]+)/members)",
               [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentMembers(req, res); });
    server.Get(R"(/v1/segments/([A-Za-z0-9_-]+)/members/(\d+))",
               [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentMember(req, res); });
    server.Get(R"(/v1/segments/([A-Za-z0-9_-]+)/history)",
               [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentHistory(req, res); });
    server.Post("/v1/segments", [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentSave(req, res); });
    server.Get("/v1/segments", [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentList(req, res); });
    server.Get(R"(/v1/segments/([A-Za-z0-9_-]+))",
               [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentGet(req, res); });
    server.Delete(R"(/v1/segments/([A-Za-z0-9_-]+))",
                  [this](const httplib::Request& req, httplib::Response& res) { HandleSegmentDelete(req, res); });
    RegisterRecommendationRoutes(&server, engine, recommendations.get(),
                                 [this](const httplib::Request& req, httplib::Response& res) { return CheckAdmin(req, res); });
    server.Get("/v1/erasures", [this](const httplib::Request& req, httplib::Response& res) { HandleErasures(req, res); });
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", kJson);
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { HandleMetrics(res); });
  }
};

HttpServer::HttpServer(collect::Engine* engine, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->engine = engine;
  impl_->options = std::move(options);
  impl_->segments = std::make_unique<audience::SegmentCatalog>(engine->store());
  impl_->rfm_cache = std::make_unique<profile::RfmCache>(engine->store(), &engine->profile_model(), 60 * kMicrosPerSecond);
  impl_->recommendations = std::make_unique<recserve::RecommendationService>(
      engine->store(), engine->data_dir(), &engine->profile_model().config(), engine->memberships(), engine->clock());
  impl_->Install();
}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  Impl* impl = impl_.get();
  // cpp-httplib gives the socket it creates to this hook before it binds; the last one
  // is the one it listens on (it tries one address after another until one binds).
  impl->listen_fd = -1;
  impl->server.set_socket_options([impl](socket_t sock) {
    httplib::default_socket_options(sock);
    impl->listen_fd = sock;
  });
  if (impl->options.port == 0) {
    impl->bound_port = impl->server.bind_to_any_port(impl->options.host.c_str());
  } else {
    impl->bound_port = impl->server.bind_to_port(impl->options.host.c_str(), impl->options.port)
                           ? impl->options.port
                           : -1;
  }
  if (impl->bound_port <= 0) {
    return absl::FailedPreconditionError(StrCat("cannot listen on ", impl->options.host, ":",
                                                      impl->options.port, " (in use or not allowed)"));
  }
  // It listened with a backlog of 5; listening again on the bound socket sets a larger one.
  if (impl->listen_fd < 0 || ::listen(impl->listen_fd, kListenBacklog) != 0) {
    spdlog::warn("the listen backlog stays at cpp-httplib's 5: {}",
                 impl->listen_fd < 0 ? "no socket seen" : std::strerror(errno));
  }
  impl->thread = std::thread([impl] {
    NameThisThread("aidmp-listen");
    impl->server.listen_after_bind();
  });
  if (impl->options.retrain_every_us > 0) impl->retrain_thread = std::thread([impl] { impl->RetrainLoop(); });
  // The socket is bound already, so connections queue from here on; wait until the
  // accept loop runs so that Stop() right after Start() cannot race it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl->server.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::InternalError("the HTTP accept loop did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->retrain_mu);
    impl_->stopping = true;
  }
  impl_->retrain_cv.notify_all();
  if (impl_->retrain_thread.joinable()) impl_->retrain_thread.join();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace aidmp::serve
