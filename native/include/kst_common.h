// Shared helpers of the KShotNas C ABI shim: status codes, the exception guard, handle wrapping.
// Every exported function returns a kst_status and runs its body inside kst::guard, so no C++
// exception ever crosses into .NET; the message is kept per thread for kst_last_error.
#pragma once

#include "kst_torch.h"

#include <atomic>
#include <cstdint>
#include <string>

#define KST_API extern "C" __attribute__((visibility("default")))

// Bumped whenever an exported signature or an enum below changes; the managed side checks it.
#define KST_ABI_VERSION 9

typedef int32_t kst_status;
enum : kst_status {
  KST_OK = 0,
  KST_TORCH_ERROR = 1,    // c10::Error raised by libtorch
  KST_STD_ERROR = 2,      // any other std::exception
  KST_UNKNOWN_ERROR = 3,  // anything else thrown
  KST_INVALID_ARGUMENT = 4
};

typedef torch::Tensor* kst_tensor;

namespace kst {

void set_last_error(const std::string& message);
std::atomic<int64_t>& live_tensor_count();

struct invalid_argument : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename F>
kst_status guard(F&& body) noexcept {
  try {
    body();
    return KST_OK;
  } catch (const invalid_argument& e) {
    set_last_error(e.what());
    return KST_INVALID_ARGUMENT;
  } catch (const c10::Error& e) {
    set_last_error(e.what_without_backtrace());
    return KST_TORCH_ERROR;
  } catch (const std::exception& e) {
    set_last_error(e.what());
    return KST_STD_ERROR;
  } catch (...) {
    set_last_error("unknown native exception");
    return KST_UNKNOWN_ERROR;
  }
}

// Moves a tensor onto the heap as an owned handle; kst_tensor_free releases it.
inline kst_tensor wrap(torch::Tensor t) {
  auto* h = new torch::Tensor(std::move(t));
  live_tensor_count().fetch_add(1, std::memory_order_relaxed);
  return h;
}

inline const torch::Tensor& get(kst_tensor h, const char* what = "tensor") {
  if (h == nullptr) throw invalid_argument(std::string("null ") + what + " handle");
  return *h;
}

inline void check_out(void* out) {
  if (out == nullptr) throw invalid_argument("null output pointer");
}

inline torch::ScalarType to_scalar_type(int32_t dtype) {
  switch (dtype) {
    case 0: return torch::kFloat32;
    case 1: return torch::kFloat64;
    case 2: return torch::kInt64;
    case 3: return torch::kBool;
    case 4: return torch::kUInt8;
    case 5: return torch::kInt32;
    default: throw invalid_argument("unknown dtype code " + std::to_string(dtype));
  }
}

inline int32_t from_scalar_type(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return 0;
    case torch::kFloat64: return 1;
    case torch::kInt64: return 2;
    case torch::kBool: return 3;
    case torch::kUInt8: return 4;
    case torch::kInt32: return 5;
    default: return -1;
  }
}

inline torch::Device to_device(int32_t type, int32_t index) {
  switch (type) {
    case 0: return torch::Device(torch::kCPU);
    case 1: return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    default: throw invalid_argument("unknown device type " + std::to_string(type));
  }
}

inline std::vector<int64_t> vec(const int64_t* p, int32_t n) {
  if (n < 0 || (n > 0 && p == nullptr)) throw invalid_argument("bad int64 array");
  return std::vector<int64_t>(p, p + n);
}

inline std::vector<torch::Tensor> tensors(const kst_tensor* hs, int32_t n) {
  if (n < 0 || (n > 0 && hs == nullptr)) throw invalid_argument("bad tensor array");
  std::vector<torch::Tensor> v;
  v.reserve(n);
  for (int32_t i = 0; i < n; ++i) v.push_back(get(hs[i]));
  return v;
}

}  // namespace kst
