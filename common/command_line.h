// Command-line spelling shared by every executable.
#ifndef HEALTHSEARCH_COMMON_COMMAND_LINE_H_
#define HEALTHSEARCH_COMMON_COMMAND_LINE_H_

namespace healthsearch {

// Rewrites, in place, the name of every "--flag-name[=value]" argument to
// "--flag_name[=value]", so that both spellings of our flags are accepted.
// Values, positional arguments and everything after a bare "--" are left as
// they are. Call before absl::ParseCommandLine.
void AcceptDashedFlagNames(int argc, char** argv);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_COMMAND_LINE_H_
