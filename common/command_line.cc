#include "common/command_line.h"

#include <cstring>

namespace healthsearch {

void AcceptDashedFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* argument = argv[i];
    if (std::strcmp(argument, "--") == 0) return;
    if (std::strncmp(argument, "--", 2) != 0) continue;
    for (char* c = argument + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

}  // namespace healthsearch
