#include "common/page_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "healthsearch/v1/content_service.pb.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PageTokenTest, RoundTripsForTheSameRequestAndVersion) {
  v1::ListConditionsRequest request;
  request.set_category("autoimmune");
  const std::string token = EncodePageToken("v1", request, {.after_id = "lupus", .offset = 7});
  absl::StatusOr<PageCursor> cursor = DecodePageToken(token, "v1", request);
  ASSERT_THAT(cursor, IsOk());
  EXPECT_EQ(cursor->after_id, "lupus");
  EXPECT_EQ(cursor->offset, 7);
}

TEST(PageTokenTest, RejectsTokensItDidNotIssue) {
  v1::ListConditionsRequest request;
  for (const char* token : {"garbage!", "AAAA", "", "bG9s"}) {
    EXPECT_THAT(DecodePageToken(token, "v1", request),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a token")))
        << token;
  }
}

TEST(PageTokenTest, RejectsATokenFromAnotherVersionOrRequest) {
  v1::ListConditionsRequest request;
  request.set_category("autoimmune");
  const std::string token = EncodePageToken("v1", request, {.after_id = "lupus"});
  EXPECT_THAT(DecodePageToken(token, "v2", request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("older version")));
  request.set_category("skin");
  EXPECT_THAT(DecodePageToken(token, "v1", request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different query")));
  const std::string unfiltered = EncodePageToken("v1", v1::ListConditionsRequest(), {});
  EXPECT_THAT(DecodePageToken(unfiltered, "v1", v1::ListArticlesRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different query")));
}

}  // namespace
}  // namespace healthsearch
