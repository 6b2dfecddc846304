// Runtime-wide state: ABI version, last error, threads, random generator, live-handle statistics.
#include "kst_runtime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

namespace {
thread_local std::string g_last_error;
std::atomic<int64_t> g_live_tensors{0};
}  // namespace

namespace kst {
void set_last_error(const std::string& message) { g_last_error = message; }
std::atomic<int64_t>& live_tensor_count() { return g_live_tensors; }
}  // namespace kst

KST_API int32_t kst_abi_version() { return KST_ABI_VERSION; }

// Valid until the next failing call on the same thread; the managed side copies it at once.
KST_API const char* kst_last_error() { return g_last_error.c_str(); }

KST_API const char* kst_torch_version() { return TORCH_VERSION; }

KST_API kst_status kst_live_tensors(int64_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = g_live_tensors.load();
  });
}

KST_API kst_status kst_set_num_threads(int32_t n) {
  return kst::guard([&] {
    if (n < 1) throw kst::invalid_argument("thread count must be >= 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}

KST_API kst_status kst_get_num_threads(int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = at::get_num_threads();
  });
}

KST_API kst_status kst_manual_seed(uint64_t seed) {
  return kst::guard([&] { torch::manual_seed(seed); });
}

// The CPU generator's full state as a uint8 tensor, for bit-exact resume.
KST_API kst_status kst_rng_get_state(kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    *out = kst::wrap(gen.get_state());
  });
}

KST_API kst_status kst_rng_set_state(kst_tensor state) {
  return kst::guard([&] {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(kst::get(state, "rng state"));
  });
}

KST_API kst_status kst_cuda_is_available(int32_t* out) {
  return kst::guard([&] {
    kst::check_out(out);
    *out = torch::cuda::is_available() ? 1 : 0;
  });
}
