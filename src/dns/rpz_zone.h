// One Response Policy Zone as the transfer server publishes it: the zone's settings, and for
// each registry serial an immutable version holding the view and its sorted trigger owners.
//
// Records: the apex has SOA (serial = registry serial mod 2^32) and NS; each trigger owner
// (feed/rpz.h) has one CNAME: to the root (the RPZ "NXDOMAIN" action) or to a notice host whose
// page names the order.
//
// Versions share the view's and the owners' storage (core/chunked_list.h), so a version costs
// memory in proportion to what changed, and the zone of a million triggers moves forward by a
// change in time that follows the change.
//
// Thread-safety: RpzZone is immutable once made; share it through shared_ptr<const RpzZone>.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dns/wire.h"
#include "feed/rpz.h"
#include "feed/view.h"

namespace interdict::dns {

struct RpzZoneSettings {
  feed::View view = feed::View::kIsp;
  Name origin;                 // the zone's name, e.g. "rpz.isp.interdict."
  std::optional<Name> notice;  // the CNAME target of every trigger; none: "." (NXDOMAIN)
  std::uint32_t ttl = 60;
  Name mname;  // the SOA's primary name server ("localhost." when not set)
  Name rname;  // the SOA's mailbox ("hostmaster.localhost." when not set)
  std::uint32_t refresh = 60;
  std::uint32_t retry = 60;
  std::uint32_t expire = 864000;
  std::uint32_t minimum = 60;
};

class RpzZone {
 public:
  // The version of the zone for `view`; its owners are computed from the view.
  static std::shared_ptr<const RpzZone> Make(std::shared_ptr<const RpzZoneSettings> settings,
                                             feed::ViewSet view);
  // The next version: `now` is the same view at a later serial and `delta` the change to it
  // (feed::Advance gives both). Its owners are this version's updated by the owner-level
  // delta, sharing every chunk the change does not touch: the cost follows the change.
  std::shared_ptr<const RpzZone> Next(feed::ViewSet now, const feed::ViewDelta& delta) const;

  const RpzZoneSettings& settings() const { return *settings_; }
  const feed::ViewSet& view() const { return view_; }
  Serial registry_serial() const { return view_.serial; }
  std::uint32_t serial() const { return static_cast<std::uint32_t>(view_.serial); }
  const feed::OwnerList& owners() const { return owners_; }
  // Triggers of the view left out because their name under the origin would pass 255 bytes.
  std::size_t too_long() const { return too_long_.size(); }

  Record Soa() const;
  Record Ns() const;
  // The CNAME record of a trigger owner (relative text, as in owners()).
  Result<Record> Trigger(std::string_view owner) const;
  bool Has(std::string_view owner) const;

  // The owner text of `name` relative to the origin ("" for the apex); nothing when `name` is
  // not in the zone. Lowercase.
  std::optional<std::string> Relative(const Name& name) const;

 private:
  RpzZone(std::shared_ptr<const RpzZoneSettings> settings, feed::ViewSet view,
          feed::OwnerList owners, std::vector<std::string> too_long);

  std::shared_ptr<const RpzZoneSettings> settings_;
  feed::ViewSet view_;
  feed::OwnerList owners_;
  std::vector<std::uint8_t> cname_rdata_;
  std::vector<std::string> too_long_;  // sorted
};

}  // namespace interdict::dns
