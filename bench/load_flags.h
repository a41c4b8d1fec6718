// --streams, --warmup and --duration of the tools that put load on an engine
// (search_benchmark, bench_fts5, bench_postgres): defined once, so they mean
// the same in each.
#ifndef HEALTHSEARCH_BENCH_LOAD_FLAGS_H_
#define HEALTHSEARCH_BENCH_LOAD_FLAGS_H_

#include <absl/status/statusor.h>

#include "bench/bench_support.h"

namespace healthsearch::bench {

// The flags' values; INVALID_ARGUMENT for a bad --streams.
absl::StatusOr<LoadSchedule> LoadScheduleFromFlags();

}  // namespace healthsearch::bench

#endif  // HEALTHSEARCH_BENCH_LOAD_FLAGS_H_
