// FeedPublisher: the documents the HTTP API serves are the ones `interdict export` writes, at
// the registry's serial, written once per serial, shared, and signed when a key is given.
#include "api/feeds.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "core/digest.h"
#include "feed/feed_testing.h"

namespace interdict::api {
namespace {

using feed::FeedFormat;
using feed::View;
using feed::feedtest::TestRegistry;

std::string Expected(TestRegistry& r, View view, FeedFormat format,
                     const feed::FormatOptions& options, Serial since = -1) {
  Result<feed::ViewSet> now = feed::ReadView(r.registry(), view);
  EXPECT_TRUE(now.ok());
  feed::FormatOptions o = options;
  o.updated_at = *feed::SerialTime(r.registry(), now->serial);
  std::ostringstream out;
  if (since < 0) {
    EXPECT_TRUE(feed::WriteView(*now, format, o, out).ok());
  } else {
    Result<feed::ViewDelta> d = feed::ReadDelta(r.registry(), *now, since);
    EXPECT_TRUE(d.ok());
    EXPECT_TRUE(feed::WriteDelta(*now, *d, format, o, out).ok());
  }
  return out.str();
}

TEST(FeedPublisher, ServesWhatExportWritesAtTheRegistrysSerial) {
  TestRegistry r;
  r.Create("R-1", Bit(Scope::kIsp), {"*.pirate.example", "203.0.113.7", "2001:db8::/32"});
  r.Create("R-2", Bit(Scope::kIsp) | Bit(Scope::kSearch),
           {"stream.example", "url:https://x.example/a"});
  FeedPublisherOptions options;
  options.format.rpz_zone = "rpz.test.";
  const feed::FormatOptions format = options.format;
  FeedPublisher pub(r.registry(), std::move(options));
  EXPECT_EQ(pub.serial(), -1);
  EXPECT_FALSE(pub.Snapshot(View::kIsp, FeedFormat::kRpz).ok());  // nothing read yet
  ASSERT_TRUE(*pub.Refresh());
  EXPECT_EQ(pub.serial(), r.CurrentSerial());
  EXPECT_FALSE(*pub.Refresh());  // nothing moved

  for (const FeedFormat f : feed::kAllFeedFormats) {
    for (const View v : {View::kIsp, View::kSearch}) {
      Result<std::shared_ptr<const FeedDocument>> doc = pub.Snapshot(v, f);
      ASSERT_TRUE(doc.ok()) << doc.status().ToString();
      EXPECT_EQ((*doc)->body, Expected(r, v, f, format)) << feed::FeedFormatName(f);
      EXPECT_EQ((*doc)->serial, r.CurrentSerial());
      EXPECT_EQ((*doc)->sha256, Sha256Hex((*doc)->body));
      EXPECT_TRUE((*doc)->signature.empty());
    }
  }
  // The same document object for the same serial: written once.
  EXPECT_EQ(pub.Snapshot(View::kIsp, FeedFormat::kRpz)->get(),
            pub.Snapshot(View::kIsp, FeedFormat::kRpz)->get());

  // A change: the publisher follows it; the old document is not served any more.
  const Serial before = r.CurrentSerial();
  const auto old_doc = *pub.Snapshot(View::kIsp, FeedFormat::kDomains);
  r.Create("R-3", Bit(Scope::kIsp), {"mirror.example"});
  ASSERT_TRUE(*pub.Refresh());
  EXPECT_EQ(pub.serial(), before + 1);
  const auto new_doc = *pub.Snapshot(View::kIsp, FeedFormat::kDomains);
  EXPECT_NE(new_doc->body, old_doc->body);
  EXPECT_EQ(new_doc->body, Expected(r, View::kIsp, FeedFormat::kDomains, format));

  // Deltas, from every earlier serial.
  for (Serial since = 0; since <= pub.serial(); ++since) {
    for (const FeedFormat f : {FeedFormat::kRpz, FeedFormat::kJson, FeedFormat::kNft}) {
      Result<std::shared_ptr<const FeedDocument>> d = pub.Delta(View::kIsp, f, since);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      EXPECT_EQ((*d)->body, Expected(r, View::kIsp, f, format, since));
    }
  }
  EXPECT_EQ(pub.Delta(View::kIsp, FeedFormat::kRpz, pub.serial() + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(pub.Delta(View::kIsp, FeedFormat::kRpz, -1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FeedPublisher, ShieldListsAndTheirChecksums) {
  TestRegistry r;
  r.Create("R-1", Bit(Scope::kIsp),
           {"*.pirate.example", "stream.example", "203.0.113.7", "198.51.100.0/24", "2001:db8::/32",
            "2001:db8:1::5", "url:https://x.example/a"});
  r.Create("R-2", Bit(Scope::kSearch), {"search-only.example"});
  FeedPublisher pub(r.registry(), {});
  ASSERT_TRUE(pub.Refresh().ok());
  auto fqdn = *pub.Shield(ShieldList::kFqdn);
  auto v4 = *pub.Shield(ShieldList::kIpv4);
  auto v6 = *pub.Shield(ShieldList::kIpv6);
  EXPECT_EQ(fqdn->body, "pirate.example\nstream.example");
  EXPECT_EQ(v4->body, "198.51.100.0/24\n203.0.113.7");
  EXPECT_EQ(v6->body, "2001:db8:1::5\n2001:db8::/32");
  // The checksum is SHA-256 of the list as served (the platform's own definition).
  EXPECT_EQ(fqdn->sha256, Sha256Hex("pirate.example\nstream.example"));
}

TEST(FeedPublisher, SignsEveryDocumentWithItsOwnBytes) {
  TestRegistry r;
  r.Create("R-1", Bit(Scope::kIsp), {"*.pirate.example"});
  Result<KeyPair> keys = GenerateKeyPair();
  ASSERT_TRUE(keys.ok());
  FeedPublisherOptions options;
  options.signing_key = std::move(keys->secret);
  FeedPublisher pub(r.registry(), std::move(options));
  ASSERT_TRUE(pub.Refresh().ok());
  for (const FeedFormat f : {FeedFormat::kRpz, FeedFormat::kCsv}) {
    auto doc = *pub.Snapshot(View::kIsp, f);
    Result<Signature> sig = ParseSignature(doc->signature, "served");
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_TRUE(VerifyBytes(keys->public_key, doc->body, *sig).valid);
    std::string changed = doc->body;
    changed[changed.size() / 2] ^= 1;
    EXPECT_FALSE(VerifyBytes(keys->public_key, changed, *sig).valid);
  }
}

// Many threads asking for the same document while the registry moves: each gets a document
// whose body is the one for its serial, and one rendering per (serial, document) is shared.
TEST(FeedPublisher, ConcurrentReadersShareOneDocumentPerSerial) {
  TestRegistry r;
  r.Create("R-0", Bit(Scope::kIsp), {"a0.example"});
  FeedPublisher pub(r.registry(), {});
  ASSERT_TRUE(pub.Refresh().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        Result<std::shared_ptr<const FeedDocument>> a =
            pub.Snapshot(View::kIsp, FeedFormat::kDomains);
        Result<std::shared_ptr<const FeedDocument>> b =
            pub.Snapshot(View::kIsp, FeedFormat::kDomains);
        if (!a.ok() || !b.ok()) {
          ++bad;
          continue;
        }
        // Documents of one serial are one object; a later serial has more lines.
        if ((*a)->serial == (*b)->serial && a->get() != b->get()) ++bad;
        const auto lines = std::count((*a)->body.begin(), (*a)->body.end(), '\n');
        if ((*b)->serial >= (*a)->serial &&
            std::count((*b)->body.begin(), (*b)->body.end(), '\n') < lines) {
          ++bad;
        }
      }
    });
  }
  for (int i = 1; i <= 20; ++i) {
    r.Create("R-" + std::to_string(i), Bit(Scope::kIsp), {"a" + std::to_string(i) + ".example"});
    ASSERT_TRUE(pub.Refresh().ok());
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ((*pub.Snapshot(View::kIsp, FeedFormat::kDomains))->body,
            Expected(r, View::kIsp, FeedFormat::kDomains, {}));
}

}  // namespace
}  // namespace interdict::api
