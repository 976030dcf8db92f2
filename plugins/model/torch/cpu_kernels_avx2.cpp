// AVX2 + FMA versions of the CPU kernels. Only this file is compiled with -mavx2 -mfma, and
// cpu_kernels.cpp calls into it only when the CPU has both. Everything but the two entry points
// has internal linkage and no standard library header is included, so no AVX2 code can stand in
// for an inline function that other files share.
#include "cpu_kernels.h"

#if defined(DISAGGD_TORCH_HAVE_AVX2)

#include <immintrin.h>

namespace disaggd::torch_backend::cpu::avx2 {
namespace {

/// Eight weights as floats.
inline __m256 load8(const float* p) {
  return _mm256_loadu_ps(p);
}

inline __m256 load8(const uint16_t* p) {
  // A bfloat16 is the upper half of a float32: zero-extend to 32 bits, shift into place.
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

inline float widen(float v) {
  return v;
}

inline float widen(uint16_t v) {
  return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(static_cast<int>(uint32_t{v} << 16))));
}

/// e^x, as Cephes' expf (about 1 ulp): clamped to e^±88.376, so it gives 0 far below and never
/// infinity.
inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)),
                    _mm256_set1_ps(88.3762626647949f));
  // x = n · ln 2 + r with n = round(x / ln 2) and |r| <= ln 2 / 2 (ln 2 in two parts).
  const __m256 n = _mm256_floor_ps(
      _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n built in the exponent field (n = -127 gives 0).
  const __m256i pow2 =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(pow2));
}

inline float exp1(float x) {
  return _mm256_cvtss_f32(exp8(_mm256_set1_ps(x)));
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)), the order the scalar kernels use too.
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// y[m .. m + MR, n + r * gap for r < NR]: MR rows of x against NR rows of W over all of K, with
/// MR * NR accumulators. Each loaded weight vector serves all MR rows of x. With gap 1 the NR rows
/// are adjacent and the tile prefetches the rows it will read next; with a larger gap each row
/// continues a long sequential stream of its own, which the hardware prefetcher follows alone.
template <int MR, int NR, typename W>
inline void tile(const LinearProblem& p, const W* w, int64_t m, int64_t n, int64_t gap = 1) {
  const float* x[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    x[i] = p.x + (m + i) * p.ldx;
  }
  const W* rows[NR];
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) {
    rows[r] = w + (n + r * gap) * p.w.row_stride;
  }
  __m256 acc[MR][NR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      acc[i][r] = _mm256_setzero_ps();
    }
  }
  // One 8-wide step: the weights at rows[r] + k for every row of x. With more rows of x than of
  // W, the weight vectors stay in registers and each x vector is loaded once, else the reverse.
  auto step = [&](int64_t k) {
    if constexpr (MR > NR) {
      __m256 wv[NR];
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r) {
        wv[r] = load8(rows[r] + k);
      }
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const __m256 xv = _mm256_loadu_ps(x[i] + k);
#pragma GCC unroll 8
        for (int r = 0; r < NR; ++r) {
          acc[i][r] = _mm256_fmadd_ps(xv, wv[r], acc[i][r]);
        }
      }
    } else {
      __m256 xv[MR];
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        xv[i] = _mm256_loadu_ps(x[i] + k);
      }
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r) {
        const __m256 wv = load8(rows[r] + k);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
          acc[i][r] = _mm256_fmadd_ps(xv[i], wv, acc[i][r]);
        }
      }
    }
  };
  // Steps per 64-byte cache line of weights; per line, prefetch the same line of the rows four
  // tiles further on, so that DRAM always has requests in flight (the hardware prefetcher alone
  // restarts at every page and leaves a single core well below DRAM bandwidth; four tiles ahead
  // measured best on Zen 3). Prefetches past the end of W are harmless hints.
  constexpr int64_t kLine = 64 / (8 * sizeof(W));
  constexpr int64_t kTilesAhead = 4;
  const int64_t ahead = kTilesAhead * NR * p.w.row_stride;
  int64_t k = 0;
  for (; k + 8 * kLine <= p.k; k += 8 * kLine) {
    if (gap == 1) {
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(rows[r] + ahead + k), _MM_HINT_T0);
      }
    }
#pragma GCC unroll 8
    for (int64_t s = 0; s < kLine; ++s) {
      step(k + 8 * s);
    }
  }
  for (; k + 8 <= p.k; k += 8) {
    step(k);
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      float sum = hsum(acc[i][r]);
      for (int64_t j = k; j < p.k; ++j) {
        sum += x[i][j] * widen(rows[r][j]);
      }
      const int64_t out = n + r * gap;
      p.y[(m + i) * p.ldy + out] = sum + (p.bias != nullptr ? p.bias[out] : 0.0f);
    }
  }
}

