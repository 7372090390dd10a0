// Versions of the recommender model in a data directory: DIR/models/recommender/
// holds v<N>.model (serving_model.h's format) with v<N>.json beside it (what it is:
// algorithm, parameters, sizes, when), and ACTIVE naming the version that serves.
// Versions only grow; files are written to a temporary name and renamed, so a reader
// never sees half a model. The newest `keep` versions (and always the active one) stay;
// older ones are deleted, so an erased person's history does not linger in old models.
// Thread-safety: safe across threads and processes for readers; one writer at a time
// (Save and Activate take a lock file).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recserve/serving_model.h"

namespace aidmp::recserve {

struct ModelInfo {
  uint64_t version = 0;
  bool active = false;
  std::string json;  // the v<N>.json document
  uint64_t bytes = 0;
};

class ModelStore {
 public:
  // `data_dir` is the engine's data directory; the models folder is made on first Save.
  explicit ModelStore(std::string data_dir, int keep = 3);

  // Assigns the next version to `model`, writes it, and makes it active if `activate`.
  absl::StatusOr<uint64_t> Save(ServingModel* model, bool activate);
  // NotFound if there is no such version.
  absl::StatusOr<std::shared_ptr<const ServingModel>> Load(uint64_t version) const;
  // NotFound while no model was activated.
  absl::StatusOr<uint64_t> ActiveVersion() const;
  absl::Status Activate(uint64_t version);
  // Newest first.
  absl::StatusOr<std::vector<ModelInfo>> List() const;
  const std::string& dir() const { return dir_; }

  // The summary written as v<N>.json.
  static std::string DescribeJson(const ServingModel& model);

 private:
  absl::Status Prune(uint64_t active);
  std::string dir_;
  int keep_;
};

}  // namespace aidmp::recserve
