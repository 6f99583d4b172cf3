#include "dns/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace interdict::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Hand-built packets: every byte is written out here, independently of the codec under test.
class Packet {
 public:
  Packet& Header(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an,
                 std::uint16_t ns, std::uint16_t ar) {
    for (const std::uint16_t v : {id, flags, qd, an, ns, ar}) U16(v);
    return *this;
  }
  Packet& U8(std::uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  Packet& U16(std::uint16_t v) {
    b_.push_back(static_cast<std::uint8_t>(v >> 8));
    b_.push_back(static_cast<std::uint8_t>(v & 0xFF));
    return *this;
  }
  Packet& U32(std::uint32_t v) {
    U16(static_cast<std::uint16_t>(v >> 16));
    return U16(static_cast<std::uint16_t>(v & 0xFFFF));
  }
  // Uncompressed name from dotted labels ("" is the root); no escapes.
  Packet& Labels(const std::string& dotted, bool terminate = true) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      std::size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      b_.push_back(static_cast<std::uint8_t>(dot - start));
      for (std::size_t i = start; i < dot; ++i) b_.push_back(static_cast<std::uint8_t>(dotted[i]));
      start = dot + 1;
    }
    if (terminate) b_.push_back(0);
    return *this;
  }
  Packet& Pointer(std::uint16_t offset) { return U16(static_cast<std::uint16_t>(0xC000 | offset)); }
  Packet& Fill(std::size_t n, std::uint8_t v) {
    b_.insert(b_.end(), n, v);
    return *this;
  }
  // Record header after the owner name.
  Packet& Rr(std::uint16_t type, std::uint16_t klass, std::uint32_t ttl, std::uint16_t rdlength) {
    return U16(type).U16(klass).U32(ttl).U16(rdlength);
  }
  std::size_t size() const { return b_.size(); }
  const Bytes& bytes() const { return b_; }

 private:
  Bytes b_;
};

