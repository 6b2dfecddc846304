// Batch norm when no gradient is wanted (scoring, inference): with the batch's own statistics, two passes over contiguous
// NC(HW) memory for the statistics (one over channels-last memory) and one for the normalization; with given
// statistics, the normalization alone. Why:
// libtorch 1.13's CPU forward took 2.8 ms on a 256 x 8 x 28 x 28 chunk (60 % of a 3x3 convolution of it), this 0.84 ms;
// a network of NAS-Bench-201 cells runs one per convolution (docs/benchmarks.md). Training keeps ATen's kernels: an own
// forward and backward measured no faster there (benchmarks/run.sh batchnorm). Same formula as ATen; results differ
// from its kernel by rounding. normalized_sum (at the end) writes a whole cell node of a scoring forward in one pass:
// its normalized convolutions, pooled and plain inputs, and ReLU.
#include "batch_norm.h"

#include "kst_common.h"
#include "memory_format.h"
#include "pooling.h"
#include "vector_clones.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace {
constexpr int64_t kLanes = 8;    // independent float accumulators, so the compiler can vectorize the sums
constexpr int64_t kBlock = 1024; // values summed in float before the sum moves to double

// x is contiguous NC(HW), or channels-last 4-D (cl: rows of c values, n * inner of them).
struct Layout {
  int64_t n, c, inner;
  bool cl;
  explicit Layout(const torch::Tensor& x)
      : n(x.size(0)), c(x.size(1)), inner(x.numel() / (x.size(0) * x.size(1))), cl(kst::channels_last_4d(x)) {}
};

// acc[k] += d and acc2[k] += d * d, d = p[k] - shift[k], over `spans` consecutive spans of `width` values.
KST_VECTOR_CLONES void span_sums(const float* p, int64_t spans, int64_t width, const float* shift, float* acc, float* acc2) {
  for (int64_t sp = 0; sp < spans; ++sp, p += width)
    for (int64_t k = 0; k < width; ++k) {
      const float d = p[k] - shift[k];
      acc[k] += d;
      acc2[k] += d * d;
    }
}

// Per-channel sums of d and d * d (d = x - shift[c]) over channels-last memory (rows of c values), in one pass. The flat
// data is read in spans of `width` values (a multiple of c, at least kLanes * 8), with a float lane per position, so
// the inner loop vectorizes; lanes fold into channels (lane k is channel k % c). Float within a block of kBlock / 8
// spans, double across blocks; fixed tasks keep the result independent of the thread count.
std::pair<std::vector<double>, std::vector<double>> channel_sums_cl(const Layout& l, const float* x,
                                                                    const std::vector<float>& shift) {
  const int64_t width = l.c * std::max<int64_t>(1, (kLanes * 8) / l.c);
  const int64_t rows_per_span = width / l.c, spans = l.n * l.inner / rows_per_span;
  std::vector<float> lane_shift(width);
  for (int64_t k = 0; k < width; ++k) lane_shift[k] = shift[k % l.c];
  const int64_t block = std::max<int64_t>(1, kBlock / 8), per_task = 64 * block; // spans
  const int64_t tasks = (spans + per_task - 1) / per_task;
  std::vector<double> partial((tasks + 1) * width), partial2((tasks + 1) * width);
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> acc(width), acc2(width);
    for (int64_t t = begin; t < end; ++t) {
      double* part = partial.data() + t * width;
      double* part2 = partial2.data() + t * width;
      const int64_t last = std::min(spans, (t + 1) * per_task);
      for (int64_t s0 = t * per_task; s0 < last; s0 += block) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        std::fill(acc2.begin(), acc2.end(), 0.0f);
        span_sums(x + s0 * width, std::min(last, s0 + block) - s0, width, lane_shift.data(), acc.data(), acc2.data());
        for (int64_t k = 0; k < width; ++k) part[k] += acc[k], part2[k] += acc2[k];
      }
    }
  });
  // The rows after the last whole span, one by one.
  double* tail = partial.data() + tasks * width;
  double* tail2 = partial2.data() + tasks * width;
  for (int64_t r = spans * rows_per_span; r < l.n * l.inner; ++r)
    for (int64_t ch = 0; ch < l.c; ++ch) {
      const double d = x[r * l.c + ch] - shift[ch];
      tail[ch] += d, tail2[ch] += d * d;
    }
  std::vector<double> sums(l.c), squares(l.c);
  for (int64_t t = 0; t <= tasks; ++t)
    for (int64_t k = 0; k < width; ++k) sums[k % l.c] += partial[t * width + k], squares[k % l.c] += partial2[t * width + k];
  return {sums, squares};
}

