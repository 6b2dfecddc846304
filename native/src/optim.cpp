// Fused optimizer steps over a parameter list: one native call per step instead of several per
// parameter. Momentum and RMSProp state live in buffer lists owned by the caller, so several buffer
// sets (momentum separation) can serve one parameter list.
#include "kst_optim.h"

#include <cmath>

namespace {
// What to do with a parameter that got no gradient in this step (not on the sampled path).
enum Untouched : int32_t { kSkip = 0, kUpdateWithZeroGrad = 1 };
}  // namespace

// buffers[i] may be null only when momentum == 0.
KST_API kst_status kst_sgd_step(const kst_tensor* params, const kst_tensor* buffers, int32_t n, double lr,
                                double momentum, double weight_decay, int32_t nesterov, int32_t untouched) {
  return kst::guard([&] {
    if (n < 0 || (n > 0 && params == nullptr)) throw kst::invalid_argument("bad parameter array");
    if (momentum != 0 && buffers == nullptr) throw kst::invalid_argument("momentum needs buffers");
    torch::NoGradGuard no_grad;
    for (int32_t i = 0; i < n; ++i) {
      auto p = kst::get(params[i], "parameter");
      const auto& g = p.grad();
      torch::Tensor d;
      if (g.defined()) {
        d = weight_decay != 0 ? g.add(p, weight_decay) : g;
      } else if (untouched == kUpdateWithZeroGrad) {
        d = p.mul(weight_decay);
      } else {
        continue;
      }
      if (momentum != 0) {
        auto buf = kst::get(buffers[i], "momentum buffer");
        buf.mul_(momentum).add_(d);
        if (nesterov)
          p.add_(d.add(buf, momentum), -lr);
        else
          p.add_(buf, -lr);
      } else {
        p.add_(d, -lr);
      }
    }
  });
}

// PyTorch's RMSprop: v = alpha v + (1-alpha) g^2; step = g / (sqrt(v) + eps) (or sqrt(v + eps) when
// eps_inside, TensorFlow's form); with momentum: b = mu b + step; p -= lr b.
KST_API kst_status kst_rmsprop_step(const kst_tensor* params, const kst_tensor* square_avg, const kst_tensor* momentum_buf,
                                    int32_t n, double lr, double alpha, double eps, double momentum,
                                    double weight_decay, int32_t eps_inside) {
  return kst::guard([&] {
    torch::NoGradGuard no_grad;
    for (int32_t i = 0; i < n; ++i) {
      auto p = kst::get(params[i], "parameter");
      const auto& g0 = p.grad();
      if (!g0.defined()) continue;
      auto g = weight_decay != 0 ? g0.add(p, weight_decay) : g0;
      auto v = kst::get(square_avg[i], "square average");
      v.mul_(alpha).addcmul_(g, g, 1 - alpha);
      auto denom = eps_inside ? v.add(eps).sqrt_() : v.sqrt().add_(eps);
      if (momentum > 0) {
        auto b = kst::get(momentum_buf[i], "momentum buffer");
        b.mul_(momentum).addcdiv_(g, denom);
        p.add_(b, -lr);
      } else {
        p.addcdiv_(g, denom, -lr);
      }
    }
  });
}

// Scales all gradients so that their global L2 norm is at most max_norm; reports the norm before.
KST_API kst_status kst_clip_grad_norm(const kst_tensor* params, int32_t n, double max_norm, double* total_norm) {
  return kst::guard([&] {
    kst::check_out(total_norm);
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> grads;
    for (int32_t i = 0; i < n; ++i) {
      const auto& g = kst::get(params[i], "parameter").grad();
      if (g.defined()) grads.push_back(g);
    }
    if (grads.empty()) {
      *total_norm = 0;
      return;
    }
    std::vector<torch::Tensor> norms;
    norms.reserve(grads.size());
    for (auto& g : grads) norms.push_back(g.norm(2));
    double total = torch::stack(norms).norm(2).item<double>();
    *total_norm = total;
    double coef = max_norm / (total + 1e-6);
    if (coef < 1)
      for (auto& g : grads) g.mul_(coef);
  });
}

// set_to_none semantics: the next backward allocates fresh gradients; untouched weights stay gradient-free.
KST_API kst_status kst_zero_grad(const kst_tensor* params, int32_t n) {
  return kst::guard([&] {
    for (int32_t i = 0; i < n; ++i) kst::get(params[i], "parameter").mutable_grad().reset();
  });
}

// Exponential moving average of weights: ema = decay * ema + (1 - decay) * p.
KST_API kst_status kst_ema_update(const kst_tensor* ema, const kst_tensor* params, int32_t n, double decay) {
  return kst::guard([&] {
    torch::NoGradGuard no_grad;
    for (int32_t i = 0; i < n; ++i) {
      auto e = kst::get(ema[i], "ema tensor");
      e.mul_(decay).add_(kst::get(params[i], "parameter").detach(), 1 - decay);
    }
  });
}
