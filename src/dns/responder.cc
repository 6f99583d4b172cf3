#include "dns/responder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

namespace interdict::dns {
namespace {

constexpr std::size_t kOurUdpSize = 1232;  // the EDNS payload size we offer and honour

Header ResponseHeader(const Header& query) {
  Header h;
  h.id = query.id;
  h.qr = true;
  h.opcode = query.opcode;
  h.rd = query.rd;
  h.cd = query.cd;
  return h;
}

// A record source for a transfer: the parts of the answer section in order.
struct Part {
  enum Kind : std::uint8_t { kSoa, kOldSoa, kNs, kOwners } kind;
  const feed::OwnerList* owners = nullptr;  // kOwners
};

// The owner lists of an IXFR, kept alive by the transfer that streams them.
struct OwnerChanges {
  feed::OwnerList removed;
  feed::OwnerList added;
};

class ZoneTransfer final : public Transfer {
 public:
  ZoneTransfer(std::shared_ptr<const RpzZone> zone, Header header, Question question,
               std::vector<Part> parts, std::uint32_t old_serial,
               std::optional<TsigVerification> tsig, std::int64_t now,
               std::shared_ptr<const OwnerChanges> changes)
      : zone_(std::move(zone)),
        header_(header),
        question_(std::move(question)),
        parts_(std::move(parts)),
        changes_(std::move(changes)),
        tsig_(std::move(tsig)) {
    header_.aa = true;
    std::size_t limit = kMaxMessageSize;
    if (tsig_) {
      signer_.emplace(*tsig_->key, tsig_->request_mac, now);
      limit -= signer_->record_size();
    }
    writer_.emplace(limit);
    soa_ = zone_->Soa();
    old_soa_ = soa_;
    if (!parts_.empty() && parts_.size() > 1 && parts_[1].kind == Part::kOldSoa) {
      Result<Rdata::Soa> s = Rdata::Soa::Decode(soa_.rdata);
      if (s.ok()) {
        s->serial = old_serial;
        old_soa_.rdata = s->Encode();
      }
    }
    ns_ = zone_->Ns();
    trigger_ = Record{
        zone_->settings().origin, kTypeCNAME, kClassIN, zone_->settings().ttl,
        Rdata::EncodeCname(zone_->settings().notice ? *zone_->settings().notice : Name::Root())};
    Enter();
  }

  bool Next(std::vector<std::uint8_t>* message) override {
    if (part_ >= parts_.size()) return false;
    writer_->header() = header_;
    if (first_) writer_->AddQuestion(question_);
    std::size_t added = 0;
    while (part_ < parts_.size()) {
      const Record* r = Current();
      if (r == nullptr) {  // an owner that is not a valid name: skip it (cannot happen)
        Advance();
        continue;
      }
      if (!writer_->AddRecord(Section::kAnswer, *r)) break;
      ++added;
      ++records_;
      Advance();
    }
    if (added == 0 && part_ < parts_.size()) return false;  // a record larger than a message
    *message = writer_->Finish();
    first_ = false;
    if (signer_ && !signer_->Sign(message).ok()) return false;
    return true;
  }

  std::size_t records() const override { return records_; }

 private:
  const Record* Current() {
    const Part& p = parts_[part_];
    switch (p.kind) {
      case Part::kSoa: return &soa_;
      case Part::kOldSoa: return &old_soa_;
      case Part::kNs: return &ns_;
      case Part::kOwners: {
        // Owners are built from canonical targets: labels of letters, digits, '-', '_' and '*',
        // with no escapes, so the wire form is written directly (FromText would parse escapes,
        // and is most of the cost of a large transfer) and checked by FromWire.
        const std::string& owner = *owner_;
        wire_.clear();
        std::size_t start = 0;
        for (;;) {
          const std::size_t dot = std::min(owner.find('.', start), owner.size());
          const std::size_t len = dot - start;
          if (len == 0 || len > kMaxLabelSize) return nullptr;
          wire_.push_back(static_cast<std::uint8_t>(len));
          wire_.insert(wire_.end(), owner.begin() + static_cast<std::ptrdiff_t>(start),
                       owner.begin() + static_cast<std::ptrdiff_t>(dot));
          if (dot == owner.size()) break;
          start = dot + 1;
        }
        const std::span<const std::uint8_t> origin = zone_->settings().origin.wire();
        wire_.insert(wire_.end(), origin.begin(), origin.end());
        Result<Name> full = Name::FromWire(wire_);
        if (!full.ok()) return nullptr;
        trigger_.name = *std::move(full);
        return &trigger_;
      }
    }
    return nullptr;
  }

