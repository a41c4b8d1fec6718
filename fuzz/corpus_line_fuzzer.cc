// Feeds arbitrary bytes to the corpus line parsers. They must never crash,
// and a line they accept must have an id and survive a round trip
// through the JSON mapping.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <absl/strings/string_view.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include "common/corpus_reader.h"

namespace {

void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "corpus_line_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

template <typename Record, typename Parse>
void Check(absl::string_view line, Parse parse) {
  absl::StatusOr<Record> record = parse(line);
  if (!record.ok()) {
    if (!absl::IsInvalidArgument(record.status())) {
      Fail("error that is not INVALID_ARGUMENT", record.status().ToString());
    }
    return;
  }
  if (record->id().empty()) Fail("accepted a record without an id", std::string(line));
  // What we accepted, printed back, must be accepted again as the same record.
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*record, &json).ok()) {
    Fail("accepted a record that does not print as JSON", std::string(line));
  }
  absl::StatusOr<Record> again = parse(json);
  if (!again.ok()) Fail("printed record does not parse again", again.status().ToString());
  if (again->SerializeAsString() != record->SerializeAsString()) {
    Fail("record changed in a JSON round trip", json);
  }
}

}  // namespace

// Parsing invalid UTF-8 into a string field logs an error each time.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view line(reinterpret_cast<const char*>(data), size);
  Check<healthsearch::v1::Condition>(line, healthsearch::ParseConditionLine);
  Check<healthsearch::v1::Article>(line, healthsearch::ParseArticleLine);
  return 0;
}