// acc[j % kLanes] += d (or d * d when squares), d = p[j] - s, for j < len (the tail goes to lane 0).
KST_VECTOR_CLONES void lane_sums(const float* p, int64_t len, float s, bool squares, float* acc) {
  int64_t j = 0;
  if (squares)
    for (; j + kLanes <= len; j += kLanes)
      for (int64_t k = 0; k < kLanes; ++k) acc[k] += (p[j + k] - s) * (p[j + k] - s);
  else
    for (; j + kLanes <= len; j += kLanes)
      for (int64_t k = 0; k < kLanes; ++k) acc[k] += p[j + k] - s;
  for (; j < len; ++j) acc[0] += squares ? (p[j] - s) * (p[j] - s) : p[j] - s;
}

// Per channel (NC(HW) memory): sum of (x - shift[c]), or of its square, over the channel's values. Float within a block
// of kBlock values, double across blocks. The sums and the squares take a pass each: one fused pass measured 1.9x
// slower here (its two sets of lanes did not vectorize as well); channels-last memory fuses them (channel_sums_cl).
std::vector<double> channel_sums(const Layout& l, const float* x, const std::vector<float>& shift, bool squares) {
  std::vector<double> out(l.c);
  at::parallel_for(0, l.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      double total = 0;
      const float s = shift[ch];
      for (int64_t i = 0; i < l.n; ++i) {
        const float* row = x + (i * l.c + ch) * l.inner;
        for (int64_t blk = 0; blk < l.inner; blk += kBlock) {
          const int64_t len = std::min(kBlock, l.inner - blk);
          float acc[kLanes] = {};
          lane_sums(row + blk, len, s, squares, acc);
          for (int64_t k = 0; k < kLanes; ++k) total += acc[k];
        }
      }
      out[ch] = total;
    }
  });
  return out;
}

// What a normalized value v makes of the target's old value: v or old + v, then ReLU when asked. The ReLU is a separate
// float operation after the sum, as clamp_min_(0) after add_ is, and lets NaN through as ATen's clamp does.
template <bool Accumulate, bool Relu>
inline __attribute__((always_inline)) float into(float old, float v) {
  const float r = Accumulate ? old + v : v;
  return Relu ? (r < 0.f ? 0.f : r) : r;
}

template <bool Accumulate, bool Relu>
inline __attribute__((always_inline)) void affine_loop(const float* px, float* po, int64_t len, const float* m,
                                                       const float* sc, const float* sh) {
  for (int64_t k = 0; k < len; ++k) po[k] = into<Accumulate, Relu>(po[k], (px[k] - m[k]) * sc[k] + sh[k]);
}

template <bool Accumulate, bool Relu>
inline __attribute__((always_inline)) void affine_row_loop(const float* px, float* po, int64_t len, float m, float s, float t) {
  for (int64_t j = 0; j < len; ++j) po[j] = into<Accumulate, Relu>(po[j], (px[j] - m) * s + t);
}

