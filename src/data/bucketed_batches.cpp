#include "lamina/data/bucketed_batches.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "data/padding.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/random.hpp"
#include "lamina/data/pad_sequences.hpp"
#include "lamina/ops/index.hpp"

namespace lamina::data {

namespace {

constexpr const char* kWhere = "BucketedBatches";

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

template <class T>
void shuffle(std::vector<T>& v, Generator& g) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[g.next_u64() % i]);
}

void check_options(const BucketOptions& o) {
  if (o.batch_size < 1)
    throw ValueError({.problem = "batch_size must be positive",
                      .expected = "batch_size >= 1",
                      .found = fmt::format("batch_size = {}", o.batch_size),
                      .hint = "leave it unset for Keras's default of 32"});
  if (o.chunk_batches < 1)
    throw ValueError({.problem = "chunk_batches must be positive",
                      .expected = "chunk_batches >= 1 (batches sorted by length together)",
                      .found = fmt::format("chunk_batches = {}", o.chunk_batches)});
  if (o.max_length && *o.max_length < 1)
    throw ValueError({.problem = "max_length must be positive",
                      .expected = "max_length >= 1, or unset to keep whole sequences",
                      .found = fmt::format("max_length = {}", *o.max_length)});
  detail::check_side_option(o.padding, "padding", kWhere);
  detail::check_side_option(o.truncating, "truncating", kWhere);
}

void check_int32(const Sequences& seqs, const char* what) {
  for (std::size_t i = 0; i < seqs.size(); ++i)
    for (std::size_t k = 0; k < seqs[i].size(); ++k) {
      std::int64_t v = seqs[i][k];
      if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
        throw ValueError({.problem = fmt::format("{} {} holds a value that does not fit int32", what, i),
                          .expected = "token ids within the int32 range",
                          .found = fmt::format("{} at position {}", v, k),
                          .hint = "token ids index an Embedding; check how they were computed"});
    }
}

void truncate(Sequences& seqs, const BucketOptions& o) {
  if (!o.max_length) return;
  const auto keep = static_cast<std::size_t>(*o.max_length);
  for (auto& s : seqs) {
    if (s.size() <= keep) continue;
    if (o.truncating == "pre")
      s.erase(s.begin(), s.end() - static_cast<std::ptrdiff_t>(keep));
    else
      s.resize(keep);
  }
}

}  // namespace

Targets Targets::labels(std::vector<std::int64_t> labels) {
  Targets t;
  t.kind_ = Kind::Labels;
  t.labels_ = std::move(labels);
  return t;
}

Targets Targets::rows(Tensor targets) {
  Targets t;
  t.kind_ = Kind::Rows;
  t.rows_ = std::move(targets);
  return t;
}

Targets Targets::per_timestep(Sequences labels) {
  Targets t;
  t.kind_ = Kind::PerTimestep;
  t.per_timestep_ = std::move(labels);
  return t;
}

BucketedBatches::BucketedBatches(Sequences sequences, BucketOptions options)
    : BucketedBatches(std::move(sequences), Targets(), std::move(options)) {}

BucketedBatches::BucketedBatches(Sequences sequences, Targets targets, BucketOptions options)
    : sequences_(std::move(sequences)), targets_(std::move(targets)), options_(std::move(options)) {
  NoteScope scope(kWhere);
  check_options(options_);
  const auto n = static_cast<std::int64_t>(sequences_.size());
  auto count_mismatch = [&](std::int64_t count, const char* what) {
    throw ValueError({.problem = fmt::format("the {} do not match the sequences in number", what),
                      .expected = fmt::format("one per sequence: {}", n),
                      .found = fmt::format("{} {}", count, what),
                      .hint = "pass the targets of exactly the sequences given, in the same order"});
  };
  switch (targets_.kind_) {
    case Targets::Kind::None:
      break;
    case Targets::Kind::Labels:
      if (static_cast<std::int64_t>(targets_.labels_.size()) != n) count_mismatch(targets_.labels_.size(), "labels");
      for (std::size_t i = 0; i < targets_.labels_.size(); ++i) {
        std::int64_t v = targets_.labels_[i];
        if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
          throw ValueError({.problem = fmt::format("label {} does not fit int32", i),
                            .expected = "class indices within the int32 range",
                            .found = std::to_string(v)});
      }
      break;
    case Targets::Kind::Rows:
      if (!targets_.rows_.defined() || targets_.rows_.is_symbolic() || targets_.rows_.rank() == 0)
        throw ValueError({.problem = "row targets must be a concrete tensor of rank >= 1",
                          .expected = fmt::format("a tensor of shape ({}, ...)", n),
                          .found = !targets_.rows_.defined() ? "no tensor" : targets_.rows_.spec().str()});
      if (targets_.rows_.dim(0) != n) count_mismatch(targets_.rows_.dim(0), "target rows");
      break;
    case Targets::Kind::PerTimestep: {
      const auto& labels = targets_.per_timestep_;
      if (static_cast<std::int64_t>(labels.size()) != n) count_mismatch(labels.size(), "label sequences");
      for (std::int64_t i = 0; i < n; ++i) {
        const auto& a = sequences_[static_cast<std::size_t>(i)];
        const auto& b = labels[static_cast<std::size_t>(i)];
        if (a.size() != b.size())
          throw ValueError({.problem = fmt::format("label sequence {} is not as long as its input", i),
                            .expected = fmt::format("one label per time step: {} labels", a.size()),
                            .found = fmt::format("{} labels", b.size()),
                            .hint = "for next-token prediction, inputs are s[0..n-2] and labels s[1..n-1]"});
      }
      check_int32(labels, "label sequence");
      truncate(targets_.per_timestep_, options_);
      break;
    }
  }
  check_int32(sequences_, "sequence");
  truncate(sequences_, options_);
  arrange();
}