  void Advance() {
    const Part& p = parts_[part_];
    if (p.kind == Part::kOwners && ++owner_ != p.owners->end()) return;
    ++part_;
    Enter();
  }

  // Starts the current part, skipping empty owner lists.
  void Enter() {
    while (part_ < parts_.size() && parts_[part_].kind == Part::kOwners &&
           parts_[part_].owners->empty()) {
      ++part_;
    }
    if (part_ < parts_.size() && parts_[part_].kind == Part::kOwners) {
      owner_ = parts_[part_].owners->begin();
    }
  }

  std::shared_ptr<const RpzZone> zone_;
  Header header_;
  Question question_;
  std::vector<Part> parts_;
  std::shared_ptr<const OwnerChanges> changes_;  // keeps IXFR owner lists alive
  std::optional<TsigVerification> tsig_;
  std::optional<TsigSigner> signer_;
  std::optional<MessageWriter> writer_;
  Record soa_, old_soa_, ns_, trigger_;
  std::vector<std::uint8_t> wire_;  // the owner name being written
  std::size_t part_ = 0;
  feed::OwnerList::const_iterator owner_;  // in the current part, when it is an owner list
  std::size_t records_ = 0;
  bool first_ = true;
};

// Builds a single response: the question, records while they fit (TC when one does not), our
// OPT record when the query had one, and a TSIG record when the query was signed.
class Single {
 public:
  Single(const Message& query, bool tcp, const std::optional<TsigVerification>& tsig,
         std::int64_t now) {
    std::size_t limit = kMaxMessageSize;
    if (!tcp) {
      limit = kMaxUdpSizeWithoutEdns;
      if (query.edns) {
        limit = std::clamp<std::size_t>(query.edns->udp_payload_size, kMaxUdpSizeWithoutEdns,
                                        kOurUdpSize);
      }
    }
    if (tsig) {
      signer_.emplace(*tsig->key, tsig->request_mac, now);
      limit -= signer_->record_size();
    }
    edns_ = query.edns.has_value();
    writer_.emplace(limit);
    writer_->header() = ResponseHeader(query.header);
    if (!query.question.empty()) {
      question_ = query.question[0];
      writer_->AddQuestion(*question_);
    }
  }

  Header& header() { return writer_->header(); }
  void Add(Section s, const Record& r) {
    if (!writer_->AddRecord(s, r)) writer_->header().tc = true;
  }

  std::vector<std::uint8_t> Finish(std::uint16_t rcode = kRcodeNoError) {
    Edns edns;
    SplitRcode(rcode, &writer_->header(), &edns);
    edns.udp_payload_size = kOurUdpSize;
    if (edns_ && !writer_->AddEdns(edns)) {
      // No room for the OPT record after the records: the question alone, truncated.
      writer_->Clear();
      writer_->header().tc = true;
      if (question_) writer_->AddQuestion(*question_);
      writer_->AddEdns(edns);
    }
    std::vector<std::uint8_t> out = writer_->Finish();
    if (signer_) (void)signer_->Sign(&out);
    return out;
  }

