// Neural-network functions: convolution, batch norm, linear, pooling, activations, losses, init.
#include "kst_nn.h"

#include "batch_norm.h"
#include "memory_format.h"
#include "pooling.h"

namespace {
const torch::Tensor kUndefined;
const torch::Tensor& optional(kst_tensor h) { return h == nullptr ? kUndefined : *h; }

// 1 / (number of in-image taps) of a 3x3 window at every position of an h x w map: 9 inside, 6 on edges, 4 in corners.
torch::Tensor inverse_tap_counts(int64_t h, int64_t w, const torch::TensorOptions& options) {
  auto along = [&](int64_t n) {
    auto c = torch::full({n}, 3.0, options);
    c.narrow(0, 0, 1).sub_(1);
    c.narrow(0, n - 1, 1).sub_(1);
    return c;
  };
  return torch::outer(along(h), along(w)).reciprocal_().view({1, 1, h, w});
}

// A channels-last copy of a 4-D tensor, or the tensor when it is one. contiguous(ChannelsLast) is not enough: with one
// channel both layouts count as contiguous, it keeps NCHW strides, and the convolution's output then stays NCHW.
torch::Tensor to_channels_last(const torch::Tensor& t) {
  if (kst::channels_last_4d(t)) return t;
  auto copy = torch::empty(t.sizes(), t.options().memory_format(at::MemoryFormat::ChannelsLast));
  return copy.copy_(t);
}

// 3x3 stride-1 average pooling (padding 1) as a separable box sum: pad once, three shifted adds per axis, one multiply.
// Why: libtorch 1.13's CPU avg_pool2d took 13.5 ms on a 256 x 8 x 28 x 28 chunk, 3.6x a 3x3 convolution of it, and
// this 1.9 ms (docs/benchmarks.md). These are a few elementwise passes, autograd differentiates them, and the result
// differs from ATen's kernel by rounding only.
torch::Tensor box_avg_pool3x3(const torch::Tensor& x, bool count_include_pad) {
  const auto h = x.size(2), w = x.size(3);
  const auto padded = torch::constant_pad_nd(x, {1, 1, 1, 1});
  auto rows = padded.narrow(3, 0, w) + padded.narrow(3, 1, w);
  rows.add_(padded.narrow(3, 2, w));
  auto sum = rows.narrow(2, 0, h) + rows.narrow(2, 1, h);
  sum.add_(rows.narrow(2, 2, h));
  return count_include_pad ? sum.mul_(1.0 / 9) : sum.mul_(inverse_tap_counts(h, w, x.options()));
}

// 2x2 stride-2 average pooling (padding 0, even sides) as strided adds of the four taps, for the same reason:
// ATen's kernel took 2.6 ms on a 256 x 8 x 28 x 28 chunk (about 0.7 of a 3x3 convolution), this 0.45 ms.
torch::Tensor quad_avg_pool2x2(const torch::Tensor& x) {
  const auto h = x.size(2), w = x.size(3);
  auto cols = x.slice(3, 0, w, 2) + x.slice(3, 1, w, 2);
  auto sum = cols.slice(2, 0, h, 2) + cols.slice(2, 1, h, 2);
  return sum.mul_(0.25);
}
}  // namespace

KST_API kst_status kst_conv2d(kst_tensor input, kst_tensor weight, kst_tensor bias, int64_t stride_h, int64_t stride_w,
                              int64_t pad_h, int64_t pad_w, int64_t dilation, int64_t groups, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    const auto& x = kst::get(input, "input");
    const auto& w = kst::get(weight, "weight");
    // Without a gradient, channels-last: oneDNN then skips converting the input and output to its blocked layout and
    // back on every call (1x1 convolutions 2-3x faster, 3x3 on 8-16 channels about 20 %; docs/benchmarks.md), and the
    // shim's own batch norm and pooling keep that layout. Training keeps NCHW, where libtorch's kernels are tuned.
    const bool cl = x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
                    (!torch::GradMode::is_enabled() || !(x.requires_grad() || w.requires_grad() ||
                                                          (bias != nullptr && bias->requires_grad())));
    *out = kst::wrap(torch::conv2d(cl ? to_channels_last(x) : x, cl ? to_channels_last(w) : w, optional(bias),
                                   {stride_h, stride_w}, {pad_h, pad_w}, {dilation, dilation}, groups));
  });
}

