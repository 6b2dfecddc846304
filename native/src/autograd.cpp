// Autograd: requires_grad flags, backward, gradient access and the thread-local grad mode.
#include "kst_autograd.h"

KST_API kst_status kst_set_requires_grad(kst_tensor t, int32_t value) {
  return kst::guard([&] { kst::get(t).set_requires_grad(value != 0); });
}

KST_API kst_status kst_requires_grad(kst_tensor t, int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::get(t).requires_grad() ? 1 : 0;
  });
}

// grad may be null (scalar output); retain_graph keeps the graph for a second backward.
KST_API kst_status kst_backward(kst_tensor t, kst_tensor grad, int32_t retain_graph) {
  return kst::guard([&] {
    torch::Tensor g = grad == nullptr ? torch::Tensor() : *grad;
    kst::get(t).backward(g, retain_graph != 0 ? c10::optional<bool>(true) : c10::nullopt);
  });
}

// *out is null when the tensor has no gradient yet.
KST_API kst_status kst_grad(kst_tensor t, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    const auto& g = kst::get(t).grad();
    *out = g.defined() ? kst::wrap(g) : nullptr;
  });
}

KST_API kst_status kst_set_grad_enabled(int32_t enabled, int32_t* previous) {
  return kst::guard([&] {
    kst::check_out(previous);
    *previous = c10::GradMode::is_enabled() ? 1 : 0;
    c10::GradMode::set_enabled(enabled != 0);
  });
}

KST_API kst_status kst_grad_enabled(int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = c10::GradMode::is_enabled() ? 1 : 0;
  });
}
