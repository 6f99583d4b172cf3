// The RPZ transfer server, scenario by scenario, as the RFCs describe the exchanges: SOA over
// UDP (RFC 1035), AXFR (RFC 5936), IXFR (RFC 1995), NOTIFY (RFC 1996), TSIG (RFC 8945). A real
// registry on a temporary SQLite file, the server on 127.0.0.1 port 0, and a client built from
// our own codec on plain sockets.
#include "dns/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "dns/tsig.h"
#include "dns/wire.h"
#include "model/target.h"
#include "registry/registry.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace interdict::dns {
namespace {

constexpr std::string_view kActor = "test";
constexpr UnixTime kNow = 1'790'000'000;  // 2026-09
constexpr std::int64_t kDay = 86400;

Name N(std::string_view text) {
  Result<Name> n = Name::FromText(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : Name();
}

// A socket closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool WaitReadable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

std::vector<std::uint8_t> Query(const Name& name, std::uint16_t type, std::uint16_t id = 4242) {
  MessageWriter w;
  w.header().id = id;
  w.AddQuestion({name, type, kClassIN});
  return w.Finish();
}

// An IXFR request: the client's SOA (serial only matters) in the authority section.
std::vector<std::uint8_t> IxfrQuery(const Name& zone, std::uint32_t serial) {
  MessageWriter w;
  w.header().id = 77;
  w.AddQuestion({zone, kTypeIXFR, kClassIN});
  Rdata::Soa soa{N("ns."), N("host."), serial, 0, 0, 0, 0};
  w.AddRecord(Section::kAuthority, {zone, kTypeSOA, kClassIN, 0, soa.Encode()});
  return w.Finish();
}

// One UDP exchange; nothing when no answer comes within a second.
std::optional<Message> Udp(std::uint16_t port, const std::vector<std::uint8_t>& query) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  const sockaddr_in to = Loopback(port);
  sendto(s.fd, query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  if (!WaitReadable(s.fd, 1000)) return std::nullopt;
  std::vector<std::uint8_t> buf(65535);
  const ssize_t n = recv(s.fd, buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  Result<Message> m = ParseMessage({buf.data(), static_cast<std::size_t>(n)});
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::optional<Message>(*std::move(m)) : std::nullopt;
}

// Sends one query over TCP and reads answers until the transfer ends (a second SOA equal to the
// first, per RFC 5936 / 1995), a single non-transfer answer, or the server closes.
struct TcpAnswer {
  std::vector<std::vector<std::uint8_t>> raw;
  std::vector<Message> messages;
  std::vector<Record> records;  // every answer record, in order
};

bool ReadExactly(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    if (!WaitReadable(fd, 5000)) return false;
    const ssize_t got = recv(fd, p, n, 0);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

TcpAnswer Tcp(std::uint16_t port, const std::vector<std::uint8_t>& query, bool transfer) {
  TcpAnswer out;
  Fd s(socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in to = Loopback(port);
  if (connect(s.fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0) return out;
  std::vector<std::uint8_t> framed;
  EXPECT_TRUE(AppendTcpFrame(query, &framed).ok());
  EXPECT_EQ(send(s.fd, framed.data(), framed.size(), 0), static_cast<ssize_t>(framed.size()));
  std::size_t soas = 0;
  std::optional<std::uint32_t> first_serial;
  for (;;) {
    std::uint8_t len[2];
    if (!ReadExactly(s.fd, len, 2)) break;
    std::vector<std::uint8_t> msg((std::size_t{len[0]} << 8) | len[1]);
    if (!ReadExactly(s.fd, msg.data(), msg.size())) break;
    Result<Message> m = ParseMessage(msg);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) break;
    for (const Record& r : m->answer) {
      out.records.push_back(r);
      if (r.type == kTypeSOA) {
        const std::uint32_t serial = Rdata::Soa::Decode(r.rdata)->serial;
        if (!first_serial) first_serial = serial;
        if (serial == *first_serial) ++soas;
      }
    }
    out.raw.push_back(msg);
    out.messages.push_back(*std::move(m));
    if (!transfer || out.messages.back().header.rcode != kRcodeNoError) break;
    // The end: the first SOA seen again (AXFR: 2nd; IXFR: 3rd, or 1st alone when up to date).
    if (soas >= 2 && out.records.size() > 1 && out.records.back().type == kTypeSOA &&
        Rdata::Soa::Decode(out.records.back().rdata)->serial == *first_serial) {
      const bool ixfr = out.records.size() > 1 && out.records[1].type == kTypeSOA &&
                        Rdata::Soa::Decode(out.records[1].rdata)->serial != *first_serial;
      if (!ixfr || soas >= 3) break;
    }
    // An IXFR answer of one SOA alone: the client is up to date.
    if (out.messages.size() == 1 && out.records.size() == 1) break;
  }
  return out;
}

std::vector<std::string> Owners(const TcpAnswer& a, const Name& zone) {
  std::vector<std::string> owners;
  for (const Record& r : a.records) {
    if (r.type != kTypeCNAME) continue;
    std::string text = r.name.ToText();
    const std::string suffix = "." + zone.ToText();
    if (text.size() > suffix.size()) text.resize(text.size() - suffix.size());
    owners.push_back(text);
  }
  return owners;
}

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    registry_ = std::make_unique<Registry>(*store_, clock_);
  }

  void Start(DnsServerOptions o = {}) {
    o.listen = "127.0.0.1:0";
    if (o.zones.empty()) {
      RpzZoneSettings isp;
      isp.view = feed::View::kIsp;
      isp.origin = zone_;
      o.zones.push_back(isp);
    }
    if (o.policy.allow.empty()) o.policy.allow.push_back(*Network::Parse("127.0.0.0/8"));
    o.poll = std::chrono::milliseconds(20);
    server_ = std::make_unique<DnsServer>(*registry_, std::move(o));
    const Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  Order Create(std::string ref, std::vector<std::string_view> targets,
               ScopeSet scope = Bit(Scope::kIsp)) {
    OrderRequest r;
    r.body = "Court of Lima";
    r.reference = std::move(ref);
    r.expires_at = kNow + 30 * kDay;
    r.scope = scope;
    for (std::string_view t : targets) r.targets.push_back(*ParseTarget(t));
    Result<Order> o = registry_->CreateOrder(kActor, r);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *o : Order{};
  }

  // Waits until the server serves the registry's current serial.
  void Caught() {
    const Serial want = *registry_->CurrentSerial();
    for (int i = 0; i < 500 && server_->serial() != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(server_->serial(), want);
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<DnsServer> server_;
  Name zone_ = N("rpz.isp.test.");
};

TEST_F(DnsServerTest, Rfc1035_SoaOverUdpIsAnsweredAuthoritativelyWithTheRegistrySerial) {
  Create("A-1", {"blocked.example"});
  Start();
  std::optional<Message> m = Udp(server_->port(), Query(zone_, kTypeSOA));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.aa);
  EXPECT_EQ(m->header.id, 4242);
  EXPECT_EQ(m->header.rcode, kRcodeNoError);
  ASSERT_EQ(m->answer.size(), 1U);
  EXPECT_EQ(Rdata::Soa::Decode(m->answer[0].rdata)->serial,
            static_cast<std::uint32_t>(*registry_->CurrentSerial()));
}

TEST_F(DnsServerTest, Rfc1035_NamesOutsideTheZonesAreRefusedAndTriggersAnswerWithTheirCname) {
  Create("A-1", {"*.tree.example", "exact.example"});
  Start();
  std::optional<Message> out = Udp(server_->port(), Query(N("www.example.org."), kTypeA));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->header.rcode, kRcodeRefused);

  std::optional<Message> exact =
      Udp(server_->port(), Query(N("exact.example.rpz.isp.test."), kTypeA));
  ASSERT_TRUE(exact);
  ASSERT_EQ(exact->answer.size(), 1U);
  EXPECT_EQ(exact->answer[0].type, kTypeCNAME);
  EXPECT_TRUE(Rdata::DecodeCname(exact->answer[0].rdata)->is_root());  // CNAME . = NXDOMAIN

  // A domain-tree's wildcard answers for any name under it, with the name asked.
  std::optional<Message> sub =
      Udp(server_->port(), Query(N("a.b.tree.example.rpz.isp.test."), kTypeA));
  ASSERT_TRUE(sub);
  ASSERT_EQ(sub->answer.size(), 1U);
  EXPECT_EQ(sub->answer[0].name, N("a.b.tree.example.rpz.isp.test."));
  // An exact domain has no subdomains.
  std::optional<Message> none =
      Udp(server_->port(), Query(N("www.exact.example.rpz.isp.test."), kTypeA));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->header.rcode, kRcodeNxDomain);
  EXPECT_EQ(none->authority.size(), 1U);  // the SOA, for negative caching
}

TEST_F(DnsServerTest, Rfc5936_AxfrIsTheSoaThenEveryRecordThenTheSoaAgain) {
  Create("A-1", {"*.tree.example", "exact.example", "192.0.2.0/24", "2001:db8::1",
                 "https://url.example/only-a-page"});
  Create("VPN-1", {"vpn-only.example"}, Bit(Scope::kVpn));  // another view: not in this zone
  Start();
  const TcpAnswer a = Tcp(server_->port(), Query(zone_, kTypeAXFR), true);
  ASSERT_GE(a.records.size(), 3U);
  EXPECT_EQ(a.records.front().type, kTypeSOA);
  EXPECT_EQ(a.records.back().type, kTypeSOA);
  EXPECT_EQ(a.records.front(), a.records.back());
  EXPECT_EQ(a.records[1].type, kTypeNS);
  const std::vector<std::string> owners = Owners(a, zone_);
  const std::vector<std::string> want = {"*.tree.example", "128.1.zz.db8.2001.rpz-ip",
                                         "24.0.2.0.192.rpz-ip", "exact.example", "tree.example"};
  std::vector<std::string> sorted = owners;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, want);  // the URL has no RPZ form; the VPN order is in another view
  EXPECT_TRUE(a.messages.front().header.aa);
}

TEST_F(DnsServerTest, Rfc5936_AxfrOverUdpAndFromOutsideTheAclAreNotServed) {
  Create("A-1", {"exact.example"});
  DnsServerOptions o;
  o.policy.allow.push_back(*Network::Parse("10.0.0.0/8"));  // not loopback
  Start(std::move(o));
  const TcpAnswer refused = Tcp(server_->port(), Query(zone_, kTypeAXFR), true);
  ASSERT_EQ(refused.messages.size(), 1U);
  EXPECT_EQ(refused.messages[0].header.rcode, kRcodeRefused);
  EXPECT_TRUE(refused.messages[0].answer.empty());
  std::optional<Message> udp = Udp(server_->port(), Query(zone_, kTypeAXFR));
  ASSERT_TRUE(udp);
  EXPECT_NE(udp->header.rcode, kRcodeNoError);
  EXPECT_TRUE(udp->answer.empty());
}

TEST_F(DnsServerTest, Rfc1995_IxfrSendsTheDifferenceSinceTheClientsSerial) {
  Create("A-1", {"old.example", "a.example", "b.example", "c.example", "d.example"});
  Start();
  const auto s1 = static_cast<std::uint32_t>(*registry_->CurrentSerial());
  const Order b = Create("B-1", {"*.new.example", "old.example"});  // old.example stays one owner
  Caught();
  const auto s2 = static_cast<std::uint32_t>(*registry_->CurrentSerial());

  const TcpAnswer up = Tcp(server_->port(), IxfrQuery(zone_, s1), true);
  ASSERT_GE(up.records.size(), 4U);
  // SOA(new), SOA(old), deletions, SOA(new), additions, SOA(new).
  EXPECT_EQ(Rdata::Soa::Decode(up.records[0].rdata)->serial, s2);
  EXPECT_EQ(Rdata::Soa::Decode(up.records[1].rdata)->serial, s1);
  EXPECT_EQ(up.records[2].type, kTypeSOA);  // nothing deleted
  std::vector<std::string> added = Owners(up, zone_);
  std::sort(added.begin(), added.end());
  EXPECT_EQ(added, (std::vector<std::string>{"*.new.example", "new.example"}));
  EXPECT_EQ(Rdata::Soa::Decode(up.records.back().rdata)->serial, s2);

  // Lifting B removes its owners, except old.example which order A still holds.
  ASSERT_TRUE(registry_->Lift(kActor, b.id, "appeal granted").ok());
  Caught();
  const auto s3 = static_cast<std::uint32_t>(*registry_->CurrentSerial());
  const TcpAnswer down = Tcp(server_->port(), IxfrQuery(zone_, s2), true);
  ASSERT_GE(down.records.size(), 5U);
  EXPECT_EQ(Rdata::Soa::Decode(down.records[0].rdata)->serial, s3);
  EXPECT_EQ(Rdata::Soa::Decode(down.records[1].rdata)->serial, s2);
  std::vector<std::string> removed;
  for (std::size_t i = 2; i < down.records.size() && down.records[i].type != kTypeSOA; ++i) {
    removed.push_back(down.records[i].name.ToText());
  }
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed,
            (std::vector<std::string>{"*.new.example.rpz.isp.test.", "new.example.rpz.isp.test."}));

  // Up to date: the SOA alone.
  const TcpAnswer same = Tcp(server_->port(), IxfrQuery(zone_, s3), true);
  ASSERT_EQ(same.records.size(), 1U);
  EXPECT_EQ(Rdata::Soa::Decode(same.records[0].rdata)->serial, s3);
  // Over UDP a client that is behind gets the SOA alone and asks again over TCP.
  std::optional<Message> udp = Udp(server_->port(), IxfrQuery(zone_, s1));
  ASSERT_TRUE(udp);
  ASSERT_EQ(udp->answer.size(), 1U);
  EXPECT_EQ(Rdata::Soa::Decode(udp->answer[0].rdata)->serial, s3);
  // A serial the server never had (ahead of it) gets the whole zone.
  const TcpAnswer ahead = Tcp(server_->port(), IxfrQuery(zone_, s3 + 1000), true);
  ASSERT_GE(ahead.records.size(), 3U);
  EXPECT_EQ(ahead.records[1].type, kTypeNS);
}

TEST_F(DnsServerTest, ChangesMadeByAnotherProcessAreServedWithinThePollInterval) {
  Start();
  // Another connection to the same file, as the CLI would open.
  Result<std::unique_ptr<Store>> other = OpenSqliteStore(dir_.File("registry.db"));
  ASSERT_TRUE(other.ok());
  Registry cli(**other, clock_);
  OrderRequest r;
  r.body = "Court";
  r.reference = "CLI-1";
  r.expires_at = kNow + kDay;
  r.targets.push_back(*ParseTarget("from-cli.example"));
  ASSERT_TRUE(cli.CreateOrder(kActor, r).ok());
  Caught();
  std::optional<Message> m =
      Udp(server_->port(), Query(N("from-cli.example.rpz.isp.test."), kTypeA));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answer.size(), 1U);
}

