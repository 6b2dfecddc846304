// Element-wise arithmetic, comparisons, reductions and shape operations. Ops are grouped by arity
// with a small op code so the ABI stays regular; the codes mirror enums on the managed side.
#include "kst_math.h"

namespace {

torch::Tensor unary(int32_t op, const torch::Tensor& a) {
  switch (op) {
    case 0: return torch::relu(a);
    case 1: return torch::hardtanh(a, 0.0, 6.0);  // relu6
    case 2: return torch::neg(a);
    case 3: return torch::exp(a);
    case 4: return torch::log(a);
    case 5: return torch::sqrt(a);
    case 6: return torch::abs(a);
    case 7: return torch::sigmoid(a);
    case 8: return torch::tanh(a);
    case 9: return torch::square(a);
    case 10: return torch::logical_not(a);
    default: throw kst::invalid_argument("unknown unary op " + std::to_string(op));
  }
}

torch::Tensor binary(int32_t op, const torch::Tensor& a, const torch::Tensor& b) {
  switch (op) {
    case 0: return torch::add(a, b);
    case 1: return torch::sub(a, b);
    case 2: return torch::mul(a, b);
    case 3: return torch::div(a, b);
    case 4: return torch::eq(a, b);
    case 5: return torch::ne(a, b);
    case 6: return torch::lt(a, b);
    case 7: return torch::le(a, b);
    case 8: return torch::gt(a, b);
    case 9: return torch::ge(a, b);
    case 10: return torch::maximum(a, b);
    case 11: return torch::minimum(a, b);
    case 12: return torch::pow(a, b);
    case 13: return torch::matmul(a, b);
    default: throw kst::invalid_argument("unknown binary op " + std::to_string(op));
  }
}

torch::Tensor binary_scalar(int32_t op, const torch::Tensor& a, double s) {
  switch (op) {
    case 0: return torch::add(a, s);
    case 1: return torch::sub(a, s);
    case 2: return torch::mul(a, s);
    case 3: return torch::div(a, s);
    case 4: return torch::eq(a, s);
    case 5: return torch::ne(a, s);
    case 6: return torch::lt(a, s);
    case 7: return torch::le(a, s);
    case 8: return torch::gt(a, s);
    case 9: return torch::ge(a, s);
    case 10: return torch::clamp_min(a, s);
    case 11: return torch::clamp_max(a, s);
    case 12: return torch::pow(a, s);
    default: throw kst::invalid_argument("unknown scalar op " + std::to_string(op));
  }
}

}  // namespace

KST_API kst_status kst_unary(int32_t op, kst_tensor a, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(unary(op, kst::get(a)));
  });
}

KST_API kst_status kst_binary(int32_t op, kst_tensor a, kst_tensor b, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(binary(op, kst::get(a), kst::get(b)));
  });
}

KST_API kst_status kst_binary_scalar(int32_t op, kst_tensor a, double s, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(binary_scalar(op, kst::get(a), s));
  });
}

// In-place: 0 add_(b * alpha), 1 sub_(b * alpha), 2 mul_(b), 3 div_(b), 4 copy_(b).
KST_API kst_status kst_inplace(int32_t op, kst_tensor a, kst_tensor b, double alpha) {
  return kst::guard([&] {
    auto x = kst::get(a);
    const auto& y = kst::get(b);
    switch (op) {
      case 0: x.add_(y, alpha); break;
      case 1: x.sub_(y, alpha); break;
      case 2: x.mul_(y); break;
      case 3: x.div_(y); break;
      case 4: x.copy_(y); break;
      default: throw kst::invalid_argument("unknown in-place op " + std::to_string(op));
    }
  });
}

// In-place with a scalar: 0 add_, 1 sub_, 2 mul_, 3 div_, 4 fill_, 5 zero_, 6 clamp_min_, 7 clamp_max_.
KST_API kst_status kst_inplace_scalar(int32_t op, kst_tensor a, double s) {
  return kst::guard([&] {
    auto x = kst::get(a);
    switch (op) {
      case 0: x.add_(s); break;
      case 1: x.sub_(s); break;
      case 2: x.mul_(s); break;
      case 3: x.div_(s); break;
      case 4: x.fill_(s); break;
      case 5: x.zero_(); break;
      case 6: x.clamp_min_(s); break;
      case 7: x.clamp_max_(s); break;
      default: throw kst::invalid_argument("unknown in-place scalar op " + std::to_string(op));
    }
  });
}

// Reductions over dims (ndims == 0: all elements): 0 sum, 1 mean, 2 amax, 3 amin, 4 var (unbiased), 5 std.
KST_API kst_status kst_reduce(int32_t op, kst_tensor a, const int64_t* dims, int32_t ndims, int32_t keepdim,
                              kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    const auto& x = kst::get(a);
    auto d = kst::vec(dims, ndims);
    bool all = ndims == 0;
    bool kd = keepdim != 0;
    switch (op) {
      case 0: *out = kst::wrap(all ? x.sum() : x.sum(d, kd)); break;
      case 1: *out = kst::wrap(all ? x.mean() : x.mean(d, kd)); break;
      case 2: *out = kst::wrap(all ? x.amax(c10::IntArrayRef{}, false) : x.amax(d, kd)); break;
      case 3: *out = kst::wrap(all ? x.amin(c10::IntArrayRef{}, false) : x.amin(d, kd)); break;
      case 4: *out = kst::wrap(all ? x.var() : x.var(d, true, kd)); break;
      case 5: *out = kst::wrap(all ? x.std() : x.std(d, true, kd)); break;
      default: throw kst::invalid_argument("unknown reduction " + std::to_string(op));
    }
  });
}

KST_API kst_status kst_argmax(kst_tensor a, int64_t dim, int32_t keepdim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).argmax(dim, keepdim != 0));
  });
}

KST_API kst_status kst_reshape(kst_tensor a, const int64_t* shape, int32_t ndim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).reshape(kst::vec(shape, ndim)));
  });
}

KST_API kst_status kst_permute(kst_tensor a, const int64_t* dims, int32_t ndim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).permute(kst::vec(dims, ndim)));
  });
}

KST_API kst_status kst_flatten(kst_tensor a, int64_t start, int64_t end, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).flatten(start, end));
  });
}

// A view of `length` entries of `dim` starting at `start` (channel slicing for width search).
KST_API kst_status kst_narrow(kst_tensor a, int64_t dim, int64_t start, int64_t length, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).narrow(dim, start, length));
  });
}

KST_API kst_status kst_unsqueeze(kst_tensor a, int64_t dim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).unsqueeze(dim));
  });
}

KST_API kst_status kst_cat(const kst_tensor* ts, int32_t n, int64_t dim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::cat(kst::tensors(ts, n), dim));
  });
}

KST_API kst_status kst_stack(const kst_tensor* ts, int32_t n, int64_t dim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::stack(kst::tensors(ts, n), dim));
  });
}

KST_API kst_status kst_index_select(kst_tensor a, int64_t dim, kst_tensor index, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(a).index_select(dim, kst::get(index, "index")));
  });
}

KST_API kst_status kst_where(kst_tensor cond, kst_tensor a, kst_tensor b, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::where(kst::get(cond, "condition"), kst::get(a), kst::get(b)));
  });
}

KST_API kst_status kst_allclose(kst_tensor a, kst_tensor b, double rtol, double atol, int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = torch::allclose(kst::get(a), kst::get(b), rtol, atol) ? 1 : 0;
  });
}
