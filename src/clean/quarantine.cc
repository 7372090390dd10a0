#include "clean/quarantine.h"

#include "common/json_writer.h"
#include "common/time_format.h"
#include "simdjson.h"
#include "storage/keys.h"
#include "common/strings.h"
#include "event/json_util.h"

namespace aidmp::clean {

using event::ValueOr;

Quarantine::Quarantine(storage::Store* store) : store_(store) {
  auto it = store_->NewIterator(storage::Family::kQuarantine);
  it->SeekToLast();
  if (it->Valid() && it->key().size() == 8) next_id_ = storage::DecodeLogKey(it->key());
}

std::string Quarantine::CounterName(std::optional<Reason> reason) {
  if (!reason.has_value()) return "quarantined";
  return StrCat("quarantined/", ReasonCode(*reason));
}

void Quarantine::Stage(const QuarantineRecord& record, storage::WriteBatch* batch) const {
  batch->Put(storage::Family::kQuarantine, storage::QuarantineKey(record.id), EncodeRecord(record));
  batch->AddCounter(storage::CounterKey(CounterName(std::nullopt)), 1);
  batch->AddCounter(storage::CounterKey(CounterName(record.reason)), 1);
}

void Quarantine::StageRemove(uint64_t id, storage::WriteBatch* batch) const {
  batch->Delete(storage::Family::kQuarantine, storage::QuarantineKey(id));
}

absl::Status Quarantine::List(uint64_t after_id, size_t limit, std::optional<Reason> reason,
                              std::vector<QuarantineRecord>* out) const {
  auto it = store_->NewIterator(storage::Family::kQuarantine);
  for (it->Seek(storage::QuarantineKey(after_id + 1)); it->Valid() && limit > 0; it->Next()) {
    QuarantineRecord record;
    absl::Status status = DecodeRecord(it->value(), &record);
    if (!status.ok()) return status;
    if (reason.has_value() && record.reason != *reason) continue;
    out->push_back(std::move(record));
    --limit;
  }
  return it->status();
}

std::string Quarantine::EncodeRecord(const QuarantineRecord& record) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("id").Uint(record.id);
  writer.Key("reason").String(ReasonCode(record.reason));
  writer.Key("message").String(record.message);
  writer.Key("source").String(record.source);
  if (!record.type_hint.empty()) writer.Key("type_hint").String(record.type_hint);
  writer.Key("receivedAt").String(FormatIso8601Micros(record.received_at_us));
  // Bytes that are not UTF-8 would not survive as a JSON string: keep them exactly.
  if (IsValidUtf8(record.raw)) {
    writer.Key("raw").String(record.raw);
  } else {
    writer.Key("raw_base64").String(Base64Encode(record.raw));
  }
  writer.EndObject();
  return writer.Take();
}

absl::Status Quarantine::DecodeRecord(std::string_view data, QuarantineRecord* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(data.data(), data.size()).get(object) != simdjson::SUCCESS) {
    return absl::DataLossError("quarantine record is not a JSON object");
  }
  *out = QuarantineRecord();
  out->id = ValueOr(object["id"].get_uint64(), uint64_t{0});
  ParseReasonCode(ValueOr(object["reason"].get_string(), std::string_view("")), &out->reason);
  out->message = std::string(ValueOr(object["message"].get_string(), std::string_view("")));
  out->source = std::string(ValueOr(object["source"].get_string(), std::string_view("")));
  out->type_hint = std::string(ValueOr(object["type_hint"].get_string(), std::string_view("")));
  auto received = ParseIso8601Micros(ValueOr(object["receivedAt"].get_string(), std::string_view("")));
  out->received_at_us = received.ok() ? *received : 0;
  std::string_view raw;
  if (object["raw"].get_string().get(raw) == simdjson::SUCCESS) {
    out->raw = std::string(raw);
  } else if (object["raw_base64"].get_string().get(raw) == simdjson::SUCCESS &&
             !Base64Decode(raw, &out->raw)) {
    return absl::DataLossError("quarantine record has bad base64 in raw_base64");
  }
  return absl::OkStatus();
}

}  // namespace aidmp::clean
