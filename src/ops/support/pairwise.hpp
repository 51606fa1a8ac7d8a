#pragma once
// Internal: pairwise (cascade) accumulation for every kernel that reduces many elements.
//
// Summing n values one after another lets the rounding error grow like n (1e7 copies of
// 0.1 in float64 are off by 1.6e-10 relative); summing them pairwise, as NumPy does, makes
// it grow like log2(n) (about 1e-16 there). Values are folded into blocks of
// kPairwiseBlock, each block with kLanes independent accumulators (which also lets the
// compiler vectorise the loop), and finished blocks are merged like a binary counter, so
// each value passes through about log2(n / kPairwiseBlock) merges.
//
// The same machinery serves any associative fold: `combine(acc, value)` adds one value,
// `merge(acc, acc)` joins two partial results, and `init` is the identity of merge.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace lamina::detail {

inline constexpr std::int64_t kPairwiseBlock = 128;
inline constexpr int kLanes = 8;

// Partial results merged like a binary counter: entry i covers 2^height[i] blocks and
// heights decrease towards the top, so merges always join equal amounts of work.
template <class Acc, class Merge>
class PairwiseStack {
 public:
  explicit PairwiseStack(Merge merge) : merge_(merge) {}
  void push(Acc v) {
    int h = 0;
    while (depth_ > 0 && height_[depth_ - 1] == h) {
      v = merge_(level_[depth_ - 1], v);
      --depth_;
      ++h;
    }
    level_[depth_] = v;
    height_[depth_] = h;
    ++depth_;
  }
  bool empty() const { return depth_ == 0; }
  // The merge of everything pushed (the stack must not be empty).
  Acc result() const {
    Acc r = level_[depth_ - 1];
    for (int i = depth_ - 2; i >= 0; --i) r = merge_(level_[i], r);
    return r;
  }

 private:
  Merge merge_;
  Acc level_[64] = {};  // 64 levels hold 2^64 blocks
  int height_[64];
  int depth_ = 0;
};

// Folds x[0, n) with kLanes interleaved accumulators joined by a balanced tree. Meant for
// n <= kPairwiseBlock (a block); longer runs go through pairwise_fold.
template <class In, class Acc, class Combine, class Merge>
Acc fold_block(const In* x, std::int64_t n, Acc init, Combine combine, Merge merge) {
  if (n < 2 * kLanes) {
    Acc a = init;
    for (std::int64_t i = 0; i < n; ++i) a = combine(a, x[i]);
    return a;
  }
  Acc lane[kLanes];
  for (int k = 0; k < kLanes; ++k) lane[k] = init;
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] = combine(lane[k], x[i + k]);
  for (int k = 0; i < n; ++i, ++k) lane[k] = combine(lane[k], x[i]);
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) lane[k] = merge(lane[k], lane[k + w]);
  return lane[0];
}

// A streaming pairwise fold: add() contiguous pieces in order (a masked row adds only its
// valid runs, which may be single elements), then result(). Whatever the pieces, the
// values are dealt to the kLanes lanes in turn and every kPairwiseBlock values form a
// block, exactly as fold_block does for one long run.
template <class Acc, class Combine, class Merge>
class PairwiseFold {
 public:
  PairwiseFold(Acc init, Combine combine, Merge merge) : init_(init), combine_(combine), merge_(merge), stack_(merge) {
    for (auto& l : lane_) l = init;
  }
  template <class In>
  void add(const In* x, std::int64_t n) {
    while (n > 0) {
      if (fill_ % kLanes != 0 || n < kLanes) {
        Acc& l = lane_[fill_ % kLanes];
        l = combine_(l, *x);
        ++x;
        --n;
        ++fill_;
      } else {  // whole rounds of the lanes, up to the end of the block
        const std::int64_t rounds = std::min(n, kPairwiseBlock - fill_) / kLanes;
        Acc lane[kLanes];  // a local copy, so the loop keeps it in registers
        for (int k = 0; k < kLanes; ++k) lane[k] = lane_[k];
        for (std::int64_t r = 0; r < rounds; ++r)
          for (int k = 0; k < kLanes; ++k) lane[k] = combine_(lane[k], x[r * kLanes + k]);
        for (int k = 0; k < kLanes; ++k) lane_[k] = lane[k];
        x += rounds * kLanes;
        n -= rounds * kLanes;
        fill_ += rounds * kLanes;
      }
      if (fill_ == kPairwiseBlock) flush();
    }
  }
  Acc result() {
    if (fill_ > 0) flush();
    return stack_.empty() ? init_ : stack_.result();
  }

