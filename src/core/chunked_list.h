// ChunkedList: a sorted sequence whose versions share storage, for sets that change a little at
// a time and are read by many (a feed's view of a million targets, a zone's trigger owners).
//
// The elements sit in chunks of up to kMaxChunk, each an immutable vector held by shared_ptr.
// Copying a list copies the chunk pointers (n / 256 of them), not the elements. Merge makes a
// new version that copies only the chunks an edit falls in, so moving a set of n elements
// forward by k edits costs O(k · chunk + n / chunk) instead of O(n). Lookups are two binary
// searches (over the chunks' last elements, then inside one chunk).
//
// `Less` orders elements and must also compare an element with each key type used in Find and
// Merge (a transparent comparator). Elements are unique under Less.
//
// Thread-safety: a value type. Const members may be called from any number of threads; lists
// made from one another share chunks that never change, so each version may be used on its own
// thread. Iterators point into the list object: they do not survive moving it.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace interdict {

template <typename T, typename Less>
class ChunkedList {
  using Chunk = std::vector<T>;
  using Chunks = std::vector<std::shared_ptr<const Chunk>>;

 public:
  static constexpr std::size_t kMaxChunk = 512;  // a chunk that grows past this is split
  static constexpr std::size_t kChunk = 256;     // the size of chunks cut from a longer run
  static constexpr std::size_t kMinChunk = 64;   // a chunk that shrinks below this is joined

  using value_type = T;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return (*(*chunks_)[chunk_])[pos_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++pos_ == (*chunks_)[chunk_]->size()) {
        ++chunk_;
        pos_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.pos_ == b.pos_;
    }

   private:
    friend class ChunkedList;
    const_iterator(const Chunks* chunks, std::size_t chunk, std::size_t pos)
        : chunks_(chunks), chunk_(chunk), pos_(pos) {}

    const Chunks* chunks_ = nullptr;
    std::size_t chunk_ = 0;
    std::size_t pos_ = 0;
  };
  using iterator = const_iterator;

  ChunkedList() = default;
  // The list of `items`, sorted here when they are not; they must be unique under Less.
  explicit ChunkedList(std::vector<T> items) {
    if (!std::is_sorted(items.begin(), items.end(), Less{})) {
      std::sort(items.begin(), items.end(), Less{});
    }
    Append(std::move(items));
  }

  ChunkedList(std::initializer_list<T> items) : ChunkedList(std::vector<T>(items)) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return {&chunks_, 0, 0}; }
  const_iterator end() const { return {&chunks_, chunks_.size(), 0}; }
  const T& front() const { return chunks_.front()->front(); }
  const T& back() const { return chunks_.back()->back(); }

  // The element equal to `key` under Less, or null.
  template <typename K>
  const T* Find(const K& key) const {
    const Less less;
    auto c = std::partition_point(chunks_.begin(), chunks_.end(),
                                  [&](const auto& chunk) { return less(chunk->back(), key); });
    if (c == chunks_.end()) return nullptr;
    auto it = std::lower_bound((*c)->begin(), (*c)->end(), key, less);
    return it != (*c)->end() && !less(key, *it) ? &*it : nullptr;
  }

  // A new version: each element of `put` replaces its equal or is inserted, and the elements
  // equal to a key of `remove` leave. Both are sorted under Less; no key is in both.
  template <typename K>
  ChunkedList Merge(std::vector<T> put, const std::vector<K>& remove) const {
    const Less less;
    assert(std::is_sorted(put.begin(), put.end(), less));
    if (put.empty() && remove.empty()) return *this;
    ChunkedList out;
    if (chunks_.empty()) {
      out.Append(std::move(put));
      return out;
    }
    out.chunks_.reserve(chunks_.size() + put.size() / kChunk + 1);
    auto p = put.begin();
    auto r = remove.begin();
    for (std::size_t i = 0; i < chunks_.size(); ++i) {
      const Chunk& chunk = *chunks_[i];
      // The edits that fall in this chunk: those before the next chunk's first element.
      auto p_end = put.end();
      auto r_end = remove.end();
      if (i + 1 < chunks_.size()) {
        const T& next = chunks_[i + 1]->front();
        p_end = std::partition_point(p, put.end(), [&](const T& x) { return less(x, next); });
        r_end = std::partition_point(r, remove.end(), [&](const K& x) { return less(x, next); });
      }
      if (p == p_end && r == r_end) {
        out.Push(chunks_[i]);
        continue;
      }
      Chunk merged;
      merged.reserve(chunk.size() + static_cast<std::size_t>(p_end - p));
      auto removed = [&](const T& x) {
        while (r != r_end && less(*r, x)) ++r;
        return r != r_end && !less(x, *r);
      };
      auto a = chunk.begin();
      while (a != chunk.end() || p != p_end) {
        if (p == p_end || (a != chunk.end() && less(*a, *p))) {
          if (!removed(*a)) merged.push_back(*a);
          ++a;
        } else {
          if (a != chunk.end() && !less(*p, *a)) ++a;  // replaced
          merged.push_back(std::move(*p++));
        }
      }
      r = r_end;
      out.Append(std::move(merged));
    }
    return out;
  }

  std::vector<T> ToVector() const { return std::vector<T>(begin(), end()); }

  friend bool operator==(const ChunkedList& a, const ChunkedList& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  void Push(std::shared_ptr<const Chunk> chunk) {
    size_ += chunk->size();
    chunks_.push_back(std::move(chunk));
  }

  // Appends `items` (sorted, after every element here) as chunks of at most kMaxChunk; a short
  // run is joined to a short last chunk, so deletions do not leave a trail of tiny chunks.
  void Append(Chunk items) {
    if (items.empty()) return;
    if (items.size() < kMinChunk && !chunks_.empty() &&
        chunks_.back()->size() + items.size() <= kMaxChunk) {
      Chunk joined(*chunks_.back());
      joined.insert(joined.end(), std::make_move_iterator(items.begin()),
                    std::make_move_iterator(items.end()));
      size_ -= chunks_.back()->size();
      chunks_.pop_back();
      Push(std::make_shared<const Chunk>(std::move(joined)));
      return;
    }
    if (items.size() <= kMaxChunk) {
      Push(std::make_shared<const Chunk>(std::move(items)));
      return;
    }
    for (std::size_t start = 0; start < items.size();) {
      // Cut kChunk at a time; the last piece takes the rest when it fits in kMaxChunk.
      const std::size_t left = items.size() - start;
      const std::size_t take = left <= kMaxChunk ? left : kChunk;
      auto first = items.begin() + static_cast<std::ptrdiff_t>(start);
      Push(std::make_shared<const Chunk>(
          std::make_move_iterator(first),
          std::make_move_iterator(first + static_cast<std::ptrdiff_t>(take))));
      start += take;
    }
  }

  Chunks chunks_;  // never holds an empty chunk
  std::size_t size_ = 0;
};

}  // namespace interdict