Name N(const std::string& text) {
  Result<Name> n = Name::FromText(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().ToString();
  return n.ok() ? *n : Name();
}

Bytes NameWire(const std::string& text) {
  const Name name = N(text);
  const auto w = name.wire();
  return {w.begin(), w.end()};
}

// ---- Names ----

TEST(NameTest, TextRoundTrip) {
  for (const char* text : {"example.com.", "a.b.c.d.", "xn--d1acufc.xn--p1ai.", "*.wild.example.",
                           "_sip._tcp.example.", "a\\.b.example.", "back\\\\slash.example.",
                           "\\000\\032x\\255.example.", "\\(\\)\\;\\@\\$\\\".example."}) {
    const Name n = N(text);
    EXPECT_EQ(n.ToText(), text);
    EXPECT_EQ(N(n.ToText()), n);
  }
}

TEST(NameTest, ParsesPresentationForms) {
  EXPECT_TRUE(N("").is_root());
  EXPECT_TRUE(N(".").is_root());
  EXPECT_EQ(N(".").ToText(), ".");
  EXPECT_EQ(N("").wire_size(), 1U);
  EXPECT_EQ(N("example.com"), N("example.com."));
  EXPECT_EQ(N("example.com").ToText(), "example.com.");
  EXPECT_EQ(N("example.com").label_count(), 2U);
  EXPECT_EQ(NameWire("example.com"),
            (Bytes{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0}));
  // \DDD is decimal, \X is X itself.
  EXPECT_EQ(NameWire("\\065\\.b"), (Bytes{3, 'A', '.', 'b', 0}));
  EXPECT_EQ(N("\\065\\.b").label(0), "A.b");
  EXPECT_EQ(N("a\\ b").ToText(), "a\\032b.");
  // Non-printable bytes and dots inside labels are escaped on output.
  const Name odd = *Name::FromWire(Bytes{3, 'a', '.', 0x7F, 1, 0x00, 0});
  EXPECT_EQ(odd.ToText(), "a\\.\\127.\\000.");
}

TEST(NameTest, RejectsBadText) {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  // 3 labels of 63 plus one of 61: 3*64 + 62 + 1 = 255 bytes, the largest name.
  const std::string longest = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  EXPECT_TRUE(Name::FromText(l63 + ".example").ok());
  ASSERT_TRUE(Name::FromText(longest).ok());
  EXPECT_EQ(N(longest).wire_size(), 255U);
  for (const std::string& bad :
       {std::string("a..b"), std::string(".a"), std::string("a.."), std::string(".."),
        l64 + ".example", longest + "b", longest + ".c", std::string("a\\"), std::string("a\\25"),
        std::string("a\\2x5"), std::string("a\\256"), std::string(300, 'a')}) {
    const Result<Name> r = Name::FromText(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(NameTest, FromWireChecksEverything) {
  EXPECT_TRUE(Name::FromWire(Bytes{0}).ok());
  EXPECT_FALSE(Name::FromWire(Bytes{}).ok());
  EXPECT_FALSE(Name::FromWire(Bytes{1, 'a'}).ok());        // no root label
  EXPECT_FALSE(Name::FromWire(Bytes{1, 'a', 0, 0}).ok());  // bytes after it
  EXPECT_FALSE(Name::FromWire(Bytes{0xC0, 0x0C}).ok());    // compressed
  EXPECT_FALSE(Name::FromWire(Bytes{0x40, 0}).ok());       // label type 01
  Bytes big;
  for (int i = 0; i < 5; ++i) {
    big.push_back(60);
    big.insert(big.end(), 60, 'x');
  }
  big.push_back(0);
  EXPECT_FALSE(Name::FromWire(big).ok());  // 306 bytes
}

TEST(NameTest, CaseInsensitiveEqualityAndHash) {
  EXPECT_EQ(N("WWW.Example.COM"), N("www.example.com"));
  EXPECT_NE(N("www.example.com"), N("www.example.org"));
  EXPECT_NE(N("a.b"), N("ab"));
  EXPECT_EQ(NameHash{}(N("WWW.Example.COM")), NameHash{}(N("www.example.com")));
  EXPECT_EQ(N("WWW.Example.COM").Lowercase().ToText(), "www.example.com.");
  // Case is preserved.
  EXPECT_EQ(N("WWW.Example.COM").ToText(), "WWW.Example.COM.");
}

TEST(NameTest, CanonicalOrderOfRfc4034) {
  // The example list of RFC 4034 §6.1, in canonical order.
  const std::vector<std::string> ordered = {
      "example.",   "a.example.",       "yljkjljk.a.example.", "Z.a.example.",    "zABC.a.EXAMPLE.",
      "z.example.", "\\001.z.example.", "*.z.example.",        "\\200.z.example."};
  std::vector<Name> names;
  names.reserve(ordered.size());
  for (const auto& t : ordered) names.push_back(N(t));
  std::vector<Name> shuffled = names;
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::sort(shuffled.begin(), shuffled.end(), CanonicalLess{});
    for (std::size_t i = 0; i < names.size(); ++i) {
      EXPECT_EQ(shuffled[i].ToText(), names[i].ToText());
    }
  }
  EXPECT_EQ(CanonicalCompare(N("A.example"), N("a.EXAMPLE")), 0);
  EXPECT_LT(CanonicalCompare(N("."), N("com")), 0);
  EXPECT_LT(CanonicalCompare(N("b.com"), N("a.b.org")), 0);  // com < org decides
}

TEST(NameTest, SubdomainsSuffixesAndConcat) {
  EXPECT_TRUE(N("www.Example.com").IsSubdomainOf(N("example.COM")));
  EXPECT_TRUE(N("example.com").IsSubdomainOf(N("example.com")));
  EXPECT_TRUE(N("example.com").IsSubdomainOf(N(".")));
  EXPECT_FALSE(N("example.com").IsSubdomainOf(N("www.example.com")));
  EXPECT_FALSE(N("badexample.com").IsSubdomainOf(N("example.com")));
  EXPECT_FALSE(N("example.com.org").IsSubdomainOf(N("example.com")));

  EXPECT_EQ(N("a.b.c").Suffix(1).ToText(), "b.c.");
  EXPECT_EQ(N("a.b.c").Suffix(3).ToText(), ".");
  EXPECT_EQ(N("a.b.c").Suffix(9).ToText(), ".");
  const Name abc = N("a.bb.ccc");
  const auto labels = abc.labels();
  ASSERT_EQ(labels.size(), 3U);
  EXPECT_EQ(labels[1], "bb");
  EXPECT_EQ(N("a.bb.ccc").label(2), "ccc");

  Result<Name> joined = N("www").Concat(N("example.com"));
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->ToText(), "www.example.com.");
  EXPECT_EQ(joined->label_count(), 3U);
  EXPECT_EQ(N(".").Concat(N("x"))->ToText(), "x.");
  const std::string l63(63, 'a');
  const Name big = N(l63 + "." + l63 + "." + l63);  // 193 bytes
  EXPECT_TRUE(big.Concat(N(std::string(61, 'b'))).ok());
  const Result<Name> too_long = big.Concat(N(std::string(62, 'b')));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
}

// ---- Parsing: hostile input ----

struct BadPacket {
  const char* what;
  Bytes bytes;
  const char* error;  // expected in the message
};

Bytes QueryHeader(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar) {
  return Packet().Header(0x1234, 0x0100, qd, an, ns, ar).bytes();
}

Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<BadPacket> BadPackets() {
  std::vector<BadPacket> cases;
  cases.push_back({"empty", {}, "shorter than the 12-byte header"});
  cases.push_back({"short header", Bytes(11, 0), "shorter than the 12-byte header"});
  cases.push_back({"question count without data", QueryHeader(1, 0, 0, 0), "counts"});
  cases.push_back(
      {"answer count larger than the data",
       Packet().Header(1, 0x8000, 1, 1000, 0, 0).Labels("a").U16(1).U16(1).Fill(40, 0).bytes(),
       "counts"});
  cases.push_back(
      {"65535 of everything", Packet().Header(1, 0, 65535, 65535, 65535, 65535).bytes(), "counts"});
  // offset 12: a pointer to offset 20, ahead of it.
  cases.push_back({"forward pointer",
                   Packet().Header(1, 0, 1, 0, 0, 0).Pointer(20).U16(1).U16(1).Fill(8, 0).bytes(),
                   "does not point backwards"});
  cases.push_back({"pointer to itself",
                   Packet().Header(1, 0, 1, 0, 0, 0).Pointer(12).U16(1).U16(1).bytes(),
                   "does not point backwards"});
  // "a" at 12, then a pointer back to 12: a loop.
  cases.push_back(
      {"loop to the name's own start",
       Packet().Header(1, 0, 1, 0, 0, 0).Labels("a", false).Pointer(12).U16(1).U16(1).bytes(),
       "does not point backwards"});
  // "a" at 12, "b" at 14, then a pointer at 16 back to 14: each pointer points below itself,
  // but the name would loop forever through "b".
  cases.push_back(
      {"loop of backward pointers",
       Packet().Header(1, 0, 1, 0, 0, 0).Labels("a.b", false).Pointer(14).U16(1).U16(1).bytes(),
       "does not point backwards"});
  // Two names: the second points at the first's pointer, which points at the second.
  {
    Packet p;
    p.Header(1, 0, 2, 0, 0, 0);
    p.Labels("x", false).Pointer(22).U16(1).U16(1);  // 12: x, ptr -> 22 (forward)
    cases.push_back({"pointer cycle across names",
                     Packet(p).Labels("y", false).Pointer(14).U16(1).U16(1).bytes(),
                     "does not point backwards"});
  }
  cases.push_back({"pointer past the end",
                   Packet().Header(1, 0, 1, 0, 0, 0).Pointer(0x3FFF).U16(1).U16(1).bytes(),
                   "does not point backwards"});
  cases.push_back(
      {"pointer into the header",
       Packet().Header(1, 0, 2, 0, 0, 0).Labels("a").U16(1).U16(1).Pointer(4).U16(1).U16(1).bytes(),
       "into the header"});
  cases.push_back({"truncated pointer",
                   Packet()
                       .Header(1, 0x8000, 0, 1, 0, 0)
                       .Labels("a")
                       .Rr(kTypeCNAME, kClassIN, 60, 1)
                       .U8(0xC0)
                       .bytes(),
                   "truncated compression pointer"});
  cases.push_back({"label type 01",
                   Packet().Header(1, 0, 1, 0, 0, 0).U8(0x40).Fill(70, 'a').U8(0).U32(0).bytes(),
                   "unsupported label type"});
  cases.push_back({"label type 10 (length 64+)",
                   Packet().Header(1, 0, 1, 0, 0, 0).U8(0x80).Fill(130, 'a').U8(0).U32(0).bytes(),
                   "unsupported label type"});
  cases.push_back({"truncated label",
                   Packet().Header(1, 0, 1, 0, 0, 0).U8(10).Fill(3, 'a').Fill(2, 0).bytes(),
                   "label runs past"});
  {
    Packet p;
    p.Header(1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 5; ++i) p.U8(60).Fill(60, 'x');
    cases.push_back({"name over 255 bytes", p.U8(0).U32(0x00010001).bytes(), "longer than 255"});
  }
  {
    // 12: a name of 4 labels of 62 = 253 bytes (fine); then a name that adds "abc" in front of
    // a pointer to it: 257 bytes once decompressed.
    Packet p;
    p.Header(1, 0, 2, 0, 0, 0);
    for (int i = 0; i < 4; ++i) p.U8(62).Fill(62, 'x');
    p.U8(0).U16(1).U16(1);
    cases.push_back({"name over 255 bytes through a pointer",
                     p.Labels("abc", false).Pointer(12).U16(1).U16(1).bytes(), "longer than 255"});
  }
  cases.push_back({"question missing its class",
                   Packet().Header(1, 0, 1, 0, 0, 0).Labels("a").U16(1).bytes(),
                   "question runs past"});
  cases.push_back({"RDATA past the end",
                   Packet()
                       .Header(1, 0x8000, 0, 1, 0, 0)
                       .Labels("a")
                       .Rr(kTypeA, kClassIN, 60, 8)
                       .Fill(4, 1)
                       .bytes(),
                   "RDATA runs past"});
  cases.push_back({"record header truncated",
                   Packet().Header(1, 0x8000, 0, 1, 0, 0).Labels("a").Fill(9, 0).bytes(),
                   "record header runs past"});
  cases.push_back({"NS RDATA longer than its name",
                   Packet()
                       .Header(1, 0x8000, 0, 1, 0, 0)
                       .Labels("a")
                       .Rr(kTypeNS, kClassIN, 60, 5)
                       .Labels("ns")
                       .U8(0)
                       .bytes(),
                   "does not match"});
  cases.push_back({"SOA RDATA missing its numbers",
                   Packet()
                       .Header(1, 0x8000, 0, 1, 0, 0)
                       .Labels("a")
                       .Rr(kTypeSOA, kClassIN, 60, 12)
                       .Labels("ns")
                       .Labels("h")
                       .Fill(5, 0)
                       .bytes(),
                   "does not match"});
  cases.push_back({"name in RDATA runs past RDLENGTH",
                   Packet()
                       .Header(1, 0x8000, 0, 1, 0, 0)
                       .Labels("a")
                       .Rr(kTypeCNAME, kClassIN, 60, 3)
                       .Labels("cname")
                       .bytes(),
                   "past the end of its data"});
  // 12: "a" A record; its CNAME RDATA points forward, to its own end.
  cases.push_back({"forward pointer in RDATA",
                   Packet()
                       .Header(1, 0x8000, 0, 1, 0, 0)
                       .Labels("a")
                       .Rr(kTypeCNAME, kClassIN, 60, 2)
                       .Pointer(27)
                       .bytes(),
                   "does not point backwards"});
  cases.push_back(
      {"trailing garbage",
       Concat(Packet().Header(1, 0, 1, 0, 0, 0).Labels("a").U16(1).U16(1).bytes(), {0xDE, 0xAD}),
       "2 bytes after the last record"});
  cases.push_back({"TSIG not last",
                   Packet()
                       .Header(1, 0, 0, 0, 0, 2)
                       .Labels("key")
                       .Rr(kTypeTSIG, kClassANY, 0, 0)
                       .Labels("")
                       .Rr(kTypeOPT, 1232, 0, 0)
                       .bytes(),
                   "TSIG record is not the last"});
  cases.push_back(
      {"TSIG in the answer section",
       Packet().Header(1, 0x8000, 0, 1, 0, 0).Labels("key").Rr(kTypeTSIG, kClassANY, 0, 0).bytes(),
       "TSIG record is not the last"});
  cases.push_back({"two TSIG records",
                   Packet()
                       .Header(1, 0, 0, 0, 0, 2)
                       .Labels("key")
                       .Rr(kTypeTSIG, kClassANY, 0, 0)
                       .Labels("key")
                       .Rr(kTypeTSIG, kClassANY, 0, 0)
                       .bytes(),
                   "TSIG record is not the last"});
  cases.push_back({"OPT in the answer section",
                   Packet().Header(1, 0x8000, 0, 1, 0, 0).U8(0).Rr(kTypeOPT, 1232, 0, 0).bytes(),
                   "OPT record outside the additional section"});
  cases.push_back({"two OPT records",
                   Packet()
                       .Header(1, 0, 0, 0, 0, 2)
                       .U8(0)
                       .Rr(kTypeOPT, 1232, 0, 0)
                       .U8(0)
                       .Rr(kTypeOPT, 1232, 0, 0)
                       .bytes(),
                   "second OPT record"});
  cases.push_back({"OPT owner not the root",
                   Packet().Header(1, 0, 0, 0, 0, 1).Labels("a").Rr(kTypeOPT, 1232, 0, 0).bytes(),
                   "owner is not the root"});
  cases.push_back({"OPT option past its RDATA",
                   Packet()
                       .Header(1, 0, 0, 0, 0, 1)
                       .U8(0)
                       .Rr(kTypeOPT, 1232, 0, 6)
                       .U16(10)
                       .U16(8)
                       .U16(0)
                       .bytes(),
                   "EDNS option runs past RDATA"});
  cases.push_back({"OPT option header truncated",
                   Packet().Header(1, 0, 0, 0, 0, 1).U8(0).Rr(kTypeOPT, 1232, 0, 2).U16(10).bytes(),
                   "truncated EDNS option header"});
  cases.push_back({"message over 65535 bytes", Concat(QueryHeader(0, 0, 0, 0), Bytes(65530, 0)),
                   "exceeds 65535"});
  return cases;
}

TEST(ParseMessageTest, RejectsHostilePackets) {
  for (const BadPacket& c : BadPackets()) {
    const Result<Message> m = ParseMessage(c.bytes);
    ASSERT_FALSE(m.ok()) << c.what;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << c.what;
    EXPECT_NE(m.status().message().find(c.error), std::string::npos)
        << c.what << ": " << m.status().message();
    EXPECT_NE(m.status().message().find("offset"), std::string::npos) << c.what;
  }
}

TEST(ParseMessageTest, EveryPrefixOfAGoodMessageIsRejected) {
  MessageWriter w;
  w.header().id = 7;
  ASSERT_TRUE(w.AddQuestion({N("example.com"), kTypeSOA, kClassIN}));
  Rdata::Soa soa{N("ns.example.com"), N("hostmaster.example.com"), 1, 2, 3, 4, 5};
  ASSERT_TRUE(
      w.AddRecord(Section::kAnswer, {N("example.com"), kTypeSOA, kClassIN, 60, soa.Encode()}));
  ASSERT_TRUE(w.AddEdns(Edns{}));
  const Bytes full = w.Finish();
  ASSERT_TRUE(ParseMessage(full).ok());
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(ParseMessage(std::span(full).first(n)).ok()) << n;
  }
}

TEST(ParseMessageTest, ParsesAHandBuiltCompressedResponse) {
  // 12: question example.com SOA; answer: owner -> 12, SOA with mname ns.<ptr 12> and rname
  // hostmaster.<ptr 12>; MX whose exchange is mail.<ptr 12>; CNAME to a chain of pointers.
  Packet p;
  p.Header(0xBEEF, 0x8580, 1, 4, 0, 0).Labels("example.com").U16(kTypeSOA).U16(kClassIN);
  p.Pointer(12).Rr(kTypeSOA, kClassIN, 3600, 3 + 2 + 11 + 2 + 20);
  const auto ns_at = static_cast<std::uint16_t>(p.size());
  p.Labels("ns", false).Pointer(12).Labels("hostmaster", false).Pointer(12);
  p.U32(2024010101).U32(7200).U32(900).U32(1209600).U32(300);
  p.Pointer(12).Rr(kTypeMX, kClassIN, 60, 2 + 5 + 2).U16(10).Labels("mail", false).Pointer(12);
  const auto www_at = static_cast<std::uint16_t>(p.size());
  p.Labels("www", false).Pointer(12).Rr(kTypeCNAME, kClassIN, 60, 2).Pointer(ns_at);
  // A record owned by a pointer to a pointer: "www" -> example.com.
  p.Pointer(www_at).Rr(kTypeA, kClassIN, 60, 4).U8(192).U8(0).U8(2).U8(1);

  const Result<Message> m = ParseMessage(p.bytes());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->header.id, 0xBEEF);
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.aa);
  EXPECT_TRUE(m->header.rd);
  EXPECT_TRUE(m->header.ra);
  EXPECT_FALSE(m->header.tc);
  ASSERT_EQ(m->question.size(), 1U);
  EXPECT_EQ(m->question[0].name.ToText(), "example.com.");
  ASSERT_EQ(m->answer.size(), 4U);
  EXPECT_EQ(m->answer[0].name.ToText(), "example.com.");
  const Result<Rdata::Soa> soa = Rdata::Soa::Decode(m->answer[0].rdata);
  ASSERT_TRUE(soa.ok());
  EXPECT_EQ(soa->mname.ToText(), "ns.example.com.");
  EXPECT_EQ(soa->rname.ToText(), "hostmaster.example.com.");
  EXPECT_EQ(soa->serial, 2024010101U);
  EXPECT_EQ(soa->minimum, 300U);
  const Result<Rdata::Mx> mx = Rdata::Mx::Decode(m->answer[1].rdata);
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->exchange.ToText(), "mail.example.com.");
  EXPECT_EQ(m->answer[2].name.ToText(), "www.example.com.");
  EXPECT_EQ(Rdata::DecodeCname(m->answer[2].rdata)->ToText(), "ns.example.com.");
  EXPECT_EQ(m->answer[3].name.ToText(), "www.example.com.");
  EXPECT_EQ(m->answer[3].rdata, (Bytes{192, 0, 2, 1}));
  EXPECT_FALSE(m->edns.has_value());
  EXPECT_FALSE(m->tsig_offset.has_value());
}

