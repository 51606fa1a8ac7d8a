#pragma once
// GradientTape: records eagerly executed ops and differentiates them (DESIGN.md section 6).
//
//   lm::GradientTape tape;               // records while in scope; tapes nest
//   auto y = lm::sum(x * w.value());     // trainable Variables are watched when read
//   auto g = tape.gradient(y, {w});      // std::optional<Tensor> per source
//
// A source the target does not depend on gets no gradient (std::nullopt, or zeros with
// `.unconnected = Unconnected::Zero`). The tape remembers where such a path was cut
// -- a non-differentiable op (round, argmax, cast to int, comparisons) consuming a
// tensor that depended on the source -- and cuts() / require_gradients() name it.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lamina/core/recording.hpp"
#include "lamina/core/tensor.hpp"
#include "lamina/core/variable.hpp"

namespace lamina {

enum class Unconnected { None, Zero };

struct GradientOptions {
  Unconnected unconnected = Unconnected::None;
  // Gradient of the target to start from (default: ones, i.e. d sum(target)).
  Tensor output_gradient;
  // Called once per source, during the backward pass, as soon as the source's gradient is
  // final (no op left to run adds to it): (index in `sources`, what gradient() returns for
  // it, an undefined Tensor for none). Data-parallel training starts each gradient bucket's
  // allreduce from here, while the rest of the backward runs.
  std::function<void(std::size_t, const Tensor&)> on_final;
};

// Why a source gets no gradient.
struct GradientCut {
  std::string source;  // variable name or "source #i"
  // The non-differentiable ops on the source's paths to the target, nearest the source
  // first, each with its error-context ("layer 'x' (Lambda), op 'round'"). Empty when
  // there is no recorded path at all (the source was not used, or used outside the tape).
  std::vector<std::string> cut_by;
  std::string describe() const;
};

struct TapeOptions {
  // Watch trainable Variables when their value is read inside the tape (like TF).
  bool watch_accessed_variables = true;
};

class GradientTape final : public Recorder {
 public:
  explicit GradientTape(TapeOptions options = {});
  ~GradientTape() override;
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  // Tracks `t` as a source. Integer/Bool tensors can be watched but never get gradients.
  void watch(const Tensor& t);
  void watch(const Variable& v);

  std::vector<std::optional<Tensor>> gradient(const Tensor& target, const TensorList& sources,
                                              const GradientOptions& options = {});
  std::vector<std::optional<Tensor>> gradient(const Tensor& target, const std::vector<Variable>& sources,
                                              const GradientOptions& options = {});
  std::optional<Tensor> gradient(const Tensor& target, const Tensor& source, const GradientOptions& options = {});

  // For each source that gets no gradient, why (empty when all are connected).
  std::vector<GradientCut> cuts(const Tensor& target, const TensorList& sources) const;
  std::vector<GradientCut> cuts(const Tensor& target, const std::vector<Variable>& sources) const;
  // GradientError listing every variable that gets no gradient and the ops that cut it.
  void require_gradients(const Tensor& target, const std::vector<Variable>& sources) const;

  // Recorder interface (used by ops).
  bool tracks(std::uint64_t id) const override;
  void record(std::shared_ptr<const OpRecord> rec) override;
  void on_variable_read(const Tensor& value, bool trainable) override;

 private:
  std::vector<std::optional<Tensor>> gradient_ids(const Tensor& target, const std::vector<std::uint64_t>& ids,
                                                  const std::vector<TensorSpec>& specs, const GradientOptions& options);
  // One recorded op's backward: its outputs' gradients (taken from `grads`) into its inputs'.
  void backward_through(const OpRecord& rec, std::unordered_map<std::uint64_t, Tensor>& grads,
                        const std::unordered_map<std::uint64_t, bool>& is_source) const;
  std::vector<GradientCut> cuts_ids(const Tensor& target, const std::vector<std::uint64_t>& ids,
                                    const std::vector<std::string>& names) const;

  TapeOptions options_;
  std::unordered_set<std::uint64_t> tracked_;
  std::vector<std::shared_ptr<const OpRecord>> records_;
  bool active_ = true;
};

// The same values, cut off from every tape (the gradient stops here, by request; the
// tape's diagnostics name it as 'stop_gradient').
Tensor stop_gradient(const Tensor& x);

}  // namespace lamina