 private:
  std::optional<TsigSigner> signer_;
  std::optional<MessageWriter> writer_;
  std::optional<Question> question_;
  bool edns_ = false;
};

Reply Only(std::vector<std::uint8_t> message) {
  Reply r;
  r.message = std::move(message);
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Addresses

Result<Address> Address::Parse(std::string_view text) {
  Address a;
  const std::string s(text);
  std::uint8_t v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    a.bytes[10] = a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return Status::InvalidArgument("\"" + s + "\" is not an IP address");
}

std::string Address::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes.data(), kMapped, 12) == 0) {
    return inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof(buf)) != nullptr ? buf : "?";
  }
  return inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf)) != nullptr ? buf : "?";
}

Result<Network> Network::Parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  Network n;
  ASSIGN_OR_RETURN(n.base, Address::Parse(text.substr(0, slash)));
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  if (slash == std::string_view::npos) {
    n.prefix = 128;
    return n;
  }
  const std::string_view len = text.substr(slash + 1);
  int p = 0;
  if (len.empty() || len.size() > 3 ||
      !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidArgument("\"" + std::string(text) + "\": bad prefix length");
  }
  for (const char c : len) p = p * 10 + (c - '0');
  if (p > (v4 ? 32 : 128)) {
    return Status::InvalidArgument("\"" + std::string(text) + "\": prefix length too long");
  }
  n.prefix = v4 ? p + 96 : p;
  return n;
}

