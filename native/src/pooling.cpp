// Average pooling of the two shapes the search spaces use, without autograd: one read of the input and one write of the
// output. Why: the autograd-friendly box sum (nn.cpp) makes about seven elementwise passes (pad, shifted adds, a
// broadcast multiply) and was 14 % of exact chunked scoring's time at one thread, behind convolutions only
// (docs/benchmarks.md). Training keeps the box sum, which autograd differentiates.
#include "pooling.h"

#include "memory_format.h"
#include "vector_clones.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace kst {
bool direct_pooling_applies(const torch::Tensor& x) {
  return x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.dim() == 4 && x.numel() > 0 &&
         (!torch::GradMode::is_enabled() || !x.requires_grad());
}

namespace {
// out = a row of c-value positions plus its left and right neighbours (c values apart), zero beyond the ends: (row + left)
// + right, the order the box sum adds them. __restrict and one loop per part of the row (first, middle, last position)
// let the compiler vectorize without checks for overlap.
inline void row_sum(const float* __restrict row, float* __restrict out, int64_t stride, int64_t c) {
  if (stride == c) { // one column: no neighbours
    for (int64_t at = 0; at < c; ++at) out[at] = row[at];
    return;
  }
  for (int64_t at = 0; at < c; ++at) out[at] = row[at] + row[at + c];
  for (int64_t at = c; at + c < stride; ++at) out[at] = (row[at] + row[at - c]) + row[at + c];
  for (int64_t at = stride - c; at < stride; ++at) out[at] = row[at] + row[at - c];
}

// One image of h rows of w * c values (channels-last; an NCHW plane is c = 1). Horizontal 3-sums of three consecutive
// rows roll through `sums` (3 rows), so each input row is read once; the loops run over whole rows (no per-channel inner
// loop), so they vectorize.
KST_VECTOR_CLONES void pool3x3_image(const float* __restrict image, float* __restrict out_image, int64_t c, int64_t h,
                                     int64_t w, const float* __restrict row_scale, const float* __restrict col,
                                     float* __restrict sums, bool accumulate) {
  const int64_t stride = w * c;
  float* above = sums;
  float* here = sums + stride;
  float* below = sums + 2 * stride;
  std::fill(above, above + stride, 0.0f);
  row_sum(image, here, stride, c);
  for (int64_t i = 0; i < h; ++i) {
    if (i + 1 < h) row_sum(image + (i + 1) * stride, below, stride, c);
    else std::fill(below, below + stride, 0.0f);
    float* __restrict o = out_image + i * stride;
    const float* __restrict a = above;
    const float* __restrict m = here;
    const float* __restrict b = below;
    const float rs = row_scale[i];
    if (accumulate) for (int64_t at = 0; at < stride; ++at) o[at] += (a[at] + m[at] + b[at]) * (rs * col[at]);
    else for (int64_t at = 0; at < stride; ++at) o[at] = (a[at] + m[at] + b[at]) * (rs * col[at]);
    float* t = above; above = here; here = below; below = t;
  }
}

// 3x3 pooling of n images of h rows of w * c values each: a tap's neighbours are c values apart. col: a column's scale
// per value of a row (scales below).
void avg_pool3x3_rows(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w,
                      const std::vector<float>& row_scale, const std::vector<float>& col, bool accumulate) {
  const int64_t stride = w * c;
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> sums(3 * stride);
    for (int64_t img = begin; img < end; ++img)
      pool3x3_image(src + img * h * stride, dst + img * h * stride, c, h, w, row_scale.data(), col.data(), sums.data(),
                    accumulate);
  });
}

// One output row of 2x2 pooling: ow positions of k values from input rows r0 and r1. K > 0 fixes k at compile time (the
// channel counts the spaces use), which unrolls the channel loop: 1.4x faster on a 2,048-image stage-0 batch.
template <int64_t K>
inline __attribute__((always_inline)) void pool2x2_loop(const float* __restrict r0, const float* __restrict r1,
                                                        float* __restrict o, int64_t ow, int64_t k) {
  if (K > 0) k = K;
  for (int64_t j = 0; j < ow; ++j)
    for (int64_t ch = 0; ch < k; ++ch) {
      const int64_t a = 2 * j * k + ch;
      o[j * k + ch] = 0.25f * ((r0[a] + r0[a + k]) + (r1[a] + r1[a + k]));
    }
}

