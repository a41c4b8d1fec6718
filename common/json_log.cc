#include "common/json_log.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <unistd.h>

#include <cmath>

namespace healthsearch {
namespace {

std::string& LogSource() {
  static std::string* source = new std::string;
  return *source;
}

void AppendQuoted(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

void SetLogSource(absl::string_view source) { LogSource() = std::string(source); }

LogLine::LogLine(absl::string_view event) : json_("{") {
  json_.append("\"time\":");
  AppendQuoted(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), &json_);
  if (!LogSource().empty()) Add("source", LogSource());
  Add("event", event);
}

LogLine& LogLine::Add(absl::string_view key, absl::string_view value) {
  json_.push_back(',');
  AppendQuoted(key, &json_);
  json_.push_back(':');
  AppendQuoted(value, &json_);
  return *this;
}

LogLine& LogLine::AddInteger(absl::string_view key, int64_t value) {
  return AddJson(key, absl::StrCat(value));
}

LogLine& LogLine::AddNumber(absl::string_view key, double value) {
  // JSON has no NaN or infinity.
  return AddJson(key, std::isfinite(value) ? absl::StrFormat("%.6g", value) : "null");
}

LogLine& LogLine::AddJson(absl::string_view key, absl::string_view json) {
  json_.push_back(',');
  AppendQuoted(key, &json_);
  json_.push_back(':');
  json_.append(json.data(), json.size());
  return *this;
}

std::string LogLine::ToString() const { return absl::StrCat(json_, "}"); }

void LogLine::Write() const {
  const std::string line = absl::StrCat(json_, "}\n");
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n <= 0) return;
    written += static_cast<size_t>(n);
  }
}

}  // namespace healthsearch
