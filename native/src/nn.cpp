// Neural-network functions: convolution, batch norm, linear, pooling, activations, losses, init.
#include "kst_nn.h"

namespace {
const torch::Tensor kUndefined;
const torch::Tensor& optional(kst_tensor h) { return h == nullptr ? kUndefined : *h; }
}  // namespace

KST_API kst_status kst_conv2d(kst_tensor input, kst_tensor weight, kst_tensor bias, int64_t stride_h, int64_t stride_w,
                              int64_t pad_h, int64_t pad_w, int64_t dilation, int64_t groups, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::conv2d(kst::get(input, "input"), kst::get(weight, "weight"), optional(bias),
                                   {stride_h, stride_w}, {pad_h, pad_w}, {dilation, dilation}, groups));
  });
}

// weight/bias/running stats may be null (non-affine BN, or BN that always uses batch statistics).
KST_API kst_status kst_batch_norm(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor running_mean,
                                  kst_tensor running_var, int32_t training, double momentum, double eps,
                                  kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    if (!training && (running_mean == nullptr || running_var == nullptr))
      throw kst::invalid_argument("batch_norm in eval mode needs running statistics");
    *out = kst::wrap(torch::batch_norm(kst::get(input, "input"), optional(weight), optional(bias),
                                       optional(running_mean), optional(running_var), training != 0, momentum, eps,
                                       /*cudnn_enabled=*/true));
  });
}

KST_API kst_status kst_linear(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::linear(kst::get(input, "input"), kst::get(weight, "weight"), optional(bias)));
  });
}

// kind: 0 average (count_include_pad as given), 1 max.
KST_API kst_status kst_pool2d(int32_t kind, kst_tensor input, int64_t kernel, int64_t stride, int64_t padding,
                              int32_t count_include_pad, int32_t ceil_mode, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    const auto& x = kst::get(input, "input");
    if (kind == 0)
      *out = kst::wrap(torch::avg_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, ceil_mode != 0,
                                         count_include_pad != 0));
    else if (kind == 1)
      *out = kst::wrap(torch::max_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, {1, 1},
                                         ceil_mode != 0));
    else
      throw kst::invalid_argument("unknown pooling kind " + std::to_string(kind));
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
