// Fuzz target for the DNS message codec and TSIG verification. Every input goes through
// ParseMessage; a message that parses must re-encode with MessageWriter (unless it cannot fit
// 65535 bytes even uncompressed), parse again, and come back equal, names included case and
// all; every name must survive ToText/FromText. A signed message is verified against a fixed
// key (as a request, and as the first answer to a fixed request MAC); a request that verifies
// is answered, signed and checked with the client-side verifier. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/tsig.h"
#include "dns/wire.h"

namespace {

using interdict::Result;
using interdict::Status;
namespace dns = interdict::dns;

// The time our signed seeds were made at: seed-07 (AXFR request) and seed-11 (NOTIFY) verify.
constexpr std::int64_t kNow = 1'700'000'000;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  (void)std::fprintf(stderr, "%.*s\n  %.*s\n", static_cast<int>(what.size()), what.data(),
                     static_cast<int>(detail.size()), detail.data());
  std::abort();
}

const dns::TsigKey& Key() {
  static const dns::TsigKey key =
      dns::ParseTsigKey(
          "hmac-sha256:transfer-key.example:Kq3fYqXy0M7zQ1fvW8mJ4l6Yp1wq9v2b3R5s7t9u0xE=")
          .value();
  return key;
}

const dns::TsigKeyRing& Ring() {
  static const dns::TsigKeyRing ring = [] {
    dns::TsigKeyRing r;
    if (!r.Add(Key()).ok()) std::abort();
    return r;
  }();
  return ring;
}

void CheckName(const dns::Name& n) {
  const std::string text = n.ToText();
  const Result<dns::Name> back = dns::Name::FromText(text);
  if (!back.ok()) Fail("ToText does not parse back", text + ": " + back.status().message());
  if (back->ToText() != text || back->label_count() != n.label_count()) {
    Fail("ToText/FromText changed the name", text + " -> " + back->ToText());
  }
  if (!(n.Lowercase() == n) || !n.IsSubdomainOf(n.Suffix(1))) Fail("name identities", text);
}

bool SameRecords(const std::vector<dns::Record>& a, const std::vector<dns::Record>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i]) || a[i].name.ToText() != b[i].name.ToText()) return false;
  }
  return true;
}

bool SameContent(const dns::Message& a, const dns::Message& b) {
  if (!(a.header == b.header) || a.question.size() != b.question.size()) return false;
  for (std::size_t i = 0; i < a.question.size(); ++i) {
    if (!(a.question[i] == b.question[i]) ||
        a.question[i].name.ToText() != b.question[i].name.ToText()) {
      return false;
    }
  }
  return SameRecords(a.answer, b.answer) && SameRecords(a.authority, b.authority) &&
         SameRecords(a.additional, b.additional) && a.edns == b.edns &&
         a.tsig_offset.has_value() == b.tsig_offset.has_value();
}

std::size_t UncompressedSize(const dns::Message& m) {
  std::size_t n = 12;
  for (const auto& q : m.question) n += q.name.wire_size() + 4;
  for (const auto* section : {&m.answer, &m.authority, &m.additional}) {
    for (const auto& r : *section) n += r.name.wire_size() + 10 + r.rdata.size();
  }
  return n;
}

void CheckReencode(const dns::Message& m) {
  dns::MessageWriter w(dns::kMaxMessageSize);
  w.header() = m.header;
  bool fits = true;
  for (const auto& q : m.question) fits = fits && w.AddQuestion(q);
  const std::pair<dns::Section, const std::vector<dns::Record>*> sections[] = {
      {dns::Section::kAnswer, &m.answer},
      {dns::Section::kAuthority, &m.authority},
      {dns::Section::kAdditional, &m.additional}};
  for (const auto& [section, records] : sections) {
    for (const auto& r : *records) fits = fits && w.AddRecord(section, r);
  }
  if (!fits) {
    // Compression never makes a message larger than its uncompressed form.
    if (UncompressedSize(m) <= dns::kMaxMessageSize) {
      Fail("writer refused a message that fits uncompressed", std::to_string(UncompressedSize(m)));
    }
    return;
  }
  const std::vector<std::uint8_t> bytes = w.Finish();
  if (bytes.size() > UncompressedSize(m)) Fail("writer output larger than uncompressed", "");
  const Result<dns::Message> again = dns::ParseMessage(bytes);
  if (!again.ok()) Fail("re-encoded message does not parse", again.status().message());
  if (!SameContent(m, *again)) Fail("re-encoded message differs", "");
}