namespace {
void check_batch_norm(int32_t training, kst_tensor running_mean, kst_tensor running_var) {
  if (!training && (running_mean == nullptr || running_var == nullptr))
    throw kst::invalid_argument("batch_norm in eval mode needs running statistics");
}

// The shim's one-pass kernels when they serve the call (no gradient wanted), else ATen's differentiable batch norm.
torch::Tensor batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                         const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
                         double momentum, double eps) {
  if (training && kst::fast_batch_norm_applies(x, weight, bias, running_mean, running_var))
    return kst::fast_batch_norm(x, weight, bias, running_mean, running_var, momentum, eps);
  if (!training && kst::given_statistics_applies(x, weight, bias, running_mean, running_var))
    return kst::given_statistics_batch_norm(x, weight, bias, running_mean, running_var, eps);
  return torch::batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps, /*cudnn_enabled=*/true);
}
}  // namespace

// weight/bias/running stats may be null (non-affine BN, or BN that always uses batch statistics); see kst_nn.h.
KST_API kst_status kst_batch_norm(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor running_mean,
                                  kst_tensor running_var, int32_t training, double momentum, double eps,
                                  kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    check_batch_norm(training, running_mean, running_var);
    *out = kst::wrap(batch_norm(kst::get(input, "input"), optional(weight), optional(bias), optional(running_mean),
                                optional(running_var), training != 0, momentum, eps));
  });
}

KST_API kst_status kst_batch_norm_into(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor running_mean,
                                       kst_tensor running_var, int32_t training, double momentum, double eps,
                                       kst_tensor target, int32_t accumulate, int32_t relu) {
  return kst::guard([&] {
    check_batch_norm(training, running_mean, running_var);
    const auto& x = kst::get(input, "input");
    const auto& t = kst::get(target, "target");
    if (t.sizes() != x.sizes()) throw kst::invalid_argument("batch_norm_into: the target's shape differs from the input's");
    const auto w = optional(weight), b = optional(bias), rm = optional(running_mean), rv = optional(running_var);
    const bool one_pass = training ? kst::fast_batch_norm_applies(x, w, b, rm, rv) : kst::given_statistics_applies(x, w, b, rm, rv);
    if (one_pass && kst::direct_target(x, t)) {
      kst::batch_norm_into(x, w, b, rm, rv, training != 0, momentum, eps, t, kst::Into{accumulate != 0, relu != 0});
      return;
    }
    const auto y = batch_norm(x, w, b, rm, rv, training != 0, momentum, eps);
    if (accumulate) t.add_(y);
    else t.copy_(y);
    if (relu) t.relu_();
  });
}

KST_API kst_status kst_normalized_sum(const kst_tensor* terms, const int32_t* kinds, int32_t count, double eps,
                                     kst_tensor target, int32_t relu, kst_tensor relu_copy, kst_tensor* pooled) {
  return kst::guard([&] {
    if (terms == nullptr || kinds == nullptr || count < 1)
      throw kst::invalid_argument("normalized_sum needs at least one term and its kind");
    std::vector<torch::Tensor> xs;
    std::vector<kst::SumTerm> ks;
    for (int32_t i = 0; i < count; ++i) {
      if (kinds[i] < 0 || kinds[i] > 2) throw kst::invalid_argument("normalized_sum: a term's kind is 0, 1 or 2");
      xs.push_back(kst::get(terms[i], "term"));
      ks.push_back(static_cast<kst::SumTerm>(kinds[i]));
    }
    const auto t = kst::get(target, "target");
    torch::Tensor pool2;
    if (pooled != nullptr) {
      if (t.dim() != 4) throw kst::invalid_argument("normalized_sum: a pooled output needs a 4-D target");
      const auto format = kst::channels_last_4d(t) ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
      pool2 = torch::empty({t.size(0), t.size(1), t.size(2) / 2, t.size(3) / 2}, t.options().memory_format(format));
    }
    kst::normalized_sum(xs, ks, eps, t, relu != 0, optional(relu_copy), pool2);
    if (pooled != nullptr) *pooled = kst::wrap(pool2);
  });
}

KST_API kst_status kst_channel_moments(kst_tensor input, double* mean, double* var, int64_t channels) {
  return kst::guard([&] {
    if (mean == nullptr || var == nullptr) throw kst::invalid_argument("channel_moments needs mean and var buffers");
    kst::channel_moments(kst::get(input, "input"), mean, var, channels);
  });
}

KST_API kst_status kst_linear(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::linear(kst::get(input, "input"), kst::get(weight, "weight"), optional(bias)));
  });
}

