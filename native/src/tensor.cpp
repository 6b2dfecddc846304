// Tensor lifetime, metadata, creation from and copying to host memory.
#include "kst_tensor.h"

#include <cstring>

namespace {
torch::TensorOptions options(int32_t dtype, int32_t device_type, int32_t device_index) {
  return torch::TensorOptions().dtype(kst::to_scalar_type(dtype)).device(kst::to_device(device_type, device_index));
}
}  // namespace

KST_API kst_status kst_tensor_free(kst_tensor t) {
  return kst::guard([&] {
    if (t == nullptr) return;
    delete t;
    kst::live_tensor_count().fetch_sub(1, std::memory_order_relaxed);
  });
}

// Copies host memory into a new tensor (one copy: the tensor must own its storage).
KST_API kst_status kst_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int32_t ndim,
                                        int32_t dtype, int32_t device_type, int32_t device_index, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    auto cpu = torch::empty(kst::vec(shape, ndim), options(dtype, 0, 0));
    int64_t expected = cpu.numel() * static_cast<int64_t>(cpu.element_size());
    if (nbytes != expected)
      throw kst::invalid_argument("data has " + std::to_string(nbytes) + " bytes, shape needs " + std::to_string(expected));
    if (expected > 0) {
      if (data == nullptr) throw kst::invalid_argument("null data pointer");
      std::memcpy(cpu.data_ptr(), data, static_cast<size_t>(expected));
    }
    *out = kst::wrap(device_type == 0 ? cpu : cpu.to(kst::to_device(device_type, device_index)));
  });
}

KST_API kst_status kst_tensor_copy_to(kst_tensor t, void* dst, int64_t nbytes) {
  return kst::guard([&] {
    auto c = kst::get(t).detach().to(torch::kCPU).contiguous();
    int64_t size = c.numel() * static_cast<int64_t>(c.element_size());
    if (nbytes != size)
      throw kst::invalid_argument("destination has " + std::to_string(nbytes) + " bytes, tensor has " + std::to_string(size));
    if (size > 0) std::memcpy(dst, c.data_ptr(), static_cast<size_t>(size));
  });
}

// Creation kinds: 0 empty, 1 zeros, 2 ones, 3 full(value), 4 rand U[0,1), 5 randn N(0,1).
KST_API kst_status kst_tensor_create(int32_t kind, const int64_t* shape, int32_t ndim, double value, int32_t dtype,
                                     int32_t device_type, int32_t device_index, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    auto s = kst::vec(shape, ndim);
    auto o = options(dtype, device_type, device_index);
    switch (kind) {
      case 0: *out = kst::wrap(torch::empty(s, o)); break;
      case 1: *out = kst::wrap(torch::zeros(s, o)); break;
      case 2: *out = kst::wrap(torch::ones(s, o)); break;
      case 3: *out = kst::wrap(torch::full(s, value, o)); break;
      case 4: *out = kst::wrap(torch::rand(s, o)); break;
      case 5: *out = kst::wrap(torch::randn(s, o)); break;
      default: throw kst::invalid_argument("unknown creation kind " + std::to_string(kind));
    }
  });
}

KST_API kst_status kst_tensor_arange(int64_t n, int32_t dtype, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::arange(n, options(dtype, 0, 0)));
  });
}

KST_API kst_status kst_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::randint(low, high, kst::vec(shape, ndim), torch::kInt64));
  });
}

KST_API kst_status kst_tensor_randperm(int64_t n, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::randperm(n, torch::kInt64));
  });
}

KST_API kst_status kst_tensor_empty_like(kst_tensor t, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(torch::empty_like(kst::get(t))); // preserves a channels-last layout
  });
}

KST_API kst_status kst_tensor_ndim(kst_tensor t, int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = static_cast<int32_t>(kst::get(t).dim());
  });
}

KST_API kst_status kst_tensor_shape(kst_tensor t, int64_t* out, int32_t capacity) {
  return kst::guard([&] {
    const auto& x = kst::get(t);
    if (capacity < x.dim()) throw kst::invalid_argument("shape buffer too small");
    for (int64_t i = 0; i < x.dim(); ++i) out[i] = x.size(i);
  });
}

KST_API kst_status kst_tensor_dtype(kst_tensor t, int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::from_scalar_type(kst::get(t).scalar_type());
  });
}

KST_API kst_status kst_tensor_device(kst_tensor t, int32_t* type, int32_t* index) {
  return kst::guard([&] {
    kst::check_out(type);
    kst::check_out(index);
    auto d = kst::get(t).device();
    *type = d.is_cuda() ? 1 : 0;
    *index = d.has_index() ? d.index() : 0;
  });
}

KST_API kst_status kst_tensor_numel(kst_tensor t, int64_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::get(t).numel();
  });
}

KST_API kst_status kst_tensor_item(kst_tensor t, double* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::get(t).item<double>();
  });
}

// Conversions: 0 detach, 1 clone, 2 contiguous, 3 to dtype (arg), 4 to device (arg = type, arg2 = index).
KST_API kst_status kst_tensor_convert(kst_tensor t, int32_t kind, int32_t arg, int32_t arg2, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    const auto& x = kst::get(t);
    switch (kind) {
      case 0: *out = kst::wrap(x.detach()); break;
      case 1: *out = kst::wrap(x.clone()); break;
      case 2: *out = kst::wrap(x.contiguous()); break;
      case 3: *out = kst::wrap(x.to(kst::to_scalar_type(arg))); break;
      case 4: *out = kst::wrap(x.to(kst::to_device(arg, arg2))); break;
      default: throw kst::invalid_argument("unknown conversion " + std::to_string(kind));
    }
  });
}

// A new handle to the same tensor (shares storage and autograd identity).
KST_API kst_status kst_tensor_alias(kst_tensor t, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = kst::wrap(kst::get(t));
  });
}

// Replaces the tensor's data (and so its dtype or device) keeping its identity: handles, parameter lists
// and requires_grad stay valid. Used to convert whole modules (e.g. to float64 for gradient checks).
KST_API kst_status kst_tensor_set_data(kst_tensor t, kst_tensor source) {
  return kst::guard([&] {
    if (t == nullptr) throw kst::invalid_argument("null tensor handle");
    t->set_data(kst::get(source, "source"));
  });
}
