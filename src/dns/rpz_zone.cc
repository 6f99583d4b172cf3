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

// Whether `owner` fits under `origin` within a name's 255 bytes. One that does not cannot be
// served: it is left out, and counted (a long zone name over a long blocked name).
bool Fits(const Name& origin, const std::string& owner) {
  return owner.size() + 1 + origin.wire_size() <= kMaxNameWireSize;
}

}  // namespace

RpzZone::RpzZone(std::shared_ptr<const RpzZoneSettings> settings, feed::ViewSet view,
                 feed::OwnerList owners, std::vector<std::string> too_long)
    : settings_(std::move(settings)),
      view_(std::move(view)),
      owners_(std::move(owners)),
      too_long_(std::move(too_long)) {
  cname_rdata_ = Rdata::EncodeCname(settings_->notice ? *settings_->notice : Name::Root());
}

std::shared_ptr<const RpzZone> RpzZone::Make(std::shared_ptr<const RpzZoneSettings> settings,
                                             feed::ViewSet view) {
  std::vector<std::string> owners = feed::RpzOwners(view);
  const auto end = std::stable_partition(owners.begin(), owners.end(), [&](const std::string& o) {
    return Fits(settings->origin, o);
  });
  std::vector<std::string> too_long(std::make_move_iterator(end),
                                    std::make_move_iterator(owners.end()));
  owners.erase(end, owners.end());
  return std::shared_ptr<const RpzZone>(new RpzZone(std::move(settings), std::move(view),
                                                    feed::OwnerList(std::move(owners)),
                                                    std::move(too_long)));
}

std::shared_ptr<const RpzZone> RpzZone::Next(feed::ViewSet now,
                                             const feed::ViewDelta& delta) const {
  feed::RpzOwnerDelta change = feed::RpzDelta(now, delta);
  std::vector<std::string> fit;
  std::vector<std::string> too_long;
  for (std::string& o : change.added) {
    (Fits(settings_->origin, o) ? fit : too_long).push_back(std::move(o));
  }
  // The owners left out before, minus the removed ones, plus the new ones that do not fit.
  std::vector<std::string> kept;
  std::set_difference(too_long_.begin(), too_long_.end(), change.removed.begin(),
                      change.removed.end(), std::back_inserter(kept));
  std::vector<std::string> left_out;
  std::merge(kept.begin(), kept.end(), too_long.begin(), too_long.end(),
             std::back_inserter(left_out));
  return std::shared_ptr<const RpzZone>(new RpzZone(settings_, std::move(now),
                                                    owners_.Merge(std::move(fit), change.removed),
                                                    std::move(left_out)));
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
  return owners_.Find(owner) != nullptr;
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