TEST(ParseMessageTest, KeepsUnknownTypesOpaque) {
  // TYPE65280 RDATA that happens to look like a pointer stays as it is.
  const Bytes b = Packet()
                      .Header(1, 0x8000, 0, 1, 0, 0)
                      .Labels("a")
                      .Rr(65280, kClassIN, 1, 2)
                      .Pointer(12)
                      .bytes();
  const Result<Message> m = ParseMessage(b);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->answer[0].rdata, (Bytes{0xC0, 0x0C}));
  EXPECT_EQ(TypeName(65280), "TYPE65280");
}

TEST(ParseMessageTest, ReadsEdnsAndTsigPosition) {
  const Bytes b = Packet()
                      .Header(1, 0, 1, 0, 0, 2)
                      .Labels("example.com")
                      .U16(kTypeAXFR)
                      .U16(kClassIN)
                      .U8(0)
                      .Rr(kTypeOPT, 4096, 0x01028000, 4)  // ext rcode 1, version 2, DO
                      .U16(10)
                      .U16(0)
                      .Labels("key")
                      .Rr(kTypeTSIG, kClassANY, 0, 0)
                      .bytes();
  const Result<Message> m = ParseMessage(b);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(m->edns.has_value());
  EXPECT_EQ(m->edns->udp_payload_size, 4096);
  EXPECT_EQ(m->edns->extended_rcode, 1);
  EXPECT_EQ(m->edns->version, 2);
  EXPECT_TRUE(m->edns->dnssec_ok);
  EXPECT_EQ(m->edns->options, (Bytes{0, 10, 0, 0}));
  ASSERT_TRUE(m->tsig_offset.has_value());
  EXPECT_EQ(*m->tsig_offset, 12U + 13 + 4 + 11 + 4);
  EXPECT_EQ(m->additional.size(), 2U);
}