void BucketedBatches::arrange() {
  const std::size_t n = sequences_.size();
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Generator g(splitmix64(options_.seed ^ splitmix64(static_cast<std::uint64_t>(epoch_))));
  if (options_.shuffle) shuffle(order, g);
  const auto bs = static_cast<std::size_t>(options_.batch_size);
  if (options_.bucketing) {
    std::size_t chunk = 0;  // saturates at n: a huge batch_size * chunk_batches must not wrap around
    if (__builtin_mul_overflow(bs, static_cast<std::size_t>(options_.chunk_batches), &chunk) || chunk > n) chunk = n;
    for (std::size_t begin = 0; begin < n; begin += chunk) {
      auto first = order.begin() + static_cast<std::ptrdiff_t>(begin);
      auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(n, begin + chunk));
      std::stable_sort(first, last, [&](std::int64_t a, std::int64_t b) {
        return sequences_[static_cast<std::size_t>(a)].size() < sequences_[static_cast<std::size_t>(b)].size();
      });
    }
  }
  batches_.clear();
  for (std::size_t begin = 0; begin < n; begin += bs)
    batches_.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                          order.begin() + static_cast<std::ptrdiff_t>(std::min(n, begin + bs)));
  if (options_.shuffle) shuffle(batches_, g);
}

void BucketedBatches::check_index(std::int64_t index) const {
  if (index < 0 || index >= size())
    throw ValueError({.problem = fmt::format("batch {} is out of range", index),
                      .expected = fmt::format("0 <= batch < {}", size()),
                      .found = std::to_string(index),
                      .hint = "steps_per_epoch cannot exceed the number of batches of the source"});
}

const std::vector<std::int64_t>& BucketedBatches::batch_indices(std::int64_t index) const {
  NoteScope scope(kWhere);
  check_index(index);
  return batches_[static_cast<std::size_t>(index)];
}

Batch BucketedBatches::get(std::int64_t index) {
  NoteScope scope(kWhere);
  check_index(index);
  const auto& ids = batches_[static_cast<std::size_t>(index)];
  const auto rows = static_cast<std::int64_t>(ids.size());
  std::int64_t width = 1;  // never (B, 0): a batch of empty sequences gets one masked step
  for (auto i : ids) width = std::max(width, static_cast<std::int64_t>(sequences_[static_cast<std::size_t>(i)].size()));
  const detail::PadLayout layout{.width = width, .pad_pre = options_.padding == "pre", .dtype = Int32, .op = kWhere};
  auto padded = [&](const Sequences& s) {
    return detail::pad_rows(
        rows, [&](std::int64_t r) -> const std::vector<std::int64_t>& { return s[static_cast<std::size_t>(ids[r])]; },
        layout);
  };
  Batch b;
  b.x.push_back(padded(sequences_));
  switch (targets_.kind_) {
    case Targets::Kind::None:
      break;
    case Targets::Kind::Labels: {
      std::vector<std::int32_t> y;
      y.reserve(ids.size());
      for (auto i : ids) y.push_back(static_cast<std::int32_t>(targets_.labels_[static_cast<std::size_t>(i)]));
      b.y.push_back(tensor(y, Shape{rows}, Int32));
      break;
    }
    case Targets::Kind::Rows:
      b.y.push_back(gather(targets_.rows_, tensor(ids, Shape{rows}, Int64), 0));
      break;
    case Targets::Kind::PerTimestep:
      b.y.push_back(padded(targets_.per_timestep_));
      break;
  }
  return b;
}

void BucketedBatches::on_epoch_end() {
  ++epoch_;
  arrange();
}

void BucketedBatches::set_epoch(int epoch) {
  NoteScope scope(kWhere);
  if (epoch < 0)
    throw ValueError(
        {.problem = "the epoch must not be negative", .expected = "epoch >= 0", .found = std::to_string(epoch)});
  epoch_ = epoch;
  arrange();
}

PaddingStats BucketedBatches::padding_stats() const {
  PaddingStats s;
  for (const auto& batch : batches_) {
    std::int64_t width = 1;
    for (auto i : batch) {
      auto len = static_cast<std::int64_t>(sequences_[static_cast<std::size_t>(i)].size());
      s.tokens += len;
      width = std::max(width, len);
    }
    s.positions += width * static_cast<std::int64_t>(batch.size());
  }
  return s;
}

}  // namespace lamina::data