// po[k] = into(po[k], (px[k] - m[k]) * sc[k] + sh[k]) for k < len (po may be px). The loops are instantiated inside the
// cloned function so that each clone vectorizes them for its own target.
KST_VECTOR_CLONES void affine(const float* px, float* po, int64_t len, const float* m, const float* sc, const float* sh,
                              kst::Into mode) {
  if (mode.accumulate) mode.relu ? affine_loop<true, true>(px, po, len, m, sc, sh) : affine_loop<true, false>(px, po, len, m, sc, sh);
  else mode.relu ? affine_loop<false, true>(px, po, len, m, sc, sh) : affine_loop<false, false>(px, po, len, m, sc, sh);
}

// The same with one channel's m, s, t for the whole row.
KST_VECTOR_CLONES void affine_row(const float* px, float* po, int64_t len, float m, float s, float t, kst::Into mode) {
  if (mode.accumulate) mode.relu ? affine_row_loop<true, true>(px, po, len, m, s, t) : affine_row_loop<true, false>(px, po, len, m, s, t);
  else mode.relu ? affine_row_loop<false, true>(px, po, len, m, s, t) : affine_row_loop<false, false>(px, po, len, m, s, t);
}

// out = (x - mean[c]) * scale[c] + shift[c] over every value, or out += that when accumulating, then ReLU when asked (out
// may be x); subtracting before scaling keeps data far from zero from cancelling in float.
void channel_affine(const Layout& l, const float* x, const std::vector<float>& mean, const std::vector<float>& scale,
                    const std::vector<float>& shift, float* out, kst::Into mode) {
  if (l.cl) { // rows of c values, taken as spans of `rows` rows so that the inner loop is long and vectorizes
    const int64_t rows = std::max<int64_t>(1, 256 / l.c), width = rows * l.c, total = l.n * l.inner;
    std::vector<float> m(width), sc(width), sh(width);
    for (int64_t k = 0; k < width; ++k) m[k] = mean[k % l.c], sc[k] = scale[k % l.c], sh[k] = shift[k % l.c];
    at::parallel_for(0, (total + rows - 1) / rows, 16, [&](int64_t begin, int64_t end) {
      for (int64_t sp = begin; sp < end; ++sp) {
        const int64_t len = std::min(width, (total - sp * rows) * l.c);
        affine(x + sp * width, out + sp * width, len, m.data(), sc.data(), sh.data(), mode);
      }
    });
    return;
  }
  at::parallel_for(0, l.n * l.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t ch = r % l.c;
      affine_row(x + r * l.inner, out + r * l.inner, l.inner, mean[ch], scale[ch], shift[ch], mode);
    }
  });
}

// po[k] = into(po[k], px[k]) for k < len: a term added as it is.
template <bool Accumulate, bool Relu>
inline __attribute__((always_inline)) void plain_loop(const float* px, float* po, int64_t len) {
  for (int64_t k = 0; k < len; ++k) po[k] = into<Accumulate, Relu>(po[k], px[k]);
}

KST_VECTOR_CLONES void plain(const float* px, float* po, int64_t len, kst::Into mode) {
  if (mode.accumulate) mode.relu ? plain_loop<true, true>(px, po, len) : plain_loop<true, false>(px, po, len);
  else mode.relu ? plain_loop<false, true>(px, po, len) : plain_loop<false, false>(px, po, len);
}

struct Statistics {
  std::vector<float> mean, invstd;
  std::vector<double> var; // biased
  std::vector<double> exact_mean; // before rounding to float
};

Statistics batch_statistics(const Layout& l, const float* x, double eps) {
  // Shifted by each channel's first value, so that the variance of data far from zero does not cancel.
  std::vector<float> first(l.c);
  for (int64_t ch = 0; ch < l.c; ++ch) first[ch] = x[l.cl ? ch : ch * l.inner];
  const auto [sums, squares] = l.cl ? channel_sums_cl(l, x, first)
                                    : std::make_pair(channel_sums(l, x, first, false), channel_sums(l, x, first, true));
  const double count = static_cast<double>(l.n) * static_cast<double>(l.inner);
  Statistics s{std::vector<float>(l.c), std::vector<float>(l.c), std::vector<double>(l.c), std::vector<double>(l.c)};
  for (int64_t ch = 0; ch < l.c; ++ch) {
    const double m = sums[ch] / count;
    s.var[ch] = std::max(0.0, squares[ch] / count - m * m);
    s.exact_mean[ch] = first[ch] + m;
    s.mean[ch] = static_cast<float>(s.exact_mean[ch]);
    s.invstd[ch] = static_cast<float>(1.0 / std::sqrt(s.var[ch] + eps));
  }
  return s;
}

