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
  ASSIGN_OR_RETURN(ViewLog log, ReadViewLog(registry, old.view, old.orders, old.serial, to));

  // The touched targets with their orders after the ops, applied oldest first.
  std::map<Target, std::set<Id>> touched;
  for (const auto& [target, list] : log.ops) {
    std::set<Id>& orders = touched[target];
    if (const FeedEntry* e = FindEntry(old.entries, target)) {
      orders.insert(e->orders.begin(), e->orders.end());
    }
    for (const DeltaEntry& d : list) {
      if (d.op == DeltaOp::kAdd) {
        orders.insert(d.order_id);
      } else {
        orders.erase(d.order_id);
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
      if (!now.orders.contains(id)) now.orders.emplace(id, log.loaded.at(id));
    }
    if (const FeedEntry* e = FindEntry(old.entries, target)) {
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