// ---- EDNS ----

TEST(EdnsTest, RecordRoundTripAndBadVers) {
  Edns e;
  e.udp_payload_size = 1400;
  e.dnssec_ok = true;
  e.version = 0;
  Header h;
  SplitRcode(kRcodeBadVers, &h, &e);
  EXPECT_EQ(h.rcode, 0);
  EXPECT_EQ(e.extended_rcode, 1);
  const Record r = e.ToRecord();
  EXPECT_TRUE(r.name.is_root());
  EXPECT_EQ(r.type, kTypeOPT);
  EXPECT_EQ(r.klass, 1400);
  EXPECT_EQ(r.ttl, 0x01008000U);
  const Result<Edns> back = Edns::FromRecord(r);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
}

// ---- Writing ----

Message SampleMessage() {
  Message m;
  m.header.id = 0x4242;
  m.header.qr = true;
  m.header.aa = true;
  m.header.opcode = kOpcodeQuery;
  m.header.rcode = kRcodeNxDomain;
  m.question.push_back({N("Example.COM"), kTypeAXFR, kClassIN});
  Rdata::Soa soa{N("ns1.example.com"), N("hostmaster.example.com"), 42, 3600, 600, 86400, 60};
  m.answer.push_back({N("example.com"), kTypeSOA, kClassIN, 3600, soa.Encode()});
  m.answer.push_back(
      {N("example.com"), kTypeNS, kClassIN, 3600, Rdata::EncodeNs(N("ns1.example.com"))});
  m.answer.push_back({N("www.example.com"), kTypeCNAME, kClassIN, 60, Rdata::EncodeCname(N("."))});
  m.answer.push_back(
      {N("mail.example.com"), kTypeMX, kClassIN, 60, Rdata::Mx{5, N("mx.other.example")}.Encode()});
  m.answer.push_back({N("v4.example.com"), kTypeA, kClassIN, 60, *Rdata::EncodeA("192.0.2.7")});
  m.answer.push_back(
      {N("v6.example.com"), kTypeAAAA, kClassIN, 60, *Rdata::EncodeAaaa("2001:db8::1")});
  m.answer.push_back({N("t.example.com"), kTypeTXT, kClassIN, 60, *Rdata::EncodeTxt({"a b", ""})});
  m.answer.push_back(
      {N("p.example.com"), kTypePTR, kClassIN, 60, Rdata::EncodeName(N("Ptr.Example.COM"))});
  m.authority.push_back(
      {N("example.com"), kTypeNS, kClassIN, 60, Rdata::EncodeNs(N("NS2.example.com"))});
  m.additional.push_back({N("ns1.example.com"), kTypeA, kClassIN, 60, Bytes{10, 0, 0, 1}});
  m.additional.push_back(Edns{}.ToRecord());
  return m;
}