std::vector<float> values(const torch::Tensor& t, int64_t c, float fallback) {
  if (!t.defined()) return std::vector<float>(c, fallback);
  const auto v = t.detach().to(torch::kFloat).contiguous();
  return std::vector<float>(v.data_ptr<float>(), v.data_ptr<float>() + c);
}

torch::Tensor as_tensor(const std::vector<float>& v) {
  return torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kFloat).clone();
}

// target (= or +=) (x - mean) * invstd * weight + bias, then ReLU when asked; x contiguous or channels-last, target dense
// in x's layout (it may be x itself).
void normalize_into(const torch::Tensor& x, const Statistics& stats, const torch::Tensor& weight, const torch::Tensor& bias,
                    const torch::Tensor& target, kst::Into mode) {
  const Layout l(x);
  const auto w = values(weight, l.c, 1), b = values(bias, l.c, 0);
  std::vector<float> scale(l.c);
  for (int64_t ch = 0; ch < l.c; ++ch) scale[ch] = stats.invstd[ch] * w[ch];
  channel_affine(l, x.data_ptr<float>(), stats.mean, scale, b, target.data_ptr<float>(), mode);
}

// The batch's statistics of x (dense), moving the running statistics (when given) as ATen does.
Statistics batch_statistics_updating(const torch::Tensor& x, const torch::Tensor& running_mean,
                                     const torch::Tensor& running_var, double momentum, double eps) {
  const Layout l(x);
  auto stats = batch_statistics(l, x.data_ptr<float>(), eps);
  if (running_mean.defined()) {
    torch::NoGradGuard no_grad;
    const double count = static_cast<double>(l.n) * static_cast<double>(l.inner);
    std::vector<float> unbiased(l.c);
    for (int64_t ch = 0; ch < l.c; ++ch) unbiased[ch] = static_cast<float>(stats.var[ch] * count / std::max(1.0, count - 1));
    running_mean.mul_(1 - momentum).add_(as_tensor(stats.mean), momentum);
    running_var.mul_(1 - momentum).add_(as_tensor(unbiased), momentum);
  }
  return stats;
}

Statistics given_statistics(const torch::Tensor& running_mean, const torch::Tensor& running_var, int64_t c, double eps) {
  const auto mean = values(running_mean, c, 0), var = values(running_var, c, 1);
  Statistics stats{mean, std::vector<float>(c), {}, {}};
  for (int64_t ch = 0; ch < c; ++ch) stats.invstd[ch] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[ch]) + eps));
  return stats;
}
}  // namespace