KST_VECTOR_CLONES void pool2x2_row(const float* r0, const float* r1, float* o, int64_t ow, int64_t k) {
  switch (k) {
    case 8: pool2x2_loop<8>(r0, r1, o, ow, k); break;
    case 16: pool2x2_loop<16>(r0, r1, o, ow, k); break;
    case 32: pool2x2_loop<32>(r0, r1, o, ow, k); break;
    default: pool2x2_loop<0>(r0, r1, o, ow, k);
  }
}
}  // namespace

namespace {
// 1 / taps along each axis: the window sees 3 rows (columns) inside, 2 at an edge, 1 when the side is 1. A column's
// scale is repeated for each of the c values of a position.
void scales(int64_t c, int64_t h, int64_t w, bool count_include_pad, std::vector<float>& row_scale, std::vector<float>& col) {
  auto taps = [](int64_t i, int64_t n) { return 1 + (i > 0 ? 1 : 0) + (i + 1 < n ? 1 : 0); };
  row_scale.resize(h);
  col.resize(w * c);
  for (int64_t i = 0; i < h; ++i) row_scale[i] = count_include_pad ? 1.0f / 3 : 1.0f / taps(i, h);
  for (int64_t j = 0; j < w; ++j)
    std::fill(col.begin() + j * c, col.begin() + (j + 1) * c, count_include_pad ? 1.0f / 3 : 1.0f / taps(j, w));
}

// dst (= or +=) the 3x3 pooling of x (dense); dst has x's layout.
void avg_pool3x3(const torch::Tensor& x, bool count_include_pad, const torch::Tensor& dst, bool accumulate) {
  const int64_t h = x.size(2), w = x.size(3);
  // Channels-last: images of h rows of w * c values. NCHW: planes of h rows of w values, the same with one channel.
  const bool cl = channels_last_4d(x);
  const int64_t images = cl ? x.size(0) : x.size(0) * x.size(1), c = cl ? x.size(1) : 1;
  std::vector<float> row_scale, col;
  scales(c, h, w, count_include_pad, row_scale, col);
  avg_pool3x3_rows(x.data_ptr<float>(), dst.data_ptr<float>(), images, c, h, w, row_scale, col, accumulate);
}
}  // namespace

void avg_pool3x3_scales(int64_t c, int64_t h, int64_t w, std::vector<float>& row_scale, std::vector<float>& col) {
  scales(c, h, w, false, row_scale, col);
}

void avg_pool3x3_image(const float* image, float* out, int64_t c, int64_t h, int64_t w, const float* row_scale,
                       const float* col, float* sums) {
  pool3x3_image(image, out, c, h, w, row_scale, col, sums, false);
}

torch::Tensor direct_avg_pool3x3(const torch::Tensor& input, bool count_include_pad) {
  const auto x = dense(input);
  auto y = torch::empty_like(x); // keeps a channels-last input's layout
  avg_pool3x3(x, count_include_pad, y, false);
  return y;
}

void direct_avg_pool3x3_add(const torch::Tensor& input, bool count_include_pad, const torch::Tensor& target) {
  avg_pool3x3(dense(input), count_include_pad, target, true);
}

void avg_pool2x2_image(const float* image, float* out, int64_t k, int64_t h, int64_t w) {
  const int64_t ow = w / 2;
  for (int64_t i = 0; i < h / 2; ++i) pool2x2_row(image + 2 * i * w * k, image + (2 * i + 1) * w * k, out + i * ow * k, ow, k);
}

torch::Tensor direct_avg_pool2x2(const torch::Tensor& input) {
  const auto x = dense(input);
  const bool cl = channels_last_4d(x);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), oh = h / 2, ow = w / 2;
  auto y = torch::empty({n, c, oh, ow}, x.options().memory_format(cl ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  // Images of rows of w * k values, k = c channels-last; NCHW planes are the same with k = 1.
  const int64_t images = cl ? n : n * c, k = cl ? c : 1;
  const float* src = x.data_ptr<float>();
  float* dst = y.data_ptr<float>();
  at::parallel_for(0, images * oh, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t img = r / oh, i = r % oh;
      const float* r0 = src + (img * h + 2 * i) * w * k;
      pool2x2_row(r0, r0 + w * k, dst + r * ow * k, ow, k);
    }
  });
  return y;
}
}  // namespace kst