 private:
  void flush() {
    for (int w = kLanes / 2; w >= 1; w /= 2)
      for (int k = 0; k < w; ++k) lane_[k] = merge_(lane_[k], lane_[k + w]);
    stack_.push(lane_[0]);
    for (auto& l : lane_) l = init_;
    fill_ = 0;
  }

  Acc init_;
  Acc lane_[kLanes];
  std::int64_t fill_ = 0;
  Combine combine_;
  Merge merge_;
  PairwiseStack<Acc, Merge> stack_;
};

// The pairwise fold of one contiguous run.
template <class In, class Acc, class Combine, class Merge>
Acc pairwise_fold(const In* x, std::int64_t n, Acc init, Combine combine, Merge merge) {
  if (n <= kPairwiseBlock) return fold_block(x, n, init, combine, merge);
  PairwiseStack<Acc, Merge> stack(merge);
  for (std::int64_t i = 0; i < n; i += kPairwiseBlock)
    stack.push(fold_block(x + i, std::min(kPairwiseBlock, n - i), init, combine, merge));
  return stack.result();
}

// Pairwise sum of x[0, n), accumulated in Acc.
template <class Acc, class In>
Acc pairwise_sum(const In* x, std::int64_t n) {
  return pairwise_fold(
      x, n, Acc(0), [](Acc a, In v) { return a + static_cast<Acc>(v); }, [](Acc a, Acc b) { return a + b; });
}

// Rows per block of ColumnPairwise: each column folds this many rows one after another
// (as each lane of fold_block does), then blocks merge pairwise.
inline constexpr std::int64_t kColumnBlock = 16;

// Column-wise pairwise folds over rows: `width` accumulators, one per column, each
// receiving one value per row. The caller folds each row into block() (a plain loop over
// contiguous columns, which vectorises), then calls end_row(); every kColumnBlock rows
// the block is pushed onto a stack of width-wide levels and merged like a binary counter.
template <class Acc, class Merge>
class ColumnPairwise {
 public:
  ColumnPairwise(std::int64_t width, Acc init, Merge merge)
      : width_(width), init_(init), merge_(merge), block_(static_cast<std::size_t>(width), init) {}
  Acc* block() { return block_.data(); }
  void end_row() {
    if (++rows_ < kColumnBlock) return;
    push_block();
  }
  // Writes the merge of all rows to out[0, width) and resets for reuse.
  void result(Acc* out) {
    if (rows_ > 0 || depth_ == 0) push_block();
    // Merge from the top down, oldest (lowest level) on the left.
    Acc* top = level(depth_ - 1);
    for (int d = depth_ - 2; d >= 0; --d) {
      const Acc* l = level(d);
      for (std::int64_t j = 0; j < width_; ++j) top[j] = merge_(l[j], top[j]);
    }
    std::copy(top, top + width_, out);
    depth_ = 0;
    heights_.clear();
  }

 private:
  Acc* level(int d) { return levels_.data() + static_cast<std::int64_t>(d) * width_; }
  void push_block() {
    int h = 0;
    while (depth_ > 0 && heights_[static_cast<std::size_t>(depth_ - 1)] == h) {
      Acc* l = level(depth_ - 1);
      for (std::int64_t j = 0; j < width_; ++j) block_[static_cast<std::size_t>(j)] = merge_(l[j], block_[j]);
      --depth_;
      heights_.pop_back();
      ++h;
    }
    if (levels_.size() < static_cast<std::size_t>((depth_ + 1) * width_))
      levels_.resize(static_cast<std::size_t>((depth_ + 1) * width_));
    std::copy(block_.begin(), block_.end(), level(depth_));
    heights_.push_back(h);
    ++depth_;
    std::fill(block_.begin(), block_.end(), init_);
    rows_ = 0;
  }

  std::int64_t width_;
  Acc init_;
  Merge merge_;
  std::vector<Acc> block_, levels_;
  std::vector<int> heights_;
  int depth_ = 0;
  std::int64_t rows_ = 0;
};

}  // namespace lamina::detail
