#include "model/types.h"

#include <gtest/gtest.h>

#include <vector>

namespace interdict {
namespace {

TEST(TypesTest, NamesRoundTrip) {
  for (int i = 0; i < 7; ++i) {
    const auto k = static_cast<OrgKind>(i);
    EXPECT_EQ(*ParseOrgKind(Name(k)), k);
  }
  for (int i = 0; i < 3; ++i) {
    const auto k = static_cast<OrderKind>(i);
    EXPECT_EQ(*ParseOrderKind(Name(k)), k);
  }
  for (int i = 0; i < 5; ++i) {
    const auto s = static_cast<OrderState>(i);
    EXPECT_EQ(*ParseOrderState(Name(s)), s);
    const auto r = static_cast<ReferralState>(i);
    EXPECT_EQ(*ParseReferralState(Name(r)), r);
  }
  for (int i = 0; i < 9; ++i) {
    const auto c = static_cast<Category>(i);
    EXPECT_EQ(*ParseCategory(Name(c)), c);
  }
}

TEST(TypesTest, VerdictsAreTheProbeContractsSevenNames) {
  const std::vector<std::string_view> names = {"blocked-dns",  "blocked-ip", "blocked-sni",
                                               "blocked-http", "accessible", "down",
                                               "inconclusive"};
  ASSERT_EQ(names.size(), static_cast<std::size_t>(kProbeVerdictCount));
  for (int i = 0; i < kProbeVerdictCount; ++i) {
    const auto v = static_cast<ProbeVerdict>(i);
    EXPECT_EQ(Name(v), names[static_cast<std::size_t>(i)]);
    EXPECT_EQ(*ParseProbeVerdict(Name(v)), v);
    EXPECT_EQ(IsBlocked(v), names[static_cast<std::size_t>(i)].starts_with("blocked-"));
  }
  Result<ProbeVerdict> bad = ParseProbeVerdict("blocked");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("inconclusive"), std::string::npos);
  EXPECT_FALSE(ParseProbeVerdict("Accessible").ok());
}

TEST(TypesTest, UnknownNamesListTheValidOnes) {
  Result<OrgKind> k = ParseOrgKind("pirate");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("rightsholder"), std::string::npos);
  EXPECT_FALSE(ParseCategory("Torrent").ok());  // names are case-sensitive
}

TEST(TypesTest, SetsParseAndFormat) {
  Result<ScopeSet> s = ParseScopes("vpn, isp,isp");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, Bit(Scope::kIsp) | Bit(Scope::kVpn));
  EXPECT_EQ(FormatScopes(*s), "isp,vpn");
  EXPECT_EQ(*ParseCategories(""), 0u);
  EXPECT_EQ(FormatCategories(Bit(Category::kCamcord) | Bit(Category::kTorrent)), "torrent,camcord");
  Result<CategorySet> bad = ParseCategories("torrent,warez");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"warez\""), std::string::npos);
}

}  // namespace
}  // namespace interdict