/// Rows of W per tile for MR rows of x, so that the MR * NR accumulators and the vectors a step
/// keeps (MR of x and one of W, or for MR = 4 three of W and one of x) fit the 16 ymm registers;
/// measured best on Zen 3 among those that fit.
template <int MR>
constexpr int kTileRows = MR == 1 ? 8 : (MR == 4 ? 3 : 4);

/// The last `count` (< NR) rows of a range, in one tile of as many rows (an attention block of 16
/// keys against tiles of 3 leaves 1).
template <int MR, int NR, typename W>
void last_rows(const LinearProblem& p, const W* w, int64_t m, int64_t n, int64_t count) {
  if constexpr (NR > 1) {
    if (count == NR - 1) {
      tile<MR, NR - 1>(p, w, m, n);
    } else {
      last_rows<MR, NR - 1>(p, w, m, n, count);
    }
  }
}

/// Outputs [n_begin, n_end) of rows m .. m + MR of y.
template <int MR, typename W>
void rows_of(const LinearProblem& p, const W* w, int64_t m, int64_t n_begin, int64_t n_end) {
  constexpr int NR = kTileRows<MR>;
  int64_t n = n_begin;
  for (; n + NR <= n_end; n += NR) {
    tile<MR, NR>(p, w, m, n);
  }
  if (n < n_end) {
    last_rows<MR, NR>(p, w, m, n, n_end - n);
  }
}

/// Outputs [n_begin, n_end) of rows m .. m + MR of y, reading W as NR long sequential streams
/// (the range cut into NR consecutive parts, a tile taking one row of each): adjacent-row tiles
/// make many short streams (2 KiB rows of bfloat16 for K = 1024), which the hardware prefetcher
/// ramps up on too slowly to keep one core at DRAM speed.
template <int MR, typename W>
void long_streams_of(const LinearProblem& p, const W* w, int64_t m, int64_t n_begin,
                     int64_t n_end) {
  constexpr int NR = kTileRows<MR>;
  const int64_t length = (n_end - n_begin) / NR;
  for (int64_t i = 0; i < length; ++i) {
    tile<MR, NR>(p, w, m, n_begin + i, length);
  }
  if (n_begin + NR * length < n_end) {
    rows_of<MR>(p, w, m, n_begin + NR * length, n_end);
  }
}

/// Rows of W that stay in cache while every group of (up to four) rows of x passes over them.
constexpr int64_t kRowGroup = 48;

/// Ranges of at least this many rows of W per stream are read as long streams when x has at most
/// four rows (which pass over W once, so that no row group needs to stay in cache).
constexpr int64_t kLongStreamRows = 32;

template <typename W>
void stream(const LinearProblem& p, const W* w, int64_t n_begin, int64_t n_end) {
  if (p.m <= 4 && n_end - n_begin >= kLongStreamRows * kTileRows<4>) {
    switch (p.m) {
      case 4:
        long_streams_of<4>(p, w, 0, n_begin, n_end);
        return;
      case 3:
        long_streams_of<3>(p, w, 0, n_begin, n_end);
        return;
      case 2:
        long_streams_of<2>(p, w, 0, n_begin, n_end);
        return;
      case 1:
        long_streams_of<1>(p, w, 0, n_begin, n_end);
        return;
      default:
        return;
    }
  }
  for (int64_t n = n_begin; n < n_end; n += kRowGroup) {
    const int64_t end = n_end - n < kRowGroup ? n_end : n + kRowGroup;
    int64_t m = 0;
    for (; m + 4 <= p.m; m += 4) {
      rows_of<4>(p, w, m, n, end);
    }
    switch (p.m - m) {
      case 3:
        rows_of<3>(p, w, m, n, end);
        break;
      case 2:
        rows_of<2>(p, w, m, n, end);
        break;
      case 1:
        rows_of<1>(p, w, m, n, end);
        break;
      default:
        break;
    }
  }
}

