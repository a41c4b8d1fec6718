#include "common/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace healthsearch {
namespace {

std::vector<std::string> Normalized(std::vector<std::string> arguments) {
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  AcceptDashedFlagNames(static_cast<int>(argv.size()), argv.data());
  return {argv.begin(), argv.end()};
}

TEST(AcceptDashedFlagNamesTest, DashedNamesBecomeUnderscored) {
  EXPECT_THAT(Normalized({"prog", "--tls-cert", "a-b.pem", "--tls-client-ca=c-a.pem",
                          "--log_queries", "-v"}),
              ::testing::ElementsAre("prog", "--tls_cert", "a-b.pem", "--tls_client_ca=c-a.pem",
                                     "--log_queries", "-v"));
}

TEST(AcceptDashedFlagNamesTest, ArgumentsAfterDoubleDashAreUntouched) {
  EXPECT_THAT(Normalized({"prog", "search", "--page-size", "3", "--", "--not-a-flag"}),
              ::testing::ElementsAre("prog", "search", "--page_size", "3", "--", "--not-a-flag"));
}

}  // namespace
}  // namespace healthsearch
