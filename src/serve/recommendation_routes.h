// The recommendation API over one RecommendationService (recserve/), admin key required:
//   GET  /v1/recommendations/{personId}?k=10&category=&segment=&exclude_seen=true&explain=false
//   GET  /v1/recommendations/lookup?type=userId&value=...&k=...   (any identifier)
//   GET  /v1/items/{itemId}/similar?k=10&category=&segment=&explain=false
//   GET  /v1/items/popular?k=10&category=&segment=
//   GET  /v1/items/{itemId}                    the catalogue entry
//   POST /v1/items?format=jsonl|csv            catalogue import (a JSON array body works too)
//   POST /v1/recommender/train                 {"algo": "auto", "params": {...}, ...}
//   GET  /v1/recommender/models                versions, newest first, and the active one
//   POST /v1/recommender/models/{version}/activate
// Answers name the model (version, algorithm) they came from; docs/recommendations.md
// shows their shape.
// Thread-safety: handlers run on the server's threads; the service is thread-safe.
#pragma once

#include <functional>

#include "collect/engine.h"
#include "recserve/recommendation_service.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace aidmp::serve {

// `check_admin` answers 401 itself and returns false when the request lacks the key.
void RegisterRecommendationRoutes(httplib::Server* server, collect::Engine* engine,
                                  recserve::RecommendationService* service,
                                  std::function<bool(const httplib::Request&, httplib::Response&)> check_admin);

// The JSON answer for a list.
std::string RecommendationJson(const recserve::RecommendResult& result, bool with_person);

// Parses a POST /v1/recommender/train body into options. InvalidArgument names the member.
absl::StatusOr<recserve::TrainOptions> ParseTrainRequest(std::string_view body);

}  // namespace aidmp::serve
