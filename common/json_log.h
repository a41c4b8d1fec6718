// Structured logs: one JSON object per line on stderr, which log collectors
// read without parsing free text.
//
//   {"time":"2026-11-26T02:44:47.123Z","source":"search-service","event":"request",...}
#ifndef HEALTHSEARCH_COMMON_JSON_LOG_H_
#define HEALTHSEARCH_COMMON_JSON_LOG_H_

#include <absl/strings/string_view.h>

#include <cstdint>
#include <string>

namespace healthsearch {

// Names the program in the "source" field of every line; call once in main().
void SetLogSource(absl::string_view source);

// A line under construction. Fields appear in the order they are added.
class LogLine {
 public:
  // Starts with "time" (UTC, milliseconds), "source" and "event".
  explicit LogLine(absl::string_view event);

  LogLine& Add(absl::string_view key, absl::string_view value);
  LogLine& AddInteger(absl::string_view key, int64_t value);
  LogLine& AddNumber(absl::string_view key, double value);
  // `json` must already be a JSON value (e.g. protobuf's JSON form of a message).
  LogLine& AddJson(absl::string_view key, absl::string_view json);

  // The object, without a newline.
  std::string ToString() const;
  // Writes the line to stderr with a single write, so that lines of
  // concurrent writers never interleave.
  void Write() const;

 private:
  std::string json_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_JSON_LOG_H_
