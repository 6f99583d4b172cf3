// Fuzz target for the compiled matcher's loader (`Snapshot::FromBytes`, the checks behind
// `Snapshot::Load`): any bytes give a snapshot or an error, never a crash, and every lookup on
// a snapshot that loaded stays inside its image. The checksum is skipped so that mutated images
// reach the structural checks.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "matcher/snapshot.h"
#include "model/types.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  interdict::Result<interdict::Snapshot> s = interdict::Snapshot::FromBytes(bytes, false);
  if (!s.ok()) return 0;
  static constexpr std::string_view kNames[] = {
      "example.com", "www.example.com", "a.b.c.d.e.f.g.h.i.example.net",
      "com",         "EXAMPLE.ORG.",    "site1.example"};
  std::vector<interdict::Verdict> out(std::size(kNames));
  s->MatchNames(kNames, out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const interdict::Verdict one = s->MatchName(kNames[i]);
    if (one.answer != out[i].answer) __builtin_trap();  // the batch and the single lookup agree
    for (const std::uint32_t o : s->AnswerOrders(one.answer)) (void)s->order(o).reference.size();
  }
  for (std::string_view ip : {"10.1.2.3", "198.51.100.1", "2001:db8::1", "::ffff:10.0.0.1", "::"}) {
    for (const std::uint32_t o : s->AnswerOrders(s->MatchIp(ip).answer)) (void)s->order(o).id;
    (void)s->Explain({interdict::TargetKind::kIp, std::string(ip)});
  }
  (void)s->MatchApp("play:com.x");
  (void)s->Explain({interdict::TargetKind::kDomain, "www.site1.example"});
  (void)s->Explain({interdict::TargetKind::kUrl, "http://u.example/abc?x=1"});
  (void)s->Explain({interdict::TargetKind::kCidr, "198.51.100.0/24"});
  (void)s->Explain({interdict::TargetKind::kSearch, "example.com"});
  return 0;
}
