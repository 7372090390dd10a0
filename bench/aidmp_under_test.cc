#include "bench/aidmp_under_test.h"

#include "common/strings.h"

namespace aidmp::bench {

absl::StatusOr<std::unique_ptr<AidmpUnderTest>> AidmpUnderTest::Start(const std::string& data_dir, bool processors,
                                                                      const std::string& admin_key,
                                                                      size_t profile_cache_bytes,
                                                                      ProcessorPolicy policy) {
  collect::EngineOptions options;
  options.write_keys = {{kWriteKey, "bench"}};
  options.background_processors = processors;
  options.profile_cache_bytes = profile_cache_bytes;
  options.processor_nice = policy.nice;
  options.ingest.max_processor_lag_us = policy.max_lag_us;
  auto engine = collect::Engine::Open(data_dir, options);
  if (!engine.ok()) return engine.status();
  std::unique_ptr<AidmpUnderTest> aidmp(new AidmpUnderTest());
  aidmp->engine_ = std::move(*engine);
  serve::ServerOptions server_options;  // default worker threads
  server_options.admin_key = admin_key;
  server_options.host = "127.0.0.1";
  server_options.port = 0;
  aidmp->server_ = std::make_unique<serve::HttpServer>(aidmp->engine_.get(), server_options);
  absl::Status status = aidmp->server_->Start();
  if (!status.ok()) return status;
  return aidmp;
}

AidmpUnderTest::~AidmpUnderTest() {
  // Stop taking requests before the engine they use goes away.
  if (server_) server_->Stop();
  server_.reset();
  engine_.reset();
}

std::optional<bool> ParseProcessorPolicyFlag(std::string_view name, std::string_view value, ProcessorPolicy* policy) {
  if (name == "--processor-nice") {
    return ParseNumber(value, &policy->nice) && policy->nice >= 0 && policy->nice <= 19;
  }
  if (name == "--max-processor-lag") {
    double seconds = 0;
    if (!ParseDouble(value, &seconds) || seconds < 0) return false;
    policy->max_lag_us = static_cast<int64_t>(seconds * 1e6);
    return true;
  }
  return std::nullopt;
}

std::string AidmpUnderTest::AuthorizationHeader() { return StrCat("Basic ", Base64Encode(StrCat(kWriteKey, ":"))); }

std::map<std::string, uint64_t> AidmpUnderTest::ProcessorLags() const {
  std::map<std::string, uint64_t> lags;
  for (const auto& runner : engine_->processors()) lags[std::string(runner->name())] = runner->Lag();
  return lags;
}

}  // namespace aidmp::bench
