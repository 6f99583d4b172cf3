#include "core/time.h"

#include <gtest/gtest.h>

namespace interdict {
namespace {

struct TimeCase {
  const char* text;
  UnixTime want;
};

TEST(TimeTest, ParsesTheFormsRegistersUse) {
  const TimeCase cases[] = {
      {"1970-01-01", 0},
      {"2014-04-22", 1398124800},
      {"2014-04-22T11:05:00Z", 1398164700},
      {"2014-04-22 11:05:00 +0000", 1398164700},  // z-i's "Updated:" line
      {"2014-04-22T14:05:00+03:00", 1398164700},
      {"2014-04-22T07:05-04:00", 1398164700},
      {"2014-04-22T11:05:00.123Z", 1398164700},
      {"2024-02-29", 1709164800},
  };
  for (const TimeCase& c : cases) {
    Result<UnixTime> t = ParseTime(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(*t, c.want) << c.text;
  }
}

TEST(TimeTest, RejectsWithAReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"2023-02-29", "does not exist"},
      {"2014-13-01", "does not exist"},
      {"22-04-2014", "YYYY-MM-DD"},
      {"2014-04-22T25:00Z", "out of range"},
      {"2014-04-22T10:00:00Q", "unexpected text"},
      {"2014-04-22T10:00+3", "zone offset"},
      {"", "YYYY-MM-DD"},
      {"1969-12-31", "before 1970"},
      {"1970-01-01T00:30+01:00", "outside 1970 to 9999"},
  };
  for (const auto& [text, why] : cases) {
    Result<UnixTime> t = ParseTime(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_NE(t.status().message().find(why), std::string::npos) << t.status().message();
  }
  EXPECT_FALSE(ParseDate("2014-04-22T00:00Z").ok());  // a date, not a time
}

TEST(TimeTest, FormatsRoundTrip) {
  for (UnixTime t : {UnixTime{0}, UnixTime{1398164700}, UnixTime{4102444799}}) {
    Result<UnixTime> back = ParseTime(FormatTime(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(FormatTime(1398164700), "2014-04-22T11:05:00Z");
  EXPECT_EQ(FormatDate(1398164700), "2014-04-22");
}

TEST(TimeTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(100);
  EXPECT_EQ(clock.Now(), 100);
  clock.Advance(50);
  EXPECT_EQ(clock.Now(), 150);
  clock.Set(7);
  EXPECT_EQ(clock.Now(), 7);
}

}  // namespace
}  // namespace interdict