namespace kst {
bool fast_batch_norm_applies(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             const torch::Tensor& running_mean, const torch::Tensor& running_var) {
  const auto wants_grad = [](const torch::Tensor& t) { return t.defined() && t.requires_grad(); };
  if (torch::GradMode::is_enabled() && (wants_grad(x) || wants_grad(weight) || wants_grad(bias))) return false;
  const auto float_cpu = [](const torch::Tensor& t) { return !t.defined() || (t.device().is_cpu() && t.scalar_type() == torch::kFloat); };
  return x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.dim() >= 2 && x.numel() > 0 &&
         x.numel() > x.size(1) && weight.defined() == bias.defined() && running_mean.defined() == running_var.defined() &&
         float_cpu(weight) && float_cpu(bias) && float_cpu(running_mean) && float_cpu(running_var) &&
         (!weight.defined() || weight.numel() == x.size(1)) && (!running_mean.defined() || running_mean.numel() == x.size(1));
}

torch::Tensor fast_batch_norm(const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var, double momentum,
                              double eps) {
  const auto x = kst::dense(input);
  auto y = torch::empty_like(x); // keeps a channels-last input's layout
  normalize_into(x, batch_statistics_updating(x, running_mean, running_var, momentum, eps), weight, bias, y, kst::Into{});
  return y;
}

bool given_statistics_applies(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var) {
  return running_mean.defined() && running_var.defined() && !running_mean.requires_grad() &&
         !running_var.requires_grad() && fast_batch_norm_applies(x, weight, bias, running_mean, running_var);
}

torch::Tensor given_statistics_batch_norm(const torch::Tensor& input, const torch::Tensor& weight,
                                          const torch::Tensor& bias, const torch::Tensor& running_mean,
                                          const torch::Tensor& running_var, double eps) {
  const auto x = kst::dense(input);
  auto y = torch::empty_like(x);
  normalize_into(x, given_statistics(running_mean, running_var, x.size(1), eps), weight, bias, y, kst::Into{});
  return y;
}

void batch_norm_into(const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
                     const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training, double momentum,
                     double eps, const torch::Tensor& target, Into mode) {
  const auto x = kst::dense(input);
  const auto stats = training ? batch_statistics_updating(x, running_mean, running_var, momentum, eps)
                              : given_statistics(running_mean, running_var, x.size(1), eps);
  normalize_into(x, stats, weight, bias, target, mode);
}

void channel_moments(const torch::Tensor& input, double* mean, double* var, int64_t channels) {
  if (!input.device().is_cpu() || input.scalar_type() != torch::kFloat || input.dim() < 2 || input.numel() == 0)
    throw kst::invalid_argument("channel_moments needs a non-empty float CPU tensor of at least 2 dimensions");
  if (input.size(1) != channels)
    throw kst::invalid_argument("channel_moments: the tensor has " + std::to_string(input.size(1)) + " channels, not " +
                                std::to_string(channels));
  const auto x = kst::dense(input);
  const auto stats = batch_statistics(Layout(x), x.data_ptr<float>(), 0);
  std::copy(stats.exact_mean.begin(), stats.exact_mean.end(), mean);
  std::copy(stats.var.begin(), stats.var.end(), var);
}
}  // namespace kst