Bytes Write(const Message& m, std::size_t limit = kMaxMessageSize) {
  MessageWriter w(limit);
  w.header() = m.header;
  for (const auto& q : m.question) EXPECT_TRUE(w.AddQuestion(q));
  for (const auto& r : m.answer) EXPECT_TRUE(w.AddRecord(Section::kAnswer, r));
  for (const auto& r : m.authority) EXPECT_TRUE(w.AddRecord(Section::kAuthority, r));
  for (const auto& r : m.additional) EXPECT_TRUE(w.AddRecord(Section::kAdditional, r));
  return w.Finish();
}

void ExpectSameContent(const Message& a, const Message& b) {
  EXPECT_EQ(a.header, b.header);
  EXPECT_EQ(a.question, b.question);
  EXPECT_EQ(a.answer, b.answer);
  EXPECT_EQ(a.authority, b.authority);
  EXPECT_EQ(a.additional, b.additional);
  // Case survives too (operator== ignores it).
  for (std::size_t i = 0; i < std::min(a.answer.size(), b.answer.size()); ++i) {
    EXPECT_EQ(a.answer[i].name.ToText(), b.answer[i].name.ToText());
  }
}

std::size_t UncompressedSize(const Message& m) {
  std::size_t n = 12;
  for (const auto& q : m.question) n += q.name.wire_size() + 4;
  for (const auto* s : {&m.answer, &m.authority, &m.additional}) {
    for (const auto& r : *s) n += r.name.wire_size() + 10 + r.rdata.size();
  }
  return n;
}

