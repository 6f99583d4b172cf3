#include "registry/matcher_cache.h"

#include <unordered_map>
#include <utility>

namespace interdict {

Result<Snapshot> CompileInForce(const InForceSnapshot& in_force, SnapshotBuildOptions options) {
  options.source = in_force.registry_id;
  SnapshotBuilder builder(options);
  std::unordered_map<Id, std::uint32_t> index;
  index.reserve(in_force.orders.size());
  for (const Order& o : in_force.orders) {
    index.emplace(o.id, builder.AddOrder(o.id, o.reference, o.body));
  }
  for (const InForceEntry& e : in_force.entries) {
    auto it = index.find(e.order_id);
    if (it == index.end()) {
      it = index.emplace(e.order_id, builder.AddOrder(e.order_id, e.reference, e.body)).first;
    }
    if (Status s = builder.AddRule(e.target.kind, e.target.value, it->second); !s.ok()) {
      return s.Prefixed("in-force target " + e.target.ToString());
    }
  }
  return builder.Build(static_cast<std::uint64_t>(in_force.serial));
}

Result<std::shared_ptr<const Snapshot>> CurrentMatcher(Registry& registry,
                                                       const std::string& cache_path,
                                                       bool* from_cache, std::string* cache_note) {
  *from_cache = false;
  cache_note->clear();
  if (!cache_path.empty()) {
    ASSIGN_OR_RETURN(auto version, registry.Version());
    Result<Snapshot> cached = Snapshot::Load(cache_path);
    if (cached.ok() && cached->source() == version.first &&
        cached->serial() == static_cast<std::uint64_t>(version.second)) {
      *from_cache = true;
      return std::make_shared<const Snapshot>(std::move(cached).value());
    }
    if (!cached.ok() && cached.status().code() != StatusCode::kIOError) {
      *cache_note = cached.status().ToString();  // a damaged cache is replaced below
    }
  }
  ASSIGN_OR_RETURN(InForceSnapshot in_force, registry.Snapshot());
  ASSIGN_OR_RETURN(Snapshot compiled, CompileInForce(in_force));
  if (!cache_path.empty()) {
    if (Status s = compiled.Save(cache_path); !s.ok()) *cache_note = s.ToString();
  }
  return std::make_shared<const Snapshot>(std::move(compiled));
}

}  // namespace interdict
