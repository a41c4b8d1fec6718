#include "bench/load_flags.h"

#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/time/time.h>

ABSL_FLAG(std::vector<std::string>, streams, std::vector<std::string>({"1", "8", "32"}),
          "Concurrent streams to measure at, comma-separated");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "How long to run unmeasured before each measurement");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "How long to run each measurement");

namespace healthsearch::bench {

absl::StatusOr<LoadSchedule> LoadScheduleFromFlags() {
  absl::StatusOr<std::vector<int>> streams = ParseStreamCounts(absl::GetFlag(FLAGS_streams));
  if (!streams.ok()) return streams.status();
  return LoadSchedule{.streams = *std::move(streams),
                      .warmup = absl::GetFlag(FLAGS_warmup),
                      .duration = absl::GetFlag(FLAGS_duration)};
}

}  // namespace healthsearch::bench