bool Network::Contains(const Address& a) const {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Responder

Responder::Responder(ZoneTable& zones, TransferPolicy policy, std::function<std::int64_t()> now)
    : zones_(zones), policy_(std::move(policy)), now_(std::move(now)) {}

Reply Responder::Handle(std::span<const std::uint8_t> query, const Address& peer, bool tcp) {
  Result<Message> parsed = ParseMessage(query);
  if (!parsed.ok()) {
    Result<Header> h = ParseHeader(query);
    if (!h.ok() || h->qr) return Reply{{}, nullptr, true};
    MessageWriter w(kMaxUdpSizeWithoutEdns);
    w.header() = ResponseHeader(*h);
    w.header().rcode = kRcodeFormErr;
    return Only(w.Finish());
  }
  const Message& m = *parsed;
  if (m.header.qr) return Reply{{}, nullptr, true};  // a response: not for us
  const std::int64_t now = now_();

  std::optional<TsigVerification> tsig;
  if (m.tsig_offset) {
    Result<TsigVerification> v = VerifyTsigRequest(query, m, policy_.keys, now);
    if (!v.ok()) return Only(Single(m, tcp, std::nullopt, now).Finish(kRcodeFormErr));
    if (v->error != kRcodeNoError) {
      std::vector<std::uint8_t> out = Single(m, tcp, std::nullopt, now).Finish(kRcodeNotAuth);
      (void)AppendTsigError(*v, now, &out);
      return Only(std::move(out));
    }
    tsig = *std::move(v);
  }
  Single reply(m, tcp, tsig, now);
  if (m.header.opcode != kOpcodeQuery) return Only(reply.Finish(kRcodeNotImp));
  if (m.question.size() != 1) return Only(reply.Finish(kRcodeFormErr));
  if (m.edns && m.edns->version != 0) return Only(reply.Finish(kRcodeBadVers));
  const Question& q = m.question[0];
  if (q.klass != kClassIN && q.klass != kClassANY) return Only(reply.Finish(kRcodeRefused));
  std::shared_ptr<const RpzZone> zone = zones_.Find(q.name);
  if (zone == nullptr) return Only(reply.Finish(kRcodeRefused));
  reply.header().aa = true;

  if (q.type == kTypeAXFR || q.type == kTypeIXFR) {
    const bool allowed = std::any_of(policy_.allow.begin(), policy_.allow.end(),
                                     [&](const Network& n) { return n.Contains(peer); }) &&
                         (!policy_.require_tsig || tsig.has_value());
    if (!allowed) {
      reply.header().aa = false;
      return Only(reply.Finish(kRcodeRefused));
    }
    if (!(q.name == zone->settings().origin)) {
      reply.header().aa = false;
      return Only(reply.Finish(kRcodeNotAuth));
    }
    Header head = ResponseHeader(m.header);
    auto stream_axfr = [&] {
      Reply r;
      r.stream = std::make_unique<ZoneTransfer>(
          zone, head, q,
          std::vector<Part>{
              {Part::kSoa}, {Part::kNs}, {Part::kOwners, &zone->owners()}, {Part::kSoa}},
          0, tsig, now, nullptr);
      return r;
    };
    if (q.type == kTypeAXFR) {
      if (!tcp) return Only(reply.Finish(kRcodeNotImp));  // AXFR is a TCP exchange
      return stream_axfr();
    }
    // IXFR: the client's version is the SOA in the authority section.
    std::optional<std::uint32_t> client;
    for (const Record& r : m.authority) {
      if (r.type != kTypeSOA) continue;
      Result<Rdata::Soa> soa = Rdata::Soa::Decode(r.rdata);
      if (soa.ok()) client = soa->serial;
    }
    if (!client) return Only(reply.Finish(kRcodeFormErr));
    const auto behind = static_cast<std::uint32_t>(zone->serial() - *client);
    if (behind == 0 || !tcp) {
      // Up to date, or over UDP: our SOA alone (a client behind then asks again over TCP).
      reply.Add(Section::kAnswer, zone->Soa());
      return Only(reply.Finish());
    }
    const Serial from = zone->registry_serial() - static_cast<Serial>(behind);
    if (static_cast<std::int32_t>(behind) < 0 || from < 0) return stream_axfr();
    Result<feed::RpzOwnerDelta> changes = zones_.Changes(*zone, from);
    // History unknown, or the difference (with its four SOAs) longer than the zone (SOA, NS,
    // triggers, SOA): the whole zone instead, as RFC 1995 allows.
    if (!changes.ok() ||
        changes->removed.size() + changes->added.size() + 4 > zone->owners().size() + 3) {
      return stream_axfr();
    }
    auto kept = std::make_shared<const OwnerChanges>(OwnerChanges{
        feed::OwnerList(std::move(changes->removed)), feed::OwnerList(std::move(changes->added))});
    Reply r;
    r.stream = std::make_unique<ZoneTransfer>(zone, head, q,
                                              std::vector<Part>{{Part::kSoa},
                                                                {Part::kOldSoa},
                                                                {Part::kOwners, &kept->removed},
                                                                {Part::kSoa},
                                                                {Part::kOwners, &kept->added},
                                                                {Part::kSoa}},
                                              *client, tsig, now, kept);
    return r;
  }

  // An ordinary query inside the zone.
  const std::optional<std::string> rel = zone->Relative(q.name);
  if (!rel) return Only(reply.Finish(kRcodeRefused));
  if (rel->empty()) {  // the apex
    if (q.type == kTypeSOA || q.type == kTypeANY) reply.Add(Section::kAnswer, zone->Soa());
    if (q.type == kTypeNS || q.type == kTypeANY) reply.Add(Section::kAnswer, zone->Ns());
    if (q.type != kTypeSOA && q.type != kTypeNS && q.type != kTypeANY) {
      reply.Add(Section::kAuthority, zone->Soa());
    }
    return Only(reply.Finish());
  }
  auto answer_cname = [&](std::string_view owner) {
    Result<Record> r = zone->Trigger(owner);
    if (!r.ok()) return false;
    r->name = q.name;  // a wildcard answers with the name asked
    reply.Add(Section::kAnswer, *r);
    return true;
  };
  if (zone->Has(*rel) && answer_cname(*rel)) return Only(reply.Finish());
  // A wildcard at the closest enclosing trigger ("*.example.com" for "a.b.example.com"), as
  // long as no trigger exists at a name between them.
  std::string_view rest = *rel;
  for (std::size_t dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    rest.remove_prefix(dot + 1);
    if (zone->Has("*." + std::string(rest))) {
      if (answer_cname("*." + std::string(rest))) return Only(reply.Finish());
      break;
    }
    if (zone->Has(rest)) break;
  }
  reply.Add(Section::kAuthority, zone->Soa());
  return Only(reply.Finish(kRcodeNxDomain));
}

}  // namespace interdict::dns
