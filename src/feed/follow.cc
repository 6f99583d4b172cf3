#include "feed/follow.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace interdict::feed {

Result<ViewSet> Advance(Registry& registry, const ViewSet& old, Serial to) {
  if (to < old.serial) {
    return Status::InvalidArgument("cannot move a view back from serial " +
                                   std::to_string(old.serial) + " to " + std::to_string(to));
  }
  const Scope scope = ViewScope(old.view);
  std::map<Id, FeedOrder> known;  // orders not in `old` that ops name, loaded once each
  std::set<Id> out_of_scope;
  auto relevant = [&](Id id) -> Result<bool> {
    if (old.orders.contains(id) || known.contains(id)) return true;
    if (out_of_scope.contains(id)) return false;
    ASSIGN_OR_RETURN(Order o, registry.FindOrder(std::to_string(id)));
    if ((o.scope & Bit(scope)) == 0) {
      out_of_scope.insert(id);
      return false;
    }
    known.emplace(id, ToFeedOrder(o));
    return true;
  };

  // The touched targets with their orders after the ops, oldest op first.
  std::map<Target, std::set<Id>> touched;
  for (Serial s = old.serial + 1; s <= to; ++s) {
    ASSIGN_OR_RETURN(std::vector<DeltaEntry> entries, registry.SerialDelta(s));
    for (DeltaEntry& d : entries) {
      if (!ViewCarries(old.view, d.target.kind)) continue;
      ASSIGN_OR_RETURN(const bool keep, relevant(d.order_id));
      if (!keep) continue;
      auto [it, fresh] = touched.try_emplace(d.target);
      if (fresh) {
        auto e = std::lower_bound(old.entries.begin(), old.entries.end(), d.target,
                                  [](const FeedEntry& x, const Target& t) { return x.target < t; });
        if (e != old.entries.end() && e->target == d.target) {
          it->second.insert(e->orders.begin(), e->orders.end());
        }
      }
      if (d.op == DeltaOp::kAdd) {
        it->second.insert(d.order_id);
      } else {
        it->second.erase(d.order_id);
      }
    }
  }

  ViewSet now;
  now.view = old.view;
  now.registry_id = old.registry_id;
  now.serial = to;
  now.entries.reserve(old.entries.size() + touched.size());
  auto t = touched.begin();
  auto emit_touched = [&] {
    if (!t->second.empty()) {
      now.entries.push_back({t->first, std::vector<Id>(t->second.begin(), t->second.end())});
    }
    ++t;
  };
  for (const FeedEntry& e : old.entries) {
    while (t != touched.end() && t->first < e.target) emit_touched();
    if (t != touched.end() && t->first == e.target) {
      emit_touched();
    } else {
      now.entries.push_back(e);
    }
  }
  while (t != touched.end()) emit_touched();
  // The orders: those of `old`, plus the new ones the touched targets name, minus those no
  // entry names any more (only orders a touched target named before can be in that case).
  now.orders = old.orders;
  std::set<Id> maybe_gone;
  for (const auto& [target, orders] : touched) {
    for (const Id id : orders) {
      if (!now.orders.contains(id)) now.orders.emplace(id, known.at(id));
    }
    auto e = std::lower_bound(old.entries.begin(), old.entries.end(), target,
                              [](const FeedEntry& x, const Target& y) { return x.target < y; });
    if (e != old.entries.end() && e->target == target) {
      for (const Id id : e->orders) {
        if (!orders.contains(id)) maybe_gone.insert(id);
      }
    }
  }
  if (!maybe_gone.empty()) {
    for (const FeedEntry& e : now.entries) {
      for (const Id id : e.orders) maybe_gone.erase(id);
      if (maybe_gone.empty()) break;
    }
    for (const Id id : maybe_gone) now.orders.erase(id);
  }
  return now;
}

}  // namespace interdict::feed