/// out[i, c .. c + 8 NV] += Σ_l p[i, l] · V[l, c .. c + 8 NV] for MR rows: MR * NV accumulators,
/// NV value vectors and one broadcast probability fit the ymm registers.
template <int MR, int NV, typename W>
inline void weighted_tile(const float* p, int64_t ldp, const W* v, int64_t stride, int64_t n,
                          float* out, int64_t ldo) {
  __m256 acc[MR][NV];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      acc[i][j] = _mm256_loadu_ps(out + i * ldo + 8 * j);
    }
  }
  for (int64_t l = 0; l < n; ++l) {
    const W* row = v + l * stride;
    __m256 values[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      values[j] = load8(row + 8 * j);
    }
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 weight = _mm256_broadcast_ss(p + i * ldp + l);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        acc[i][j] = _mm256_fmadd_ps(weight, values[j], acc[i][j]);
      }
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      _mm256_storeu_ps(out + i * ldo + 8 * j, acc[i][j]);
    }
  }
}

/// Columns [c, c + 8 NV) of every row, two rows at a time.
template <int NV, typename W>
void weighted_columns(const float* p, int64_t ldp, int64_t rows, const W* v, int64_t stride,
                      int64_t n, int64_t c, float* out, int64_t ldo) {
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2) {
    weighted_tile<2, NV>(p + r * ldp, ldp, v + c, stride, n, out + r * ldo + c, ldo);
  }
  if (r < rows) {
    weighted_tile<1, NV>(p + r * ldp, ldp, v + c, stride, n, out + r * ldo + c, ldo);
  }
}

template <typename W>
void weighted_rows(const float* p, int64_t ldp, int64_t rows, const W* v, int64_t stride, int64_t n,
                   int64_t d, float* out, int64_t ldo) {
  // 32 columns of bfloat16 are one cache line of each value row.
  int64_t c = 0;
  for (; c + 32 <= d; c += 32) {
    weighted_columns<4>(p, ldp, rows, v, stride, n, c, out, ldo);
  }
  for (; c + 8 <= d; c += 8) {
    weighted_columns<1>(p, ldp, rows, v, stride, n, c, out, ldo);
  }
  for (; c < d; ++c) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t l = 0; l < n; ++l) {
        out[r * ldo + c] += p[r * ldp + l] * widen(v[l * stride + c]);
      }
    }
  }
}

}  // namespace

void stream_linear(const LinearProblem& p, int64_t n_begin, int64_t n_end) {
  if (p.w.bf16) {
    stream(p, static_cast<const uint16_t*>(p.w.data), n_begin, n_end);
  } else {
    stream(p, static_cast<const float*>(p.w.data), n_begin, n_end);
  }
}

void bf16_to_f32(const uint16_t* src, float* dst, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    _mm256_storeu_ps(dst + i, load8(src + i));
    _mm256_storeu_ps(dst + i + 8, load8(src + i + 8));
  }
  for (; i < count; ++i) {
    dst[i] = widen(src[i]);
  }
}

void softmax(float* v, int64_t n, float scale) {
  const __m256 factor = _mm256_set1_ps(scale);
  __m256 max8 = _mm256_set1_ps(-__builtin_inff());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(v + i), factor);
    _mm256_storeu_ps(v + i, x);
    max8 = _mm256_max_ps(max8, x);
  }
  float max = hmax(max8);
  for (; i < n; ++i) {
    v[i] *= scale;
    max = v[i] > max ? v[i] : max;
  }
  const __m256 shift = _mm256_set1_ps(max);
  __m256 sum8 = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(v + i), shift));
    _mm256_storeu_ps(v + i, e);
    sum8 = _mm256_add_ps(sum8, e);
  }
  float sum = hsum(sum8);
  for (; i < n; ++i) {
    v[i] = exp1(v[i] - max);
    sum += v[i];
  }
  const __m256 total = _mm256_set1_ps(sum);
  for (i = 0; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(v + i, _mm256_div_ps(_mm256_loadu_ps(v + i), total));
  }
  for (; i < n; ++i) {
    v[i] /= sum;
  }
}

void accumulate_weighted_rows(const float* p, int64_t ldp, int64_t rows, const Weights& v,
                              int64_t n, int64_t d, float* out, int64_t ldo) {
  if (v.bf16) {
    weighted_rows(p, ldp, rows, static_cast<const uint16_t*>(v.data), v.row_stride, n, d, out, ldo);
  } else {
    weighted_rows(p, ldp, rows, static_cast<const float*>(v.data), v.row_stride, n, d, out, ldo);
  }
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(
        out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    out[i] = gate[i] / (1.0f + exp1(-gate[i])) * up[i];
  }
}

}  // namespace disaggd::torch_backend::cpu::avx2

#endif  // DISAGGD_TORCH_HAVE_AVX2
