#include "recserve/model_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/json_writer.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace aidmp::recserve {
namespace fs = std::filesystem;
namespace {

std::string ModelPath(const std::string& dir, uint64_t version) { return StrCat(dir, "/v", version, ".model"); }
std::string InfoPath(const std::string& dir, uint64_t version) { return StrCat(dir, "/v", version, ".json"); }

absl::Status WriteFileAtomically(const std::string& path, std::string_view data) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) return absl::InternalError(StrCat("cannot write ", temporary));
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) return absl::InternalError(StrCat("cannot rename ", temporary, ": ", error.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The versions present, ascending.
std::vector<uint64_t> Versions(const std::string& dir) {
  std::vector<uint64_t> versions;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    std::string name = entry.path().filename().string();
    if (name.size() < 8 || name[0] != 'v' || !name.ends_with(".model")) continue;
    uint64_t version = 0;
    if (ParseUint64(std::string_view(name).substr(1, name.size() - 7), &version)) versions.push_back(version);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

// An exclusive lock on DIR/LOCK for the life of the object.
class DirLock {
 public:
  explicit DirLock(const std::string& dir) : fd_(::open(StrCat(dir, "/LOCK").c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

ModelStore::ModelStore(std::string data_dir, int keep)
    : dir_(StrCat(data_dir, "/models/recommender")), keep_(std::max(1, keep)) {}

std::string ModelStore::DescribeJson(const ServingModel& model) {
  JsonWriter writer;
  writer.BeginObject()
      .Key("version").Uint(model.version)
      .Key("algo").String(model.algo)
      .Key("params").String(model.params)
      .Key("trained_at").String(FormatIso8601Micros(model.trained_at_us))
      .Key("data_until").String(model.data_until_us > 0 ? FormatIso8601Micros(model.data_until_us) : "")
      .Key("train_seconds").Double(model.train_seconds)
      .Key("persons").Uint(model.persons.size())
      .Key("items").Uint(model.items.size())
      .Key("interactions").Uint(model.interactions)
      .Key("ranking").String(model.ranking)
      .Key("ann_recall").Double(model.ann_recall)
      .Key("ann_recall_persons").Uint(model.ann_recall_persons)
      .EndObject();
  return writer.Take();
}

absl::StatusOr<uint64_t> ModelStore::Save(ServingModel* model, bool activate) {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) return absl::InternalError(StrCat("cannot create ", dir_, ": ", error.message()));
  DirLock lock(dir_);
  if (!lock.ok()) return absl::InternalError(StrCat("cannot lock ", dir_));
  std::vector<uint64_t> versions = Versions(dir_);
  model->version = versions.empty() ? 1 : versions.back() + 1;
  AIDMP_RETURN_IF_ERROR(WriteFileAtomically(InfoPath(dir_, model->version), DescribeJson(*model)));
  AIDMP_RETURN_IF_ERROR(WriteFileAtomically(ModelPath(dir_, model->version), EncodeServingModel(*model)));
  uint64_t active = model->version;
  if (activate) {
    AIDMP_RETURN_IF_ERROR(WriteFileAtomically(StrCat(dir_, "/ACTIVE"), std::to_string(model->version)));
  } else if (auto current = ActiveVersion(); current.ok()) {
    active = *current;
  }
  AIDMP_RETURN_IF_ERROR(Prune(active));
  return model->version;
}

absl::Status ModelStore::Prune(uint64_t active) {
  std::vector<uint64_t> versions = Versions(dir_);
  if (static_cast<int>(versions.size()) <= keep_) return absl::OkStatus();
  for (size_t i = 0; i + keep_ < versions.size(); ++i) {
    if (versions[i] == active) continue;
    std::error_code error;
    fs::remove(ModelPath(dir_, versions[i]), error);
    fs::remove(InfoPath(dir_, versions[i]), error);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ServingModel>> ModelStore::Load(uint64_t version) const {
  auto data = ReadFile(ModelPath(dir_, version));
  if (!data.ok()) return absl::NotFoundError(StrCat("no recommender model version ", version));
  auto model = DecodeServingModel(*data);
  if (!model.ok()) return absl::Status(model.status().code(), StrCat(ModelPath(dir_, version), ": ", model.status().message()));
  if (model->version != version) {
    return absl::InvalidArgumentError(StrCat(ModelPath(dir_, version), " says it is version ", model->version));
  }
  return std::make_shared<const ServingModel>(*std::move(model));
}

absl::StatusOr<uint64_t> ModelStore::ActiveVersion() const {
  auto text = ReadFile(StrCat(dir_, "/ACTIVE"));
  if (!text.ok()) return absl::NotFoundError("no recommender model is active yet (aidmp train recommender)");
  uint64_t version = 0;
  if (!ParseUint64(StripWhitespace(*text), &version)) {
    return absl::InvalidArgumentError(StrCat(dir_, "/ACTIVE does not hold a version number"));
  }
  return version;
}

absl::Status ModelStore::Activate(uint64_t version) {
  std::error_code error;
  if (!fs::exists(ModelPath(dir_, version), error)) {
    return absl::NotFoundError(StrCat("no recommender model version ", version));
  }
  DirLock lock(dir_);
  return WriteFileAtomically(StrCat(dir_, "/ACTIVE"), std::to_string(version));
}

absl::StatusOr<std::vector<ModelInfo>> ModelStore::List() const {
  std::vector<ModelInfo> infos;
  auto active = ActiveVersion();
  std::vector<uint64_t> versions = Versions(dir_);
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    ModelInfo info;
    info.version = *it;
    info.active = active.ok() && *active == *it;
    auto json = ReadFile(InfoPath(dir_, *it));
    info.json = json.ok() ? *json : "{}";
    std::error_code error;
    info.bytes = fs::file_size(ModelPath(dir_, *it), error);
    infos.push_back(std::move(info));
  }
  return infos;
}

}  // namespace aidmp::recserve