TEST_F(DnsServerTest, Rfc1996_NotifyIsSentOnANewSerialAndRepeatedUntilAnswered) {
  Fd secondary(socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in bound = Loopback(0);
  ASSERT_EQ(bind(secondary.fd, reinterpret_cast<sockaddr*>(&bound), sizeof(bound)), 0);
  socklen_t len = sizeof(bound);
  getsockname(secondary.fd, reinterpret_cast<sockaddr*>(&bound), &len);
  DnsServerOptions o;
  o.notify.push_back("127.0.0.1:" + std::to_string(ntohs(bound.sin_port)));
  Start(std::move(o));
  std::vector<std::uint8_t> buf(65535);
  auto receive = [&]() -> std::optional<std::pair<Message, sockaddr_in>> {
    if (!WaitReadable(secondary.fd, 3000)) return std::nullopt;
    sockaddr_in from{};
    socklen_t fl = sizeof(from);
    const ssize_t n =
        recvfrom(secondary.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
    Result<Message> m = ParseMessage({buf.data(), static_cast<std::size_t>(n)});
    if (!m.ok()) return std::nullopt;
    return std::make_pair(*m, from);
  };
  // The NOTIFY of the start-up serial; answer it.
  auto first = receive();
  ASSERT_TRUE(first);
  auto answer = [&](const std::pair<Message, sockaddr_in>& got) {
    MessageWriter w;
    w.header() = got.first.header;
    w.header().qr = true;
    w.AddQuestion(got.first.question[0]);
    const std::vector<std::uint8_t> ack = w.Finish();
    sendto(secondary.fd, ack.data(), ack.size(), 0, reinterpret_cast<const sockaddr*>(&got.second),
           sizeof(got.second));
  };
  answer(*first);

  Create("N-1", {"notify.example"});
  auto n1 = receive();
  ASSERT_TRUE(n1);
  EXPECT_EQ(n1->first.header.opcode, kOpcodeNotify);
  EXPECT_TRUE(n1->first.header.aa);
  ASSERT_EQ(n1->first.question.size(), 1U);
  EXPECT_EQ(n1->first.question[0].name, zone_);
  EXPECT_EQ(n1->first.question[0].type, kTypeSOA);
  // Not answered: the server sends it again, with the same id.
  auto n2 = receive();
  ASSERT_TRUE(n2);
  EXPECT_EQ(n2->first.header.id, n1->first.header.id);
  answer(*n2);
  // Answered: no more of that NOTIFY.
  EXPECT_FALSE(WaitReadable(secondary.fd, 1500));
}

TEST_F(DnsServerTest, Rfc8945_WithRequireTsigOnlySignedTransfersAreServedAndAnswersAreSigned) {
  Create("A-1", {"exact.example"});
  DnsServerOptions o;
  Result<TsigKey> key =
      ParseTsigKey("hmac-sha256:xfr-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(o.policy.keys.Add(*key).ok());
  o.policy.require_tsig = true;
  Start(std::move(o));

  const TcpAnswer unsigned_answer = Tcp(server_->port(), Query(zone_, kTypeAXFR), true);
  ASSERT_EQ(unsigned_answer.messages.size(), 1U);
  EXPECT_EQ(unsigned_answer.messages[0].header.rcode, kRcodeRefused);

  std::vector<std::uint8_t> q = Query(zone_, kTypeAXFR);
  Result<std::vector<std::uint8_t>> mac = SignTsigRequest(*key, std::time(nullptr), &q);
  ASSERT_TRUE(mac.ok());
  const TcpAnswer signed_answer = Tcp(server_->port(), q, true);
  ASSERT_GE(signed_answer.records.size(), 4U);  // SOA NS CNAME SOA
  TsigResponseVerifier verifier(*key, *mac);
  for (std::size_t i = 0; i < signed_answer.raw.size(); ++i) {
    const Status v =
        verifier.Verify(signed_answer.raw[i], signed_answer.messages[i], std::time(nullptr));
    EXPECT_TRUE(v.ok()) << v.ToString();
  }
  EXPECT_TRUE(verifier.complete());

  // Signed with a key the server does not have: NOTAUTH with the TSIG error BADKEY.
  Result<TsigKey> stranger =
      ParseTsigKey("hmac-sha256:other:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==");
  std::vector<std::uint8_t> q2 = Query(zone_, kTypeAXFR);
  ASSERT_TRUE(SignTsigRequest(*stranger, std::time(nullptr), &q2).ok());
  const TcpAnswer bad = Tcp(server_->port(), q2, true);
  ASSERT_EQ(bad.messages.size(), 1U);
  EXPECT_EQ(bad.messages[0].header.rcode, kRcodeNotAuth);
  ASSERT_FALSE(bad.messages[0].additional.empty());
  EXPECT_EQ(TsigRecord::FromRecord(bad.messages[0].additional.back())->error, kRcodeBadKey);
}

TEST_F(DnsServerTest, TriggersTooLongForTheZoneNameAreLeftOutAndTheRestIsServed) {
  // Origin: three 63-byte labels (193 bytes of wire form), so 62 bytes are left for an owner.
  const std::string l63(63, 'z');
  zone_ = N(l63 + "." + l63 + "." + l63 + ".");
  const std::string long_name = std::string(40, 'a') + "." + std::string(30, 'b') + ".example";
  Create("A-1", {"short.example", long_name});
  Start();
  const TcpAnswer a = Tcp(server_->port(), Query(zone_, kTypeAXFR), true);
  EXPECT_EQ(Owners(a, zone_), (std::vector<std::string>{"short.example"}));
  // A later version keeps leaving it out, and keeps the rest.
  Create("A-2", {"other.example"});
  Caught();
  const TcpAnswer b = Tcp(server_->port(), Query(zone_, kTypeAXFR), true);
  std::vector<std::string> owners = Owners(b, zone_);
  std::sort(owners.begin(), owners.end());
  EXPECT_EQ(owners, (std::vector<std::string>{"other.example", "short.example"}));
}

TEST_F(DnsServerTest, HostileBytesGetFormErrOrNothingAndTheServerGoesOn) {
  Start();
  const std::vector<std::vector<std::uint8_t>> junk = {
      {},
      {0x12},
      {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x0c},
      {0x12, 0x34, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
  };
  for (const auto& j : junk) {
    std::optional<Message> m = Udp(server_->port(), j);
    if (m) {
      EXPECT_EQ(m->header.rcode, kRcodeFormErr);
    }
  }
  std::optional<Message> ok = Udp(server_->port(), Query(zone_, kTypeSOA));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->header.rcode, kRcodeNoError);
}

}  // namespace
}  // namespace interdict::dns