namespace kst {
void normalized_sum(const std::vector<torch::Tensor>& terms, const std::vector<SumTerm>& kinds, double eps,
                    const torch::Tensor& target, bool relu, const torch::Tensor& relu_copy, const torch::Tensor& pooled) {
  if (terms.empty() || terms.size() != kinds.size())
    throw kst::invalid_argument("normalized_sum needs at least one term and one kind per term");
  const bool pools = std::find(kinds.begin(), kinds.end(), SumTerm::avg_pool3x3) != kinds.end();
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].sizes() != target.sizes()) throw kst::invalid_argument("normalized_sum: a term's shape differs from the target's");
    if (torch::GradMode::is_enabled() && terms[i].requires_grad())
      throw kst::invalid_argument("normalized_sum is not differentiable: call it without gradients");
    // Spans of the target are written before later terms are read there: only the first term may be the target, and
    // a pooled term reads the rows around the one being written.
    if ((i > 0 || kinds[i] == SumTerm::avg_pool3x3) && terms[i].is_same(target))
      throw kst::invalid_argument("normalized_sum: only the first term may be the target, and not when it is pooled");
  }
  if (pools && target.dim() != 4) throw kst::invalid_argument("normalized_sum: pooled terms need 4-D tensors");
  if (relu_copy.defined() && (relu_copy.sizes() != target.sizes() || relu_copy.is_same(target)))
    throw kst::invalid_argument("normalized_sum: the ReLU copy must be a second tensor of the target's shape");
  if (pooled.defined() &&
      (target.dim() != 4 || pooled.sizes() != torch::IntArrayRef({target.size(0), target.size(1), target.size(2) / 2, target.size(3) / 2}) ||
       pooled.is_same(target) || (relu_copy.defined() && pooled.is_same(relu_copy)) || pooled.device() != target.device() ||
       pooled.scalar_type() != target.scalar_type()))
    throw kst::invalid_argument("normalized_sum: the pooled output must be a tensor of its own of shape [N, C, H / 2, W / 2]");
  // Odd sides would pool as ATen does, which adds the four values in another order; no caller needs them.
  if (pooled.defined() && (target.size(2) % 2 != 0 || target.size(3) % 2 != 0))
    throw kst::invalid_argument("normalized_sum: a pooled output needs even sides");
  // Every term (the first included) in the target's layout, with more than one value per channel.
  const bool fast = std::all_of(terms.begin(), terms.end(), [&](const torch::Tensor& t) {
    return fast_batch_norm_applies(t, {}, {}, {}, {}) && direct_target(t, target);
  }) && (!relu_copy.defined() || direct_target(target, relu_copy)) &&
                    (!pooled.defined() || (channels_last_4d(target) ? channels_last_4d(pooled) : pooled.is_contiguous()));
  if (!fast) { // a layout the kernel does not read: ATen's operations, the same sum
    torch::Tensor sum;
    for (size_t i = 0; i < terms.size(); ++i) {
      const auto t = kinds[i] == SumTerm::normalized ? torch::batch_norm(terms[i], {}, {}, {}, {}, true, 0.1, eps, false)
                     : kinds[i] == SumTerm::avg_pool3x3 ? torch::avg_pool2d(terms[i], 3, 1, 1, false, false)
                                                       : terms[i];
      sum = i == 0 ? t.clone() : sum.add_(t);
    }
    if (pooled.defined()) pooled.copy_(torch::avg_pool2d(sum, 2, 2));
    if (relu_copy.defined()) relu_copy.copy_(sum.clamp_min(0));
    else if (relu) sum.clamp_min_(0);
    target.copy_(sum);
    return;
  }
  const Layout l(target);
  // Channels-last images are pooled one by one as the pass reaches them (into a buffer that stays in cache); NCHW pools
  // each pooled term whole first. The pooled output is pooled from each image (NCHW: plane) of the sum while it is in
  // cache, before its ReLU.
  const bool pool_images = pools && l.cl, by_image = l.cl && (pools || pooled.defined());
  struct Term {
    const float* x;
    SumTerm kind;
    torch::Tensor pooled; // NCHW: the pooled term, added as it is
    std::vector<float> mean, scale; // per channel (NCHW) or per position of a span (channels-last)
  };
  const int64_t h = target.dim() == 4 ? target.size(2) : 1, w = target.dim() == 4 ? target.size(3) : 1, image = h * w * l.c;
  // Channels-last spans: `rows` positions (rows * c values), so that the inner loops are long.
  const int64_t rows = l.cl ? std::max<int64_t>(1, 1024 / l.c) : 0, width = rows * l.c;
  const std::vector<float> no_shift(l.cl ? width : 0, 0.0f); // the terms are non-affine: no shift after scaling
  std::vector<Term> parts;
  for (size_t i = 0; i < terms.size(); ++i) {
    const auto x = kst::dense(terms[i]);
    Term t{x.data_ptr<float>(), kinds[i], {}, {}, {}};
    if (t.kind == SumTerm::normalized) {
      const auto s = batch_statistics(Layout(x), t.x, eps);
      const int64_t n = l.cl ? width : l.c;
      t.mean.resize(n), t.scale.resize(n);
      for (int64_t k = 0; k < n; ++k) t.mean[k] = s.mean[k % l.c], t.scale[k] = s.invstd[k % l.c];
    } else if (t.kind == SumTerm::avg_pool3x3 && !pool_images) {
      t.pooled = direct_avg_pool3x3(x, false);
      t.x = t.pooled.data_ptr<float>();
      t.kind = SumTerm::as_is;
    }
    parts.push_back(std::move(t));
  }
  std::vector<float> row_scale, col;
  if (pool_images) avg_pool3x3_scales(l.c, h, w, row_scale, col);
  float* out = target.data_ptr<float>();
  float* copy = relu_copy.defined() ? relu_copy.data_ptr<float>() : nullptr;
  float* pool2 = pooled.defined() ? pooled.data_ptr<float>() : nullptr;
  // The ReLU (in place, or into the copy) of values already summed: after the 2x2 pooling has read them.
  const auto finish = [&](int64_t offset, int64_t len) {
    if (copy != nullptr) plain(out + offset, copy + offset, len, kst::Into{false, true});
    else if (relu) plain(out + offset, out + offset, len, kst::Into{false, true});
  };
  // One span: every term in order into the target's span while it is in cache, then the ReLU (unless the span is to be
  // pooled first). A 3x3-pooled term is read from its pooled image, `pooled3` (offset - base into it).
  const auto span = [&](int64_t offset, int64_t len, int64_t ch, const float* pooled3, int64_t base) {
    const bool relu_last = relu && copy == nullptr && pool2 == nullptr;
    for (size_t t = 0; t < parts.size(); ++t) {
      const auto& p = parts[t];
      const kst::Into mode{t > 0, relu_last && t + 1 == parts.size()};
      if (p.kind == SumTerm::avg_pool3x3) plain(pooled3 + t * image + (offset - base), out + offset, len, mode);
      else if (p.kind == SumTerm::as_is) plain(p.x + offset, out + offset, len, mode);
      else if (l.cl) affine(p.x + offset, out + offset, len, p.mean.data(), p.scale.data(), no_shift.data(), mode);
      else affine_row(p.x + offset, out + offset, len, p.mean[ch], p.scale[ch], 0.0f, mode);
    }
    if (pool2 == nullptr && copy != nullptr) finish(offset, len);
  };
  if (by_image) { // image by image: its 3x3-pooled terms first, then the spans of the image, then its 2x2 pooling
    at::parallel_for(0, l.n, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> sums(pool_images ? 3 * w * l.c : 0), pooled3(pool_images ? parts.size() * image : 0);
      for (int64_t img = begin; img < end; ++img) {
        const int64_t base = img * image;
        for (size_t t = 0; t < parts.size(); ++t)
          if (parts[t].kind == SumTerm::avg_pool3x3)
            avg_pool3x3_image(parts[t].x + base, pooled3.data() + t * image, l.c, h, w, row_scale.data(), col.data(), sums.data());
        for (int64_t at = 0; at < image; at += width) span(base + at, std::min(width, image - at), 0, pooled3.data(), base);
        if (pool2 != nullptr) {
          avg_pool2x2_image(out + base, pool2 + img * (h / 2) * (w / 2) * l.c, l.c, h, w);
          finish(base, image);
        }
      }
    });
  } else if (l.cl) {
    const int64_t total = l.n * l.inner;
    at::parallel_for(0, (total + rows - 1) / rows, 4, [&](int64_t begin, int64_t end) {
      for (int64_t sp = begin; sp < end; ++sp) span(sp * width, std::min(width, (total - sp * rows) * l.c), 0, nullptr, 0);
    });
  } else { // NCHW: plane by plane
    at::parallel_for(0, l.n * l.c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        span(r * l.inner, l.inner, r % l.c, nullptr, 0);
        if (pool2 != nullptr) {
          avg_pool2x2_image(out + r * l.inner, pool2 + r * (h / 2) * (w / 2), 1, h, w);
          finish(r * l.inner, l.inner);
        }
      }
    });
  }
}
}  // namespace kst