void CheckRdata(const dns::Record& r) {
  switch (r.type) {
    case dns::kTypeSOA: {
      const Result<dns::Rdata::Soa> soa = dns::Rdata::Soa::Decode(r.rdata);
      if (soa.ok() && soa->Encode() != r.rdata) Fail("SOA RDATA does not round-trip", "");
      break;
    }
    case dns::kTypeMX: {
      const Result<dns::Rdata::Mx> mx = dns::Rdata::Mx::Decode(r.rdata);
      if (mx.ok() && mx->Encode() != r.rdata) Fail("MX RDATA does not round-trip", "");
      break;
    }
    case dns::kTypeNS:
    case dns::kTypeCNAME:
    case dns::kTypePTR: {
      const Result<dns::Name> n = dns::Rdata::DecodeName(r.rdata);
      if (n.ok()) CheckName(*n);
      break;
    }
    case dns::kTypeTSIG: {
      const Result<dns::TsigRecord> t = dns::TsigRecord::FromRecord(r);
      if (t.ok() && t->ToRecord().rdata != r.rdata) Fail("TSIG RDATA does not round-trip", "");
      break;
    }
    default: break;
  }
}

void CheckTsig(std::span<const std::uint8_t> input, const dns::Message& m) {
  const Result<dns::TsigVerification> v = dns::VerifyTsigRequest(input, m, Ring(), kNow);
  if (v.ok() && v->error == dns::kRcodeNoError) {
    if (v->key == nullptr || v->request_mac.empty()) Fail("verified without a key or MAC", "");
    // Answer it, signed, and check the answer as the client would.
    dns::TsigSigner signer(*v->key, v->request_mac, kNow);
    dns::MessageWriter w(dns::kMaxMessageSize - signer.record_size());
    w.header().id = m.header.id;
    w.header().qr = true;
    for (const auto& q : m.question) (void)w.AddQuestion(q);
    std::vector<std::uint8_t> answer = w.Finish();
    const Status signed_ok = signer.Sign(&answer);
    if (!signed_ok.ok()) Fail("signing an answer failed", signed_ok.message());
    const Result<dns::Message> parsed = dns::ParseMessage(answer);
    if (!parsed.ok()) Fail("signed answer does not parse", parsed.status().message());
    dns::TsigResponseVerifier client(Key(), v->request_mac);
    const Status checked = client.Verify(answer, *parsed, kNow);
    if (!checked.ok()) Fail("our signed answer does not verify", checked.message());
  } else if (v.ok()) {
    std::vector<std::uint8_t> answer(12, 0);
    const Status s = dns::AppendTsigError(*v, kNow, &answer);
    if (!s.ok()) Fail("AppendTsigError failed", s.message());
    if (!dns::ParseMessage(answer).ok()) Fail("TSIG error answer does not parse", "");
  }
  // The same message read as the first answer to some request.
  const std::vector<std::uint8_t> request_mac(dns::kHmacSha256Size, 0x5A);
  dns::TsigResponseVerifier client(Key(), request_mac);
  (void)client.Verify(input, m, kNow);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const Result<dns::Message> m = dns::ParseMessage(input);
  if (!m.ok()) {
    if (m.status().message().empty()) Fail("error without a message", "");
    return 0;
  }
  for (const auto& q : m->question) CheckName(q.name);
  for (const auto* section : {&m->answer, &m->authority, &m->additional}) {
    for (const auto& r : *section) {
      CheckName(r.name);
      CheckRdata(r);
    }
  }
  CheckReencode(*m);
  if (m->tsig_offset) CheckTsig(input, *m);
  return 0;
}
