// Address intervals for the guard (internal to src/guard): addresses as ordered keys, the
// interval of a canonical address or CIDR, an index of intervals queried for overlaps, and the
// flattening of nested prefixes into disjoint segments that each belong to the most specific
// prefix covering them (longest-prefix match, precomputed).
//
// Thread-safety: plain values; an IntervalIndex may be read from many threads once Finish()ed.
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace interdict::guard::internal {

// An address as an ordered key. Every IPv4 address sorts before every IPv6 address; an IPv4
// address is held in the low 32 bits of `lo`.
struct IpKey {
  std::uint8_t v6 = 0;
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  friend auto operator<=>(const IpKey&, const IpKey&) = default;  // NOLINT(modernize-use-nullptr)
  friend bool operator==(const IpKey&, const IpKey&) = default;
};

// The addresses first..last, both included, of one family.
struct IpInterval {
  IpKey first;
  IpKey last;

  friend bool operator==(const IpInterval&, const IpInterval&) = default;
};

inline bool Overlaps(const IpInterval& a, const IpInterval& b) {
  return a.first <= b.last && b.first <= a.last;
}
inline bool Contains(const IpInterval& outer, const IpInterval& inner) {
  return outer.first <= inner.first && inner.last <= outer.last;
}

// The interval of a canonical address ("192.0.2.1") or CIDR ("192.0.2.0/24"), the forms of
// NormalizeIp and NormalizeCidr. An IPv4-mapped IPv6 address, or a network inside
// ::ffff:0:0/96, is IPv4, as the model spells them. nullopt for anything else, host bits set
// included.
std::optional<IpInterval> IntervalOf(std::string_view text);

// The IPv4 addresses whose mapped form (::ffff:a.b.c.d) lies in the IPv6 interval `v6`, if any:
// the model spells those addresses as IPv4, so a block of ::/0 covers them too.
std::optional<IpInterval> MappedV4Part(const IpInterval& v6);

// The address after `k` in its family; nullopt after the last one.
std::optional<IpKey> Next(const IpKey& k);
// The address before `k`. REQUIRES: k is not the first address of its family.
IpKey Prev(const IpKey& k);

// Intervals carrying a payload, queried for the ones that overlap a given interval. Intervals may
// nest; a query scans back from the last interval starting at or before the query's end while
// an earlier interval may still reach the query (a running maximum of ends), so it costs
// O(log n + intervals scanned), which is O(log n + hits) for disjoint intervals.
template <typename T>
class IntervalIndex {
 public:
  struct Entry {
    IpInterval interval;
    T payload;
  };

  void Add(const IpInterval& interval, T payload) {
    entries_.push_back(Entry{interval, std::move(payload)});
  }

  // Sorts the intervals. With drop_contained, an interval inside an earlier one (or equal to it)
  // is dropped, which leaves disjoint intervals when all of them are CIDRs (CIDRs nest or are
  // disjoint). REQUIRES: called once, after the last Add and before any query.
  void Finish(bool drop_contained) {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      if (a.interval.first != b.interval.first) return a.interval.first < b.interval.first;
      return a.interval.last > b.interval.last;  // the outer interval first
    });
    if (drop_contained) {
      std::vector<Entry> kept;
      kept.reserve(entries_.size());
      for (Entry& e : entries_) {
        if (!kept.empty() && Contains(kept.back().interval, e.interval)) continue;
        kept.push_back(std::move(e));
      }
      entries_ = std::move(kept);
    }
    max_last_.clear();
    max_last_.reserve(entries_.size());
    for (const Entry& e : entries_) {
      max_last_.push_back(max_last_.empty() ? e.interval.last
                                            : std::max(max_last_.back(), e.interval.last));
    }
  }

  // Calls f(const Entry&) for every interval overlapping `q`, in descending order of start.
  template <typename F>
  void ForEachOverlap(const IpInterval& q, F&& f) const {
    // The entries starting at or before q.last.
    const auto end =
        std::upper_bound(entries_.begin(), entries_.end(), q.last,
                         [](const IpKey& k, const Entry& e) { return k < e.interval.first; });
    for (auto i = static_cast<std::size_t>(end - entries_.begin()); i > 0; --i) {
      if (max_last_[i - 1] < q.first) break;  // nothing at or before i-1 reaches q
      const Entry& e = entries_[i - 1];
      if (e.interval.last >= q.first) f(e);
    }
  }

  std::size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::vector<IpKey> max_last_;
};

// Splits nested CIDR intervals into disjoint segments, each carrying the payload of the most
// specific interval covering it (an address belongs to its longest matching prefix). Of two
// equal intervals the later one in `items` is taken as the more specific.
template <typename T>
std::vector<std::pair<IpInterval, T>> FlattenMostSpecific(
    std::vector<std::pair<IpInterval, T>> items) {
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    if (a.first.first != b.first.first) return a.first.first < b.first.first;
    return a.first.last > b.first.last;
  });
  std::vector<std::pair<IpInterval, T>> out;
  std::vector<std::size_t> open;  // indexes of items, each inside the one below it
  std::optional<IpKey> cursor;    // the first address not yet given to a segment
  const auto close_top = [&] {
    const std::size_t top = open.back();
    open.pop_back();
    const IpKey& last = items[top].first.last;
    if (cursor && *cursor <= last) {
      out.emplace_back(IpInterval{*cursor, last}, items[top].second);
      cursor = Next(last);
    }
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    const IpInterval& iv = items[i].first;
    while (!open.empty() && items[open.back()].first.last < iv.first) close_top();
    if (!open.empty() && cursor && *cursor < iv.first) {
      out.emplace_back(IpInterval{*cursor, Prev(iv.first)}, items[open.back()].second);
    }
    cursor = iv.first;
    open.push_back(i);
  }
  while (!open.empty()) close_top();
  return out;
}

// The canonical text of an address key ("192.0.2.1", "2001:db8::1").
std::string FormatIpKey(const IpKey& k);

}  // namespace interdict::guard::internal