TEST(MessageWriterTest, RoundTripsAndCompresses) {
  const Message m = SampleMessage();
  const Bytes wire = Write(m);
  const Result<Message> back = ParseMessage(wire);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameContent(m, *back);
  ASSERT_TRUE(back->edns.has_value());
  EXPECT_EQ(back->edns->udp_payload_size, 1232);
  EXPECT_LT(wire.size() + 100, UncompressedSize(m));
  // The RDATA names came back with their case: compression matches exact bytes only.
  EXPECT_EQ(Rdata::DecodeName(back->answer[7].rdata)->ToText(), "Ptr.Example.COM.");
  EXPECT_EQ(back->question[0].name.ToText(), "Example.COM.");
}

TEST(MessageWriterTest, WritesTheExpectedBytes) {
  MessageWriter w(512);
  w.header().id = 0x0102;
  w.header().qr = true;
  w.header().rd = true;
  ASSERT_TRUE(w.AddQuestion({N("example.com"), kTypeA, kClassIN}));
  ASSERT_TRUE(w.AddRecord(Section::kAnswer, {N("www.example.com"), kTypeCNAME, kClassIN, 300,
                                             Rdata::EncodeCname(N("example.com"))}));
  ASSERT_TRUE(w.AddRecord(Section::kAnswer,
                          {N("www.example.com"), kTypeA, kClassIN, 300, Bytes{192, 0, 2, 1}}));
  const Bytes expected = Packet()
                             .Header(0x0102, 0x8100, 1, 2, 0, 0)
                             .Labels("example.com")  // 12
                             .U16(kTypeA)
                             .U16(kClassIN)
                             .Labels("www", false)  // 29
                             .Pointer(12)
                             .Rr(kTypeCNAME, kClassIN, 300, 2)
                             .Pointer(12)
                             .Pointer(29)
                             .Rr(kTypeA, kClassIN, 300, 4)
                             .U8(192)
                             .U8(0)
                             .U8(2)
                             .U8(1)
                             .bytes();
  EXPECT_EQ(w.Finish(), expected);
}

