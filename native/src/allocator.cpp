// A caching CPU allocator for libtorch (1.13 has none on the CPU), plus byte statistics.
//
// Why: glibc's malloc serves a block over its mmap threshold (dynamic, at most 32 MiB) with a fresh mmap and
// gives it back with munmap on free, and trims the heap top above its trim threshold; every reuse then
// page-faults and the kernel zeroes each 4 KiB page again. A 2,048-image NB201 activation is 51 MiB, so batch-
// statistics scoring spent about half its time in page faults (perf: exc_page_fault, clear_page_erms).
// Freed blocks of at least kMinCached bytes are kept on exact-size free lists (sizes rounded to 4 KiB) and
// handed out again, up to a cap of cached bytes; everything else goes straight to posix_memalign/free.
//
// Installed once (kst_cpu_cache_configure) with c10::SetCPUAllocator, which replaces the default CPU allocator
// for new tensors; tensors allocated before keep their own deleter. Each block carries a 64-byte header with
// its size, so the deleter needs no lookup. Turning caching off frees the cache; the allocator stays installed
// and passes through.
#include "kst_allocator.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kAlign = 64;       // c10's gAlignment
constexpr size_t kHeader = 64;      // keeps the data 64-byte aligned
constexpr size_t kMinCached = 1 << 16;
constexpr size_t kPage = 4096;

struct Header {
  size_t size;  // usable bytes (the rounded request)
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free;  // size -> bases
  size_t cached = 0;
  size_t cap = 0;
  bool enabled = false;
  int64_t in_use = 0;  // bytes handed out by this allocator and not yet freed
  int64_t peak = 0;
  int64_t hits = 0, misses = 0;

  void flush_locked() {
    for (auto& [size, bases] : free)
      for (void* b : bases) std::free(b);
    free.clear();
    cached = 0;
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: blocks may be freed during static destruction
  return *c;
}

size_t round_size(size_t n) { return n < kMinCached ? n : (n + kPage - 1) / kPage * kPage; }

void release(void* data) {
  if (data == nullptr) return;
  void* base = static_cast<char*>(data) - kHeader;
  size_t size = static_cast<Header*>(base)->size;
  auto& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.in_use -= static_cast<int64_t>(size);
    if (c.enabled && size >= kMinCached && c.cached + size <= c.cap) {
      c.free[size].push_back(base);
      c.cached += size;
      return;
    }
  }
  std::free(base);
}

struct CachingCpuAllocator final : public c10::Allocator {
  c10::DataPtr allocate(size_t nbytes) const override {
    auto device = c10::Device(c10::DeviceType::CPU);
    if (nbytes == 0) return {nullptr, nullptr, &release, device};
    size_t size = round_size(nbytes);
    auto& c = cache();
    void* base = nullptr;
    {
      std::lock_guard<std::mutex> lock(c.mutex);
      if (size >= kMinCached) {
        auto it = c.free.find(size);
        if (it != c.free.end() && !it->second.empty()) {
          base = it->second.back();
          it->second.pop_back();
          c.cached -= size;
          ++c.hits;
        } else {
          ++c.misses;
        }
      }
      c.in_use += static_cast<int64_t>(size);
      if (c.in_use > c.peak) c.peak = c.in_use;
    }
    if (base == nullptr) {
      if (posix_memalign(&base, kAlign, size + kHeader) != 0 || base == nullptr) {
        std::lock_guard<std::mutex> lock(c.mutex);
        c.in_use -= static_cast<int64_t>(size);
        throw std::bad_alloc();  // c10 turns it into an error at the op; kst::guard catches it
      }
      static_cast<Header*>(base)->size = size;
    }
    void* data = static_cast<char*>(base) + kHeader;
    return {data, data, &release, device};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

CachingCpuAllocator g_allocator;
std::once_flag g_installed;

}  // namespace

// enable: 1 caches freed blocks (up to cap_bytes cached), 0 frees the cache and passes through.
// The first call installs the allocator for every later CPU tensor of the process.
KST_API kst_status kst_cpu_cache_configure(int32_t enable, int64_t cap_bytes) {
  return kst::guard([&] {
    if (cap_bytes < 0) throw kst::invalid_argument("cache cap must be >= 0, got " + std::to_string(cap_bytes));
    std::call_once(g_installed, [] { c10::SetCPUAllocator(&g_allocator, /*priority=*/100); });
    auto& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.enabled = enable != 0;
    c.cap = static_cast<size_t>(cap_bytes);
    if (!c.enabled) c.flush_locked();
    else if (c.cached > c.cap) c.flush_locked();
  });
}

// Bytes in live tensors allocated by the caching allocator, their peak since the last reset, bytes cached,
// and cache hits/misses (requests of at least 64 KiB).
KST_API kst_status kst_cpu_cache_stats(int64_t* in_use, int64_t* peak, int64_t* cached, int64_t* hits, int64_t* misses) {
  return kst::guard([&] {
    kst::check_out(in_use);
    kst::check_out(peak);
    kst::check_out(cached);
    kst::check_out(hits);
    kst::check_out(misses);
    auto& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    *in_use = c.in_use;
    *peak = c.peak;
    *cached = static_cast<int64_t>(c.cached);
    *hits = c.hits;
    *misses = c.misses;
  });
}

// Sets the peak to the bytes in use now.
KST_API kst_status kst_cpu_cache_reset_peak() {
  return kst::guard([&] {
    auto& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.peak = c.in_use;
  });
}

// Frees every cached block (caching stays as configured).
KST_API kst_status kst_cpu_cache_empty() {
  return kst::guard([&] {
    auto& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.flush_locked();
  });
}