namespace {
// 3x3 stride 1 padding 1 average pooling of a 4-D floating tensor: the box sum, or pooling.cpp's one-pass kernel.
bool is_box(int32_t kind, const torch::Tensor& x, int64_t kernel, int64_t stride, int64_t padding, int32_t ceil_mode) {
  return kind == 0 && kernel == 3 && stride == 1 && padding == 1 && ceil_mode == 0 && x.dim() == 4 && x.is_floating_point();
}

torch::Tensor pool2d(int32_t kind, const torch::Tensor& x, int64_t kernel, int64_t stride, int64_t padding,
                     int32_t count_include_pad, int32_t ceil_mode) {
  const bool box = is_box(kind, x, kernel, stride, padding, ceil_mode);
  const bool quad = kind == 0 && kernel == 2 && stride == 2 && padding == 0 && x.dim() == 4 &&
                    x.is_floating_point() && x.size(2) % 2 == 0 && x.size(3) % 2 == 0;
  if ((box || quad) && kst::direct_pooling_applies(x))  // no gradient wanted: one pass (pooling.cpp)
    return box ? kst::direct_avg_pool3x3(x, count_include_pad != 0) : kst::direct_avg_pool2x2(x);
  if (box) return box_avg_pool3x3(x, count_include_pad != 0);
  if (quad) return quad_avg_pool2x2(x);
  if (kind == 0 || kind == 2)
    return torch::avg_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, ceil_mode != 0, count_include_pad != 0);
  if (kind == 1) return torch::max_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, {1, 1}, ceil_mode != 0);
  throw kst::invalid_argument("unknown pooling kind " + std::to_string(kind));
}
}  // namespace

// kind: 0 average (count_include_pad as given; on a 4-D floating tensor, 3x3 stride 1 padding 1 takes the box sum and
// 2x2 stride 2 on even sides the four-tap sum, or pooling.cpp's one-pass kernels when no gradient is wanted),
// 1 max, 2 average through ATen's own kernel always (the reference the box sum is tested and timed against).
KST_API kst_status kst_pool2d(int32_t kind, kst_tensor input, int64_t kernel, int64_t stride, int64_t padding,
                              int32_t count_include_pad, int32_t ceil_mode, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(pool2d(kind, kst::get(input, "input"), kernel, stride, padding, count_include_pad, ceil_mode));
  });
}

KST_API kst_status kst_avg_pool2d_add_(kst_tensor target, kst_tensor input, int64_t kernel, int64_t stride,
                                       int64_t padding, int32_t count_include_pad) {
  return kst::guard([&] {
    const auto& x = kst::get(input, "input");
    const auto& t = kst::get(target, "target");
    if (is_box(0, x, kernel, stride, padding, 0) && kst::direct_pooling_applies(x) && kst::direct_target(x, t)) {
      kst::direct_avg_pool3x3_add(x, count_include_pad != 0, t);
      return;
    }
    const auto y = pool2d(0, x, kernel, stride, padding, count_include_pad, 0);
    if (t.sizes() != y.sizes()) throw kst::invalid_argument("avg_pool2d_add_: the target's shape differs from the pooled input's");
    t.add_(y);
  });
}

KST_API kst_status kst_adaptive_avg_pool2d(kst_tensor input, int64_t out_h, int64_t out_w, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::adaptive_avg_pool2d(kst::get(input, "input"), {out_h, out_w}));
  });
}

// kind: 0 softmax, 1 log_softmax.
KST_API kst_status kst_softmax(int32_t kind, kst_tensor input, int64_t dim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    const auto& x = kst::get(input, "input");
    *out = kst::wrap(kind == 0 ? torch::softmax(x, dim) : torch::log_softmax(x, dim));
  });
}

// reduction: 0 none, 1 mean, 2 sum (torch::Reduction order).
KST_API kst_status kst_cross_entropy(kst_tensor logits, kst_tensor target, double label_smoothing, int32_t reduction,
                                     kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    if (reduction < 0 || reduction > 2) throw kst::invalid_argument("unknown reduction " + std::to_string(reduction));
    *out = kst::wrap(torch::cross_entropy_loss(kst::get(logits, "logits"), kst::get(target, "target"), {}, reduction,
                                               -100, label_smoothing));
  });
}

KST_API kst_status kst_dropout(kst_tensor input, double p, int32_t training, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::dropout(kst::get(input, "input"), p, training != 0));
  });
}

// In-place random init under no-grad: 0 uniform_(a, b), 1 normal_(mean a, std b).
KST_API kst_status kst_init_(int32_t kind, kst_tensor t, double a, double b) {
  return kst::guard([&] {
    torch::NoGradGuard no_grad;
    auto x = kst::get(t);
    if (kind == 0)
      x.uniform_(a, b);
    else if (kind == 1)
      x.normal_(a, b);
    else
      throw kst::invalid_argument("unknown init kind " + std::to_string(kind));
  });
}
