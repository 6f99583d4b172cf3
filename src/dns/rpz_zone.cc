#include "dns/rpz_zone.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <utility>

namespace interdict::dns {
namespace {

Name OrDefault(const Name& n, std::string_view fallback) {
  if (!n.is_root()) return n;
  Result<Name> f = Name::FromText(fallback);
  assert(f.ok());
  return *std::move(f);
}

}  // namespace

RpzZone::RpzZone(std::shared_ptr<const RpzZoneSettings> settings, feed::ViewSet view,
                 std::vector<std::string> owners)
    : settings_(std::move(settings)), view_(std::move(view)), owners_(std::move(owners)) {
  cname_rdata_ = Rdata::EncodeCname(settings_->notice ? *settings_->notice : Name::Root());
  // An owner whose name under the origin would pass 255 bytes cannot be served: leave it out,
  // and count it (a long zone name over a long blocked name).
  const std::size_t room = kMaxNameWireSize - settings_->origin.wire_size();
  const auto fits = [room](const std::string& o) { return o.size() + 1 <= room; };
  const auto end = std::stable_partition(owners_.begin(), owners_.end(), fits);
  too_long_.assign(std::make_move_iterator(end), std::make_move_iterator(owners_.end()));
  owners_.erase(end, owners_.end());
}

std::shared_ptr<const RpzZone> RpzZone::Make(std::shared_ptr<const RpzZoneSettings> settings,
                                             feed::ViewSet view) {
  std::vector<std::string> owners = feed::RpzOwners(view);
  return std::shared_ptr<const RpzZone>(
      new RpzZone(std::move(settings), std::move(view), std::move(owners)));
}

std::shared_ptr<const RpzZone> RpzZone::Next(feed::ViewSet now) const {
  const feed::ViewDelta delta = feed::Diff(view_, now);
  const feed::RpzOwnerDelta change = feed::RpzDelta(now, delta);
  // The previous owners, with those left out as too long (rare: merged in only when there are).
  std::vector<std::string> merged;
  if (!too_long_.empty()) {
    std::merge(owners_.begin(), owners_.end(), too_long_.begin(), too_long_.end(),
               std::back_inserter(merged));
  }
  const std::vector<std::string>& previous = too_long_.empty() ? owners_ : merged;
  std::vector<std::string> owners;
  owners.reserve(previous.size() + change.added.size());
  // owners_ minus change.removed, merged with change.added (all three sorted).
  auto removed = change.removed.begin();
  auto added = change.added.begin();
  for (const std::string& o : previous) {
    while (removed != change.removed.end() && *removed < o) ++removed;
    if (removed != change.removed.end() && *removed == o) continue;
    while (added != change.added.end() && *added < o) owners.push_back(*added++);
    if (added != change.added.end() && *added == o) ++added;  // already there
    owners.push_back(o);
  }
  while (added != change.added.end()) owners.push_back(*added++);
  return std::shared_ptr<const RpzZone>(new RpzZone(settings_, std::move(now), std::move(owners)));
}

Record RpzZone::Soa() const {
  Rdata::Soa soa;
  soa.mname = OrDefault(settings_->mname, "localhost.");
  soa.rname = OrDefault(settings_->rname, "hostmaster.localhost.");
  soa.serial = serial();
  soa.refresh = settings_->refresh;
  soa.retry = settings_->retry;
  soa.expire = settings_->expire;
  soa.minimum = settings_->minimum;
  return {settings_->origin, kTypeSOA, kClassIN, settings_->ttl, soa.Encode()};
}

Record RpzZone::Ns() const {
  return {settings_->origin, kTypeNS, kClassIN, settings_->ttl,
          Rdata::EncodeNs(OrDefault(settings_->mname, "localhost."))};
}

Result<Record> RpzZone::Trigger(std::string_view owner) const {
  ASSIGN_OR_RETURN(Name relative, Name::FromText(owner));
  ASSIGN_OR_RETURN(Name name, relative.Concat(settings_->origin));
  return Record{std::move(name), kTypeCNAME, kClassIN, settings_->ttl, cname_rdata_};
}

bool RpzZone::Has(std::string_view owner) const {
  return std::binary_search(owners_.begin(), owners_.end(), owner,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

std::optional<std::string> RpzZone::Relative(const Name& name) const {
  const Name& origin = settings_->origin;
  if (!name.IsSubdomainOf(origin)) return std::nullopt;
  const std::size_t keep = name.label_count() - origin.label_count();
  std::string text;
  for (std::size_t i = 0; i < keep; ++i) {
    if (i > 0) text += '.';
    for (const char c : name.label(i)) {
      if (c == '.' || c == '\\') text += '\\';  // never equal to an owner (they have no escapes)
      text += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  return text;
}

}  // namespace interdict::dns