TEST(MessageWriterTest, CompressesSoaNamesAgainstEachOther) {
  MessageWriter w;
  const Rdata::Soa soa{N("a.zone"), N("b.a.zone"), 1, 2, 3, 4, 5};
  ASSERT_TRUE(w.AddRecord(Section::kAnswer, {N("zone"), kTypeSOA, kClassIN, 1, soa.Encode()}));
  const Bytes wire = w.Finish();
  const Bytes expected = Packet()
                             .Header(0, 0, 0, 1, 0, 0)
                             .Labels("zone")  // 12
                             .Rr(kTypeSOA, kClassIN, 1, 4 + 4 + 20)
                             .Labels("a", false)  // 28
                             .Pointer(12)
                             .Labels("b", false)
                             .Pointer(28)
                             .U32(1)
                             .U32(2)
                             .U32(3)
                             .U32(4)
                             .U32(5)
                             .bytes();
  EXPECT_EQ(wire, expected);
  const Result<Message> back = ParseMessage(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->answer[0].rdata, soa.Encode());
}

TEST(MessageWriterTest, RefusesWhatDoesNotFitAndStaysUnchanged) {
  MessageWriter w(kMaxUdpSizeWithoutEdns);
  ASSERT_TRUE(w.AddQuestion({N("rpz.example"), kTypeA, kClassIN}));
  int added = 0;
  Bytes before;
  for (int i = 0;; ++i) {
    const Record r{*N("host" + std::to_string(i)).Concat(N("blocked.rpz.example")), kTypeCNAME,
                   kClassIN, 60, Rdata::EncodeCname(N("."))};
    const std::size_t size = w.size();
    if (!w.AddRecord(Section::kAnswer, r)) {
      EXPECT_EQ(w.size(), size);
      break;
    }
    ++added;
  }
  EXPECT_GT(added, 10);
  EXPECT_LE(w.size(), 512U);
  // After a refusal (which had written and indexed part of a name) the writer still compresses
  // correctly: a shorter record that shares the suffix fits and parses back.
  ASSERT_TRUE(w.AddRecord(Section::kAdditional, {N("."), kTypeOPT, 512, 0, {}}) ||
              w.size() + 11 > 512);
  const Bytes wire = w.Finish();
  EXPECT_LE(wire.size(), 512U);
  const Result<Message> back = ParseMessage(wire);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->answer.size(), static_cast<std::size_t>(added));
  EXPECT_EQ(back->answer.back().name.ToText(),
            "host" + std::to_string(added - 1) + ".blocked.rpz.example.");

  // The writer is empty again and reusable.
  EXPECT_EQ(w.entry_count(), 0U);
  EXPECT_EQ(w.size(), 12U);
}

TEST(MessageWriterTest, RollbackUndoesTheSuffixTable) {
  // The first record fits; the second's owner name is written and indexed, then its RDATA does
  // not fit. The third record must not be compressed against the discarded bytes.
  MessageWriter w(100);
  ASSERT_TRUE(w.AddRecord(Section::kAnswer, {N("a.example"), kTypeA, kClassIN, 1, Bytes(4, 1)}));
  EXPECT_FALSE(
      w.AddRecord(Section::kAnswer, {N("long.b.example"), kTypeTXT, kClassIN, 1, Bytes(60, 'x')}));
  ASSERT_TRUE(w.AddRecord(Section::kAnswer, {N("b.example"), kTypeA, kClassIN, 1, Bytes(4, 2)}));
  ASSERT_TRUE(
      w.AddRecord(Section::kAnswer, {N("long.b.example"), kTypeA, kClassIN, 1, Bytes(4, 3)}));
  const Result<Message> back = ParseMessage(w.Finish());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->answer.size(), 3U);
  EXPECT_EQ(back->answer[1].name.ToText(), "b.example.");
  EXPECT_EQ(back->answer[2].name.ToText(), "long.b.example.");
}

TEST(MessageWriterTest, SectionsInOrderOnly) {
  MessageWriter w;
  ASSERT_TRUE(w.AddRecord(Section::kAuthority, {N("a"), kTypeA, kClassIN, 1, Bytes(4, 1)}));
  EXPECT_FALSE(w.AddQuestion({N("a"), kTypeA, kClassIN}));
  EXPECT_FALSE(w.AddRecord(Section::kAnswer, {N("a"), kTypeA, kClassIN, 1, Bytes(4, 1)}));
  EXPECT_TRUE(w.AddRecord(Section::kAdditional, {N("a"), kTypeA, kClassIN, 1, Bytes(4, 1)}));
  const Result<Message> back = ParseMessage(w.Finish());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->authority.size(), 1U);
  EXPECT_EQ(back->additional.size(), 1U);
}

TEST(MessageWriterTest, MalformedRdataOfACompressibleTypeIsWrittenAsIs) {
  MessageWriter w;
  ASSERT_TRUE(w.AddRecord(Section::kAnswer, {N("a"), kTypeNS, kClassIN, 1, Bytes{3, 'x'}}));
  const Bytes wire = w.Finish();
  EXPECT_FALSE(ParseMessage(wire).ok());  // and the parser rejects it
  MessageWriter w2;
  ASSERT_TRUE(w2.AddRecord(Section::kAnswer, {N("a"), kTypeNS, kClassNONE, 0, {}}));
  const Result<Message> empty = ParseMessage(w2.Finish());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->answer[0].rdata.empty());
}

