// Fuzz target for the RPZ server's query handling: any bytes, over UDP and over TCP, from an
// address inside and outside the transfer ACL, against a small zone. Handle must not crash, and
// every answer it gives must be a message that parses, answers the query's id, and, over UDP,
// fits the classic 512 bytes unless the query offered EDNS. A violation aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>

#include "dns/responder.h"
#include "dns/rpz_zone.h"
#include "dns/wire.h"
#include "feed/view.h"

namespace interdict::dns {
namespace {

[[noreturn]] void Fail(const char* what) {
  (void)std::fprintf(stderr, "responder: %s\n", what);
  std::abort();
}

class OneZone final : public ZoneTable {
 public:
  OneZone() {
    feed::ViewSet view;
    view.serial = 7;
    std::vector<feed::FeedEntry> entries;
    for (const char* t : {"blocked.example", "*.tree.example", "192.0.2.0/24"}) {
      entries.push_back({*ParseTarget(t), {1}});
    }
    view.entries = feed::EntryList(std::move(entries));  // sorts them
    auto settings = std::make_shared<RpzZoneSettings>();
    settings->origin = *Name::FromText("rpz.fuzz.");
    zone_ = RpzZone::Make(settings, std::move(view));
  }
  std::shared_ptr<const RpzZone> Find(const Name& name) const override {
    return name.IsSubdomainOf(zone_->settings().origin) ? zone_ : nullptr;
  }
  Result<feed::RpzOwnerDelta> Changes(const RpzZone&, Serial from) override {
    feed::RpzOwnerDelta d;
    if (from % 2 == 0) d.added.push_back("new.example");
    return d;
  }

 private:
  std::shared_ptr<const RpzZone> zone_;
};

Responder& Instance() {
  static OneZone zones;
  static Responder* responder = [] {
    TransferPolicy policy;
    policy.allow.push_back(*Network::Parse("127.0.0.0/8"));
    (void)policy.keys.Add(*ParseTsigKey("hmac-sha256:fuzz-key:ZnV6ei1zZWNyZXQtZnV6ei1zZWNyZXQ="));
    return new Responder(zones, std::move(policy), [] { return std::int64_t{1'790'000'000}; });
  }();
  return *responder;
}

void Check(std::span<const std::uint8_t> query, const std::vector<std::uint8_t>& answer, bool tcp) {
  Result<Message> m = ParseMessage(answer);
  if (!m.ok()) Fail("an answer that does not parse");
  Result<Header> q = ParseHeader(query);
  if (!q.ok()) Fail("an answer to a query without a header");
  if (m->header.id != q->id || !m->header.qr) Fail("an answer with another id, or not a response");
  if (!tcp && answer.size() > kMaxUdpSizeWithoutEdns) {
    Result<Message> parsed = ParseMessage(query);
    if (!parsed.ok() || !parsed->edns) Fail("a UDP answer over 512 bytes without EDNS");
  }
}

}  // namespace
}  // namespace interdict::dns

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace interdict::dns;  // NOLINT(google-build-using-namespace)
  const std::span<const std::uint8_t> query(data, size);
  static const Address inside = *Address::Parse("127.0.0.1");
  static const Address outside = *Address::Parse("203.0.113.9");
  for (const Address* peer : {&inside, &outside}) {
    for (const bool tcp : {false, true}) {
      Reply r = Instance().Handle(query, *peer, tcp);
      if (r.drop) continue;
      if (r.stream) {
        if (!tcp) Fail("a transfer stream over UDP");
        std::vector<std::uint8_t> message;
        for (int i = 0; i < 100 && r.stream->Next(&message); ++i) Check(query, message, true);
      } else {
        Check(query, r.message, tcp);
      }
    }
  }
  return 0;
}
