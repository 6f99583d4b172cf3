// Response Policy Zone triggers for a view (draft-vixie-dnsop-dns-rpz, as Unbound, BIND,
// PowerDNS Recursor and Knot Resolver read it).
//
// Each blocked target becomes one or more trigger owner names, relative to the zone's origin:
//   domain example.com        example.com
//   domain-tree example.com   example.com and *.example.com
//   ip 192.0.2.1              32.1.2.0.192.rpz-ip
//   cidr 192.0.2.0/24         24.0.2.0.192.rpz-ip
//   ip / cidr on IPv6         128.1.zz.db8.2001.rpz-ip (16-bit groups reversed, in lowercase
//                             hex; the longest run of two or more zero groups written zz, the
//                             first one on a tie, as BIND writes them), 32.zz.db8.2001.rpz-ip
//   cidr 0.0.0.0/0, ::/0      its two halves, /1 each (RPZ prefix lengths start at 1: BIND
//                             ignores a 0): 1.0.0.0.0.rpz-ip and 1.0.0.0.128.rpz-ip
// URLs, apps and search targets have no RPZ form, nor has a domain whose last label is one RPZ
// reserves (rpz-ip, rpz-nsip, rpz-nsdname, rpz-client-ip: the name would read as another kind
// of trigger). Owners are not checked against a zone's length limit; the writer of a zone
// does that (feed/format.h). Two targets can share an owner (a domain and
// a domain-tree on one name; an ip and its /32), so the zone is a set of owners, and its delta
// is computed per owner: an owner leaves the zone only when nothing produces it any more.
// The action (what the owner's CNAME points to) is the zone's business, not the trigger's.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/chunked_list.h"
#include "feed/view.h"
#include "model/target.h"

namespace interdict::feed {

struct RpzTrigger {
  std::string owner;              // relative to the zone origin, no trailing dot
  std::vector<Target> producers;  // every target whose triggers include this owner
};

// The triggers of one target; empty for kinds RPZ cannot express.
std::vector<RpzTrigger> RpzTriggers(const Target& target);

// A zone's trigger owners, sorted; versions share storage (core/chunked_list.h).
using OwnerList = ChunkedList<std::string, std::less<>>;

// Every owner of a view's zone, sorted and unique.
std::vector<std::string> RpzOwners(const ViewSet& view);

struct RpzOwnerDelta {
  std::vector<std::string> removed;  // owners in the zone at delta.from and not at delta.to
  std::vector<std::string> added;    // owners in the zone at delta.to and not at delta.from
  bool empty() const { return removed.empty() && added.empty(); }
};

// The owner-level change behind `delta`; `now` is the view at delta.to.
RpzOwnerDelta RpzDelta(const ViewSet& now, const ViewDelta& delta);

}  // namespace interdict::feed