// An AXFR of a million records is split over messages of at most 65535 bytes. Not a timing
// test (that is a benchmark's job): it proves the split and that every message is sound.
TEST(MessageWriterTest, MillionRecordTransferSplitsIntoMessages) {
  const Name zone = N("rpz.example.net");
  MessageWriter w(kMaxMessageSize - 100);  // room for a TSIG record
  Record r;
  r.type = kTypeCNAME;
  r.klass = kClassIN;
  r.ttl = 300;
  r.rdata = Rdata::EncodeCname(N("."));
  const Name labels[4] = {N("www"), N("cdn"), N("m"), N("static")};
  std::size_t messages = 0;
  std::size_t records = 0;
  std::size_t bytes = 0;
  std::size_t largest = 0;
  auto flush = [&] {
    const Bytes msg = w.Finish();
    ++messages;
    bytes += msg.size();
    largest = std::max(largest, msg.size());
    if (messages % 50 == 1) {
      const Result<Message> back = ParseMessage(msg);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_FALSE(back->answer.empty());
    }
  };
  constexpr std::size_t kRecords = 1'000'000;
  for (std::size_t i = 0; i < kRecords; ++i) {
    r.name = *labels[i % 4].Concat(*N("site" + std::to_string(i)).Concat(zone));
    if (!w.AddRecord(Section::kAnswer, r)) {
      ASSERT_GT(w.entry_count(), 0U);
      flush();
      ASSERT_TRUE(w.AddRecord(Section::kAnswer, r));
    }
    ++records;
  }
  flush();
  EXPECT_EQ(records, kRecords);
  EXPECT_LE(largest, kMaxMessageSize - 100);
  // Each record costs its first two labels plus a pointer and the fixed fields: compression
  // found the zone suffix every time.
  EXPECT_LT(bytes / kRecords, 40U);
  EXPECT_GT(messages, 300U);
}

// ---- RDATA helpers and TCP ----

TEST(RdataTest, EncodersAndDecoders) {
  const Rdata::Soa soa{N("ns"), N("host.master"), 1, 2, 3, 4, 0xFFFFFFFF};
  const Result<Rdata::Soa> back = Rdata::Soa::Decode(soa.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, soa);
  Bytes bad = soa.Encode();
  bad.pop_back();
  EXPECT_FALSE(Rdata::Soa::Decode(bad).ok());
  EXPECT_EQ(Rdata::DecodeNs(Rdata::EncodeNs(N("ns.example")))->ToText(), "ns.example.");
  EXPECT_FALSE(Rdata::DecodeName(Bytes{1, 'a'}).ok());
  EXPECT_EQ(*Rdata::EncodeA("10.1.2.3"), (Bytes{10, 1, 2, 3}));
  EXPECT_FALSE(Rdata::EncodeA("10.1.2").ok());
  EXPECT_FALSE(Rdata::EncodeA("::1").ok());
  EXPECT_EQ(Rdata::EncodeAaaa("::1")->back(), 1);
  EXPECT_EQ(Rdata::EncodeAaaa("::1")->size(), 16U);
  EXPECT_EQ(*Rdata::EncodeTxt({"ab", "c"}), (Bytes{2, 'a', 'b', 1, 'c'}));
  EXPECT_FALSE(Rdata::EncodeTxt({std::string(256, 'a')}).ok());
  EXPECT_EQ(RcodeName(kRcodeNotAuth), "NOTAUTH");
  EXPECT_EQ(RcodeName(16), "BADVERS");
  EXPECT_EQ(RcodeName(16, true), "BADSIG");
}

TEST(TcpFrameTest, PrefixAndReassembly) {
  Bytes stream;
  ASSERT_TRUE(AppendTcpFrame(Bytes{1, 2, 3}, &stream).ok());
  ASSERT_TRUE(AppendTcpFrame(Bytes(300, 9), &stream).ok());
  EXPECT_EQ(stream[0], 0);
  EXPECT_EQ(stream[1], 3);
  EXPECT_EQ(stream[5], 1);
  EXPECT_EQ(stream[6], 44);  // 300 = 0x012C
  EXPECT_FALSE(AppendTcpFrame(Bytes(65536, 0), &stream).ok());

  // Fed byte by byte, frames appear exactly when complete.
  std::vector<Bytes> frames;
  Bytes pending;
  for (const std::uint8_t b : stream) {
    pending.push_back(b);
    std::span<const std::uint8_t> view(pending);
    while (auto frame = TakeTcpFrame(&view)) frames.emplace_back(frame->begin(), frame->end());
    pending.erase(pending.begin(), pending.end() - static_cast<std::ptrdiff_t>(view.size()));
  }
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0], (Bytes{1, 2, 3}));
  EXPECT_EQ(frames[1].size(), 300U);
  EXPECT_TRUE(pending.empty());
  EXPECT_EQ(TcpLengthPrefix(65535), (std::array<std::uint8_t, 2>{0xFF, 0xFF}));
}

}  // namespace
}  // namespace interdict::dns
