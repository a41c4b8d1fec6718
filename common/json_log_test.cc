#include "common/json_log.h"

#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

namespace healthsearch {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A log collector's view of a line: it must parse as one JSON object.
google::protobuf::Struct Parse(const std::string& line) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  return parsed;
}

TEST(LogLineTest, IsOneParsableObjectWithTimeSourceAndEvent) {
  SetLogSource("search-service");
  const std::string line = LogLine("request")
                               .Add("method", "Search")
                               .AddInteger("result_count", 12)
                               .AddNumber("latency_ms", 1.25)
                               .ToString();
  const google::protobuf::Struct parsed = Parse(line);
  EXPECT_THAT(parsed.fields().at("time").string_value(),
              MatchesRegex("20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+\\.[0-9][0-9][0-9]Z"));
  EXPECT_EQ(parsed.fields().at("source").string_value(), "search-service");
  EXPECT_EQ(parsed.fields().at("event").string_value(), "request");
  EXPECT_EQ(parsed.fields().at("result_count").number_value(), 12);
  EXPECT_EQ(parsed.fields().at("latency_ms").number_value(), 1.25);
  EXPECT_THAT(line, Not(HasSubstr("\n")));
}

TEST(LogLineTest, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string text = "say \"hi\"\\ then\nnew line\x01 and caf\xc3\xa9";
  const std::string line = LogLine("x").Add("error", text).ToString();
  EXPECT_THAT(line, Not(HasSubstr("\n")));
  EXPECT_EQ(Parse(line).fields().at("error").string_value(), text);
}

TEST(LogLineTest, NonFiniteNumbersBecomeNull) {
  const google::protobuf::Struct parsed =
      Parse(LogLine("x").AddNumber("ratio", std::nan("")).ToString());
  EXPECT_TRUE(parsed.fields().at("ratio").has_null_value());
}

}  // namespace
}  // namespace healthsearch
