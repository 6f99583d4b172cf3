#include "feed/follow.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace interdict::feed {

Result<ViewSet> Advance(Registry& registry, const ViewSet& old, Serial to, ViewDelta* delta) {
  if (to < old.serial) {
    return Status::InvalidArgument("cannot move a view back from serial " +
                                   std::to_string(old.serial) + " to " + std::to_string(to));
  }
  ASSIGN_OR_RETURN(ViewLog log, ReadViewLog(registry, old.view, old.orders, old.serial, to));
  if (delta != nullptr) {
    *delta = ViewDelta{};
    delta->view = old.view;
    delta->registry_id = old.registry_id;
    delta->from = old.serial;
    delta->to = to;
  }

  // Each touched target's orders after its ops (applied oldest first), as entry edits, and the
  // change in how many entries name each order.
  std::vector<FeedEntry> put;
  std::vector<Target> gone;
  std::map<Id, std::ptrdiff_t> use_change;
  for (const auto& [target, list] : log.ops) {
    const FeedEntry* before = old.entry(target);
    std::set<Id> orders;
    if (before != nullptr) orders.insert(before->orders.begin(), before->orders.end());
    for (const DeltaEntry& d : list) {
      if (d.op == DeltaOp::kAdd) {
        orders.insert(d.order_id);
      } else {
        orders.erase(d.order_id);
      }
    }
    std::vector<Id> after(orders.begin(), orders.end());
    // Unchanged, or added and removed again within the range.
    if (before != nullptr ? before->orders == after : after.empty()) continue;
    if (before != nullptr) {
      for (const Id id : before->orders) --use_change[id];
    }
    for (const Id id : after) ++use_change[id];
    if (delta != nullptr) {
      if (before == nullptr) delta->added.push_back({target, after});
      if (before != nullptr && after.empty()) delta->removed.push_back(*before);
    }
    if (after.empty()) {
      gone.push_back(target);
    } else {
      put.push_back({target, std::move(after)});
    }
  }

  // Orders whose use count reaches 0 leave; orders that gain their first use come in.
  std::vector<OrderUse> uses_put;
  std::vector<Id> uses_gone;
  std::vector<FeedOrder> orders_put;
  for (const auto& [id, change] : use_change) {
    if (change == 0) continue;
    const OrderUse* use = old.uses.Find(id);
    const std::ptrdiff_t was = use != nullptr ? static_cast<std::ptrdiff_t>(use->entries) : 0;
    const std::ptrdiff_t is = was + change;
    if (is < 0) {
      return Status::Internal("the view's use count of order " + std::to_string(id) +
                              " went below zero: the view was not made by SelectView");
    }
    if (is == 0) {
      uses_gone.push_back(id);
      continue;
    }
    uses_put.push_back({id, static_cast<std::size_t>(is)});
    if (was == 0) {
      auto loaded = log.loaded.find(id);
      if (loaded == log.loaded.end()) {
        return Status::Internal("order " + std::to_string(id) + " enters the view unread");
      }
      orders_put.push_back(loaded->second);
    }
  }

  ViewSet now;
  now.view = old.view;
  now.registry_id = old.registry_id;
  now.serial = to;
  now.entries = old.entries.Merge(std::move(put), gone);
  now.orders = old.orders.Merge(std::move(orders_put), uses_gone);
  now.uses = old.uses.Merge(std::move(uses_put), uses_gone);
  if (delta != nullptr) {
    for (const FeedEntry& e : delta->added) {
      for (const Id id : e.orders) {
        if (const FeedOrder* o = now.order(id)) delta->orders.emplace(id, *o);
      }
    }
    for (const FeedEntry& e : delta->removed) {
      for (const Id id : e.orders) {
        if (const FeedOrder* o = old.order(id)) delta->orders.emplace(id, *o);
      }
    }
  }
  return now;
}

Result<std::optional<FollowStep>> FollowRegistry(Registry& registry, std::span<const View> views,
                                                 std::span<const ViewSet* const> current) {
  ASSIGN_OR_RETURN(auto version, registry.Version());
  FollowStep step;
  if (current.empty() || current.front()->registry_id != version.first) {
    ASSIGN_OR_RETURN(InForceSnapshot snapshot, registry.Snapshot());
    for (const View v : views) step.views.push_back(SelectView(snapshot, v));
    step.reloaded = true;
    return std::optional<FollowStep>(std::move(step));
  }
  const Serial at = current.front()->serial;
  if (version.second == at) return std::optional<FollowStep>();
  if (version.second < at) return Status::FailedPrecondition("the registry's serial went back");
  for (const ViewSet* old : current) {
    ViewDelta delta;
    ASSIGN_OR_RETURN(ViewSet now, Advance(registry, *old, version.second, &delta));
    step.views.push_back(std::move(now));
    step.deltas.push_back(std::move(delta));
  }
  return std::optional<FollowStep>(std::move(step));
}

}  // namespace interdict::feed
