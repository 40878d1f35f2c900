#include "base/json.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

TEST(Json, RendersNestedValuesInInsertionOrderLikeJackson) {
  Json v = Json::Object()
               .Set("command", "stats")
               .Set("error", nullptr)
               .Set("n", 42)
               .Set("avg", 3.0)
               .Set("ok", true)
               .Set("list", Json::Array().Push(1).Push("a"))
               .Set("empty", Json::Object());
  EXPECT_EQ(v.Render(),
            "{\n"
            "  \"command\" : \"stats\",\n"
            "  \"error\" : null,\n"
            "  \"n\" : 42,\n"
            "  \"avg\" : 3.0,\n"
            "  \"ok\" : true,\n"
            "  \"list\" : [\n"
            "    1,\n"
            "    \"a\"\n"
            "  ],\n"
            "  \"empty\" : { }\n"
            "}");
}

TEST(Json, SetReplacesAnExistingMemberInPlace) {
  Json v = Json::Object().Set("command", "leader").Set("error", nullptr);
  v.Set("command", "lead");
  ASSERT_EQ(v.members().size(), 2u);
  EXPECT_EQ(v.members()[0].first, "command");
  EXPECT_EQ(v.Find("command")->Render(), "\"lead\"");
  EXPECT_EQ(v.Find("missing"), nullptr);
}

TEST(Json, AppendAddsMembersInOrderWithoutLookingForTheKey) {
  // What the admin listings build: one member per path, keys already distinct.
  Json v = Json::Object().Set("command", "watches_by_path");
  Json by_path = Json::Object();
  for (int i = 0; i < 3; ++i) by_path.Append("/n" + std::to_string(i), Json::Array().Push(i));
  v.Set("path_to_session_ids", std::move(by_path));
  const Json* listed = v.Find("path_to_session_ids");
  ASSERT_NE(listed, nullptr);
  ASSERT_EQ(listed->members().size(), 3u);
  EXPECT_EQ(listed->members()[2].first, "/n2");
  EXPECT_EQ(listed->Find("/n1")->Render(), "[\n  1\n]");
}

TEST(Json, QuotesControlCharactersAndReplacesInvalidUtf8) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");                  // valid UTF-8 kept
  EXPECT_EQ(JsonQuote("bad\xff!"), "\"bad\xEF\xBF\xBD!\"");                // invalid byte -> U+FFFD
  EXPECT_EQ(JsonQuote("cut\xe2\x82"), "\"cut\xEF\xBF\xBD\xEF\xBF\xBD\"");  // truncated sequence
}

TEST(Json, NumbersRoundTripAndNonFiniteBecomesNull) {
  EXPECT_EQ(Json(int64_t{-9223372036854775807LL}).Render(), "-9223372036854775807");
  EXPECT_EQ(Json(0.25).Render(), "0.25");
  EXPECT_EQ(Json(1e300 * 1e300).Render(), "null");
  EXPECT_EQ(Json(size_t{7}).Render(), "7");
}

}  // namespace
}  // namespace corral
