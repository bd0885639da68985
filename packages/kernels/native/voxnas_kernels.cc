// Native CPU kernels for the TensorFlow.js CPU backend, over oneDNN.
//
// Tensors arrive exactly as tfjs holds them: activations NDHWC, conv filters DHWIO, float32,
// row-major, no padding. Every function is synchronous and writes into an output Float32Array the
// caller allocated. Primitive descriptors and primitives are cached per shape key, so a training
// loop pays creation once per layer shape; the internal (blocked-layout) buffers they need are
// shared by all of them (see Scratch).
//
// Geometry comes in one Int32Array `p` (see ConvGeom / PoolGeom below); tfjs dilation d maps to
// oneDNN dilation d - 1.

#include <napi.h>

#include <dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using dnnl::algorithm;
using dnnl::engine;
using dnnl::memory;
using dnnl::prop_kind;
using dnnl::reorder;
using dnnl::stream;
using tag = memory::format_tag;
using dt = memory::data_type;

engine &Eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream &Strm() {
  static stream s(Eng());
  return s;
}

// true: let oneDNN pick the blocked layout it likes (format_tag::any) and reorder around it;
// false: run the primitive directly on NDHWC / DHWIO.
bool g_use_any = true;
constexpr size_t kMaxCacheEntries = 96;

// ---------------------------------------------------------------------------------------------
// Internal (blocked-layout) buffers. A primitive argument lives in one only during one call (reorder
// in, execute, reorder out), and calls are serialised by g_lock, so every primitive shares one buffer
// per argument slot, grown to the largest need. One buffer per cached primitive instead held the sum
// over every layer shape: about 0.6 GiB for a U-Net training step at 2 x 64^3.
constexpr int kScratchSlots = 3;
struct Scratch {
  void *ptr = nullptr;
  size_t bytes = 0;
};
Scratch g_scratch[kScratchSlots];

void *ScratchFor(int slot, size_t bytes) {
  Scratch &s = g_scratch[slot];
  if (s.bytes < bytes) {
    std::free(s.ptr);
    s.ptr = nullptr;
    s.bytes = 0;
    const size_t rounded = (bytes + 63) / 64 * 64;
    s.ptr = std::aligned_alloc(64, rounded);
    if (s.ptr == nullptr) throw std::bad_alloc();
    s.bytes = rounded;
  }
  return s.ptr;
}

void ReleaseScratch() {
  for (Scratch &s : g_scratch) {
    std::free(s.ptr);
    s = Scratch();
  }
}

// A primitive argument held by the user in a plain layout. When the primitive wants another
// layout, it is reordered into / out of the argument's scratch slot.
struct Bound {
  memory::desc user_md;
  memory::desc prim_md;
  bool need_reorder = false;
  int slot = 0;
  std::unique_ptr<reorder> to_prim;    // user -> internal
  std::unique_ptr<reorder> from_prim;  // internal -> user

  Bound() = default;
  Bound(const memory::desc &user, const memory::desc &prim, bool is_output, int slot_)
      : user_md(user), prim_md(prim), need_reorder(user != prim), slot(slot_) {
    if (need_reorder) {
      if (is_output) {
        from_prim = std::make_unique<reorder>(reorder::primitive_desc(Eng(), prim_md, Eng(), user_md));
      } else {
        to_prim = std::make_unique<reorder>(reorder::primitive_desc(Eng(), user_md, Eng(), prim_md));
      }
    }
  }

  memory Internal() { return memory(prim_md, Eng(), ScratchFor(slot, prim_md.get_size())); }

  // Memory the primitive reads: user data, reordered when needed.
  memory In(float *ptr) {
    memory u(user_md, Eng(), ptr);
    if (!need_reorder) return u;
    memory internal = Internal();
    to_prim->execute(Strm(), {{DNNL_ARG_FROM, u}, {DNNL_ARG_TO, internal}});
    return internal;
  }
  // Memory the primitive writes; call Finish(ptr) after executing it.
  memory Out(float *ptr) {
    if (!need_reorder) return memory(user_md, Eng(), ptr);
    return Internal();
  }
  void Finish(float *ptr) {
    if (!need_reorder) return;
    memory u(user_md, Eng(), ptr);
    from_prim->execute(Strm(), {{DNNL_ARG_FROM, Internal()}, {DNNL_ARG_TO, u}});
  }
};

// ---------------------------------------------------------------------------------------------
// Convolution geometry, 24 ints:
//   0-4  x: n, d, h, w, c        5-8  filter: kd, kh, kw, (ci = c), co
//   9-11 out: od, oh, ow         12-14 strides   15-17 dilations (tfjs, >= 1)
//   18-20 pad front, top, left   21-23 pad back, bottom, right
struct ConvGeom {
  memory::dims src, wei, dst, strides, dil, pad_l, pad_r;
  std::string key;
};

ConvGeom ReadConvGeom(const Napi::Int32Array &p) {
  if (p.ElementLength() != 24) throw Napi::Error::New(p.Env(), "conv geometry: expected 24 ints");
  const int32_t *v = p.Data();
  ConvGeom g;
  const memory::dim n = v[0], id = v[1], ih = v[2], iw = v[3], ic = v[4];
  const memory::dim kd = v[5], kh = v[6], kw = v[7], oc = v[8];
  const memory::dim od = v[9], oh = v[10], ow = v[11];
  g.src = {n, ic, id, ih, iw};
  g.wei = {oc, ic, kd, kh, kw};
  g.dst = {n, oc, od, oh, ow};
  g.strides = {v[12], v[13], v[14]};
  g.dil = {v[15] - 1, v[16] - 1, v[17] - 1};
  g.pad_l = {v[18], v[19], v[20]};
  g.pad_r = {v[21], v[22], v[23]};
  g.key.reserve(24 * 4);
  for (size_t i = 0; i < 24; ++i) {
    g.key += std::to_string(v[i]);
    g.key += ',';
  }
  g.key += g_use_any ? 'a' : 'p';
  return g;
}

memory::desc UserAct(const memory::dims &d) { return memory::desc(d, dt::f32, tag::ndhwc); }
memory::desc UserWei(const memory::dims &d) { return memory::desc(d, dt::f32, tag::dhwio); }
memory::desc PrimAct(const memory::dims &d) {
  return memory::desc(d, dt::f32, g_use_any ? tag::any : tag::ndhwc);
}
memory::desc PrimWei(const memory::dims &d) {
  return memory::desc(d, dt::f32, g_use_any ? tag::any : tag::dhwio);
}

dnnl::convolution_forward::primitive_desc FwdPd(const ConvGeom &g, prop_kind pk) {
  dnnl::convolution_forward::desc d(pk, algorithm::convolution_direct, PrimAct(g.src), PrimWei(g.wei),
                                    PrimAct(g.dst), g.strides, g.dil, g.pad_l, g.pad_r);
  return dnnl::convolution_forward::primitive_desc(d, Eng());
}

struct ConvFwdEntry {
  dnnl::convolution_forward prim;
  Bound src, wei, dst;
};
struct ConvBwdDataEntry {
  dnnl::convolution_backward_data prim;
  Bound diff_dst, wei, diff_src;
};
struct ConvBwdWeiEntry {
  dnnl::convolution_backward_weights prim;
  Bound src, diff_dst, diff_wei;
};

template <typename T>
using Cache = std::unordered_map<std::string, std::unique_ptr<T>>;
Cache<ConvFwdEntry> g_fwd;
Cache<ConvBwdDataEntry> g_bwd_data;
Cache<ConvBwdWeiEntry> g_bwd_wei;

template <typename T>
T *Lookup(Cache<T> &c, const std::string &key) {
  auto it = c.find(key);
  return it == c.end() ? nullptr : it->second.get();
}
template <typename T>
T *Store(Cache<T> &c, const std::string &key, std::unique_ptr<T> e) {
  if (c.size() >= kMaxCacheEntries) c.clear();
  T *raw = e.get();
  c.emplace(key, std::move(e));
  return raw;
}

float *F32(const Napi::Value &v, size_t expected, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a Float32Array");
  }
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() != expected) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + ": expected " + std::to_string(expected) +
                                             " elements, got " + std::to_string(a.ElementLength()));
  }
  return a.Data();
}

size_t Numel(const memory::dims &d) {
  size_t n = 1;
  for (auto x : d) n *= static_cast<size_t>(x);
  return n;
}

// conv3dForward(x, filter, y, geom)
Napi::Value Conv3dForward(const Napi::CallbackInfo &info) {
  ConvGeom g = ReadConvGeom(info[3].As<Napi::Int32Array>());
  float *x = F32(info[0], Numel(g.src), "conv3d x");
  float *w = F32(info[1], Numel(g.wei), "conv3d filter");
  float *y = F32(info[2], Numel(g.dst), "conv3d y");
  ConvFwdEntry *e = Lookup(g_fwd, g.key);
  if (!e) {
    auto pd = FwdPd(g, prop_kind::forward_inference);
    auto ne = std::make_unique<ConvFwdEntry>();
    ne->prim = dnnl::convolution_forward(pd);
    ne->src = Bound(UserAct(g.src), pd.src_desc(), false, 0);
    ne->wei = Bound(UserWei(g.wei), pd.weights_desc(), false, 1);
    ne->dst = Bound(UserAct(g.dst), pd.dst_desc(), true, 2);
    e = Store(g_fwd, g.key, std::move(ne));
  }
  memory src = e->src.In(x);
  memory wei = e->wei.In(w);
  memory dst = e->dst.Out(y);
  e->prim.execute(Strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
  e->dst.Finish(y);
  Strm().wait();
  return info.Env().Undefined();
}

// conv3dBackpropInput(dy, filter, dx, geom)
Napi::Value Conv3dBackpropInput(const Napi::CallbackInfo &info) {
  ConvGeom g = ReadConvGeom(info[3].As<Napi::Int32Array>());
  float *dy = F32(info[0], Numel(g.dst), "conv3dBackpropInput dy");
  float *w = F32(info[1], Numel(g.wei), "conv3dBackpropInput filter");
  float *dx = F32(info[2], Numel(g.src), "conv3dBackpropInput dx");
  ConvBwdDataEntry *e = Lookup(g_bwd_data, g.key);
  if (!e) {
    auto hint = FwdPd(g, prop_kind::forward_training);
    dnnl::convolution_backward_data::desc d(algorithm::convolution_direct, PrimAct(g.src), PrimWei(g.wei),
                                            PrimAct(g.dst), g.strides, g.dil, g.pad_l, g.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(d, Eng(), hint);
    auto ne = std::make_unique<ConvBwdDataEntry>();
    ne->prim = dnnl::convolution_backward_data(pd);
    ne->diff_dst = Bound(UserAct(g.dst), pd.diff_dst_desc(), false, 0);
    ne->wei = Bound(UserWei(g.wei), pd.weights_desc(), false, 1);
    ne->diff_src = Bound(UserAct(g.src), pd.diff_src_desc(), true, 2);
    e = Store(g_bwd_data, g.key, std::move(ne));
  }
  memory ddst = e->diff_dst.In(dy);
  memory wei = e->wei.In(w);
  memory dsrc = e->diff_src.Out(dx);
  e->prim.execute(Strm(), {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, dsrc}});
  e->diff_src.Finish(dx);
  Strm().wait();
  return info.Env().Undefined();
}

// conv3dBackpropFilter(x, dy, dw, geom)
Napi::Value Conv3dBackpropFilter(const Napi::CallbackInfo &info) {
  ConvGeom g = ReadConvGeom(info[3].As<Napi::Int32Array>());
  float *x = F32(info[0], Numel(g.src), "conv3dBackpropFilter x");
  float *dy = F32(info[1], Numel(g.dst), "conv3dBackpropFilter dy");
  float *dw = F32(info[2], Numel(g.wei), "conv3dBackpropFilter dw");
  ConvBwdWeiEntry *e = Lookup(g_bwd_wei, g.key);
  if (!e) {
    auto hint = FwdPd(g, prop_kind::forward_training);
    dnnl::convolution_backward_weights::desc d(algorithm::convolution_direct, PrimAct(g.src),
                                               PrimWei(g.wei), PrimAct(g.dst), g.strides, g.dil, g.pad_l,
                                               g.pad_r);
    dnnl::convolution_backward_weights::primitive_desc pd(d, Eng(), hint);
    auto ne = std::make_unique<ConvBwdWeiEntry>();
    ne->prim = dnnl::convolution_backward_weights(pd);
    ne->src = Bound(UserAct(g.src), pd.src_desc(), false, 0);
    ne->diff_dst = Bound(UserAct(g.dst), pd.diff_dst_desc(), false, 1);
    ne->diff_wei = Bound(UserWei(g.wei), pd.diff_weights_desc(), true, 2);
    e = Store(g_bwd_wei, g.key, std::move(ne));
  }
  memory src = e->src.In(x);
  memory ddst = e->diff_dst.In(dy);
  memory dwei = e->diff_wei.Out(dw);
  e->prim.execute(Strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_WEIGHTS, dwei}});
  e->diff_wei.Finish(dw);
  Strm().wait();
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Pooling geometry, 20 ints:
//   0-4 x: n, d, h, w, c   5-7 window kd, kh, kw   8-10 out od, oh, ow   11-13 strides
//   14-16 pad front, top, left   17-19 pad back, bottom, right
struct PoolGeom {
  memory::dims src, dst, kernel, strides, pad_l, pad_r;
  std::string key;
};

PoolGeom ReadPoolGeom(const Napi::Int32Array &p) {
  if (p.ElementLength() != 20) throw Napi::Error::New(p.Env(), "pool geometry: expected 20 ints");
  const int32_t *v = p.Data();
  PoolGeom g;
  g.src = {v[0], v[4], v[1], v[2], v[3]};
  g.dst = {v[0], v[4], v[8], v[9], v[10]};
  g.kernel = {v[5], v[6], v[7]};
  g.strides = {v[11], v[12], v[13]};
  g.pad_l = {v[14], v[15], v[16]};
  g.pad_r = {v[17], v[18], v[19]};
  for (size_t i = 0; i < 20; ++i) {
    g.key += std::to_string(v[i]);
    g.key += ',';
  }
  return g;
}

struct PoolFwdEntry {
  dnnl::pooling_forward prim;
};
struct PoolBwdEntry {
  dnnl::pooling_backward prim;
};
Cache<PoolFwdEntry> g_pool_fwd;
Cache<PoolBwdEntry> g_pool_bwd;

algorithm PoolAlg(const Napi::Value &v) {
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "max") return algorithm::pooling_max;
  if (s == "avg") return algorithm::pooling_avg_exclude_padding;
  throw Napi::Error::New(v.Env(), "pool: unknown mode " + s);
}

dnnl::pooling_forward::desc PoolFwdDesc(const PoolGeom &g, algorithm alg, prop_kind pk) {
  return dnnl::pooling_forward::desc(pk, alg, UserAct(g.src), UserAct(g.dst), g.strides, g.kernel, g.pad_l,
                                     g.pad_r);
}

// pool3dForward(mode, x, y, geom)
Napi::Value Pool3dForward(const Napi::CallbackInfo &info) {
  algorithm alg = PoolAlg(info[0]);
  PoolGeom g = ReadPoolGeom(info[3].As<Napi::Int32Array>());
  float *x = F32(info[1], Numel(g.src), "pool3d x");
  float *y = F32(info[2], Numel(g.dst), "pool3d y");
  std::string key = g.key + (alg == algorithm::pooling_max ? "max" : "avg");
  PoolFwdEntry *e = Lookup(g_pool_fwd, key);
  if (!e) {
    dnnl::pooling_forward::primitive_desc pd(PoolFwdDesc(g, alg, prop_kind::forward_inference), Eng());
    auto ne = std::make_unique<PoolFwdEntry>();
    ne->prim = dnnl::pooling_forward(pd);
    e = Store(g_pool_fwd, key, std::move(ne));
  }
  memory src(UserAct(g.src), Eng(), x);
  memory dst(UserAct(g.dst), Eng(), y);
  e->prim.execute(Strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  Strm().wait();
  return info.Env().Undefined();
}

// avgPool3dBackward(dy, dx, geom): tfjs semantics (see below).
Napi::Value AvgPool3dBackward(const Napi::CallbackInfo &info) {
  PoolGeom g = ReadPoolGeom(info[2].As<Napi::Int32Array>());
  float *dy = F32(info[0], Numel(g.dst), "avgPool3dGrad dy");
  float *dx = F32(info[1], Numel(g.src), "avgPool3dGrad dx");
  PoolBwdEntry *e = Lookup(g_pool_bwd, g.key);
  if (!e) {
    // tfjs's AvgPool3DGrad divides by the full window size even where the forward pass excluded
    // padding (its forward and gradient disagree at padded borders). We match the JavaScript
    // kernel exactly, so training gives the same numbers with or without the addon.
    const algorithm alg = algorithm::pooling_avg_include_padding;
    dnnl::pooling_forward::primitive_desc hint(PoolFwdDesc(g, alg, prop_kind::forward_training), Eng());
    dnnl::pooling_backward::desc d(alg, UserAct(g.src), UserAct(g.dst), g.strides, g.kernel, g.pad_l, g.pad_r);
    dnnl::pooling_backward::primitive_desc pd(d, Eng(), hint);
    auto ne = std::make_unique<PoolBwdEntry>();
    ne->prim = dnnl::pooling_backward(pd);
    e = Store(g_pool_bwd, g.key, std::move(ne));
  }
  memory ddst(UserAct(g.dst), Eng(), dy);
  memory dsrc(UserAct(g.src), Eng(), dx);
  e->prim.execute(Strm(), {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_SRC, dsrc}});
  Strm().wait();
  return info.Env().Undefined();
}

// maxPool3dBackward(x, dy, dx, geom): routes each dy to the LAST maximum of its window (the
// tfjs CPU rule, `pixel >= max`), so ties — common after ReLU — match the JavaScript kernel exactly.
// oneDNN's workspace picks the first maximum, so this one is a plain loop, vectorised over channels.
// dx must be zero-filled by the caller.
Napi::Value MaxPool3dBackward(const Napi::CallbackInfo &info) {
  PoolGeom g = ReadPoolGeom(info[3].As<Napi::Int32Array>());
  const float *x = F32(info[0], Numel(g.src), "maxPool3dGrad x");
  const float *dy = F32(info[1], Numel(g.dst), "maxPool3dGrad dy");
  float *dx = F32(info[2], Numel(g.src), "maxPool3dGrad dx");
  const int64_t N = g.src[0], C = g.src[1], D = g.src[2], H = g.src[3], W = g.src[4];
  const int64_t OD = g.dst[2], OH = g.dst[3], OW = g.dst[4];
  const int64_t KD = g.kernel[0], KH = g.kernel[1], KW = g.kernel[2];
  const int64_t SD = g.strides[0], SH = g.strides[1], SW = g.strides[2];
  const int64_t PD = g.pad_l[0], PH = g.pad_l[1], PW = g.pad_l[2];
  // Output positions in the same batch write overlapping dx windows, so parallelise over batch and
  // channel blocks only (each thread owns a channel range of every voxel).
  const int64_t kBlock = 16;
  const int64_t nblocks = (C + kBlock - 1) / kBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t cb = 0; cb < nblocks; ++cb) {
      const int64_t c0 = cb * kBlock;
      const int64_t c1 = std::min(C, c0 + kBlock);
      float best[kBlock];
      int64_t arg[kBlock];
      for (int64_t od = 0; od < OD; ++od) {
        for (int64_t oh = 0; oh < OH; ++oh) {
          for (int64_t ow = 0; ow < OW; ++ow) {
            for (int64_t c = c0; c < c1; ++c) {
              best[c - c0] = -std::numeric_limits<float>::infinity();
              arg[c - c0] = -1;
            }
            for (int64_t kd = 0; kd < KD; ++kd) {
              const int64_t d = od * SD - PD + kd;
              if (d < 0 || d >= D) continue;
              for (int64_t kh = 0; kh < KH; ++kh) {
                const int64_t h = oh * SH - PH + kh;
                if (h < 0 || h >= H) continue;
                for (int64_t kw = 0; kw < KW; ++kw) {
                  const int64_t w = ow * SW - PW + kw;
                  if (w < 0 || w >= W) continue;
                  const int64_t base = (((n * D + d) * H + h) * W + w) * C;
                  for (int64_t c = c0; c < c1; ++c) {
                    const float v = x[base + c];
                    if (v >= best[c - c0]) {
                      best[c - c0] = v;
                      arg[c - c0] = base + c;
                    }
                  }
                }
              }
            }
            const int64_t obase = (((n * OD + od) * OH + oh) * OW + ow) * C;
            for (int64_t c = c0; c < c1; ++c) {
              if (arg[c - c0] >= 0) dx[arg[c - c0]] += dy[obase + c];
            }
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Fused group/instance normalisation and ReLU (tfjs has no fused kernels for them; composed from
// elementwise ops they cost a dozen passes over the activation each way). Layout: x is
// [n, s, c] (s = product of the spatial sizes, channels last), groups of c / g consecutive
// channels. Statistics are accumulated in double per thread over a static split of s and summed in
// thread order, so results are deterministic for a given thread count.

struct NormDims {
  int64_t n, s, c, g, cg;
};

NormDims ReadNormDims(const Napi::Value &v) {
  auto a = v.As<Napi::Int32Array>();
  if (a.ElementLength() != 4) throw Napi::RangeError::New(v.Env(), "groupNorm dims: expected [n, s, c, groups]");
  NormDims d{a[0], a[1], a[2], a[3], 0};
  if (d.n < 0 || d.s < 0 || d.c < 1 || d.g < 1 || d.c % d.g != 0) {
    throw Napi::RangeError::New(v.Env(), "groupNorm dims: groups must divide the channels");
  }
  d.cg = d.c / d.g;
  return d;
}

int MaxThreads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

int ThreadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Below this many elements a pass runs on one thread (forking costs more than it saves).
constexpr int64_t kParallelMin = 1 << 15;

// Per-channel sums over the voxels of one sample: acc0[c] += f0(p, c), acc1[c] += f1(p, c), with p
// the voxel's offset. Thread partials are summed in thread order.
template <typename F>
void ChannelSums(int64_t S, int64_t C, std::vector<double> &out0, std::vector<double> &out1, F f) {
  const int T = (S * C >= kParallelMin) ? MaxThreads() : 1;
  std::vector<double> part(static_cast<size_t>(T) * 2 * C, 0.0);
#pragma omp parallel num_threads(T)
  {
    double *a0 = part.data() + static_cast<size_t>(ThreadId()) * 2 * C;
    double *a1 = a0 + C;
#pragma omp for schedule(static)
    for (int64_t s = 0; s < S; ++s) f(s * C, a0, a1);
  }
  std::fill(out0.begin(), out0.end(), 0.0);
  std::fill(out1.begin(), out1.end(), 0.0);
  for (int t = 0; t < T; ++t) {
    const double *a0 = part.data() + static_cast<size_t>(t) * 2 * C;
    for (int64_t c = 0; c < C; ++c) {
      out0[c] += a0[c];
      out1[c] += a0[C + c];
    }
  }
}

// groupNormForward(x, gamma, beta, y, mean, invStd, dims [n, s, c, groups], eps)
Napi::Value GroupNormForward(const Napi::CallbackInfo &info) {
  const NormDims d = ReadNormDims(info[6]);
  const size_t total = static_cast<size_t>(d.n * d.s * d.c);
  const float *x = F32(info[0], total, "groupNorm x");
  const float *gamma = F32(info[1], d.c, "groupNorm gamma");
  const float *beta = F32(info[2], d.c, "groupNorm beta");
  float *y = F32(info[3], total, "groupNorm y");
  float *mean = F32(info[4], d.n * d.g, "groupNorm mean");
  float *inv = F32(info[5], d.n * d.g, "groupNorm invStd");
  const double eps = info[7].As<Napi::Number>().DoubleValue();
  const int64_t S = d.s, C = d.c, CG = d.cg;
  const double M = static_cast<double>(S * CG);
  std::vector<double> sum(C), sq(C), shift(C);
  std::vector<float> a(C), b(C);
  for (int64_t n = 0; n < d.n; ++n) {
    const float *xn = x + n * S * C;
    float *yn = y + n * S * C;
    // Sums of x - k, k the group's first value: accurate even when the mean dwarfs the spread.
    for (int64_t c = 0; c < C; ++c) shift[c] = S > 0 ? xn[c - c % CG] : 0.0;
    const double *k = shift.data();
    ChannelSums(S, C, sum, sq, [&](int64_t p, double *a0, double *a1) {
      for (int64_t c = 0; c < C; ++c) {
        const double v = static_cast<double>(xn[p + c]) - k[c];
        a0[c] += v;
        a1[c] += v * v;
      }
    });
    for (int64_t g = 0; g < d.g; ++g) {
      double s1 = 0, s2 = 0;
      for (int64_t c = g * CG; c < (g + 1) * CG; ++c) {
        s1 += sum[c];
        s2 += sq[c];
      }
      const double dm = M > 0 ? s1 / M : 0.0;
      const double var = M > 0 ? std::max(s2 / M - dm * dm, 0.0) : 0.0;
      const double mu = shift[g * CG] + dm;
      const double is = 1.0 / std::sqrt(var + eps);
      mean[n * d.g + g] = static_cast<float>(mu);
      inv[n * d.g + g] = static_cast<float>(is);
      for (int64_t c = g * CG; c < (g + 1) * CG; ++c) {
        const double ac = is * gamma[c];
        a[c] = static_cast<float>(ac);
        b[c] = static_cast<float>(beta[c] - mu * ac);
      }
    }
    const float *af = a.data();
    const float *bf = b.data();
#pragma omp parallel for schedule(static) if (S * C >= kParallelMin)
    for (int64_t s = 0; s < S; ++s) {
      const float *xp = xn + s * C;
      float *yp = yn + s * C;
      for (int64_t c = 0; c < C; ++c) yp[c] = xp[c] * af[c] + bf[c];
    }
  }
  return info.Env().Undefined();
}

// groupNormBackward(dy, x, mean, invStd, gamma, dx, dGamma, dBeta, dims [n, s, c, groups])
Napi::Value GroupNormBackward(const Napi::CallbackInfo &info) {
  const NormDims d = ReadNormDims(info[8]);
  const size_t total = static_cast<size_t>(d.n * d.s * d.c);
  const float *dy = F32(info[0], total, "groupNormGrad dy");
  const float *x = F32(info[1], total, "groupNormGrad x");
  const float *mean = F32(info[2], d.n * d.g, "groupNormGrad mean");
  const float *inv = F32(info[3], d.n * d.g, "groupNormGrad invStd");
  const float *gamma = F32(info[4], d.c, "groupNormGrad gamma");
  float *dx = F32(info[5], total, "groupNormGrad dx");
  float *dgamma = F32(info[6], d.c, "groupNormGrad dGamma");
  float *dbeta = F32(info[7], d.c, "groupNormGrad dBeta");
  const int64_t S = d.s, C = d.c, CG = d.cg;
  const double M = static_cast<double>(S * CG);
  std::vector<double> sdy(C), sdyx(C), mu(C), dg(C, 0.0), db(C, 0.0);
  std::vector<float> p0(C), q0(C), r0(C);
  for (int64_t n = 0; n < d.n; ++n) {
    const float *xn = x + n * S * C;
    const float *dyn = dy + n * S * C;
    float *dxn = dx + n * S * C;
    for (int64_t c = 0; c < C; ++c) mu[c] = mean[n * d.g + c / CG];
    const double *m = mu.data();
    ChannelSums(S, C, sdy, sdyx, [&](int64_t p, double *a0, double *a1) {
      for (int64_t c = 0; c < C; ++c) {
        const double g = dyn[p + c];
        a0[c] += g;
        a1[c] += g * (static_cast<double>(xn[p + c]) - m[c]);
      }
    });
    for (int64_t g = 0; g < d.g; ++g) {
      const double is = inv[n * d.g + g];
      // dx = is * (gamma * dy - A - xhat * B), A and B the group means of gamma*dy and gamma*dy*xhat.
      double sa = 0, sb = 0;
      for (int64_t c = g * CG; c < (g + 1) * CG; ++c) {
        sa += gamma[c] * sdy[c];
        sb += gamma[c] * sdyx[c] * is;
        db[c] += sdy[c];
        dg[c] += sdyx[c] * is;
      }
      const double A = M > 0 ? sa / M : 0.0;
      const double B = M > 0 ? sb / M : 0.0;
      for (int64_t c = g * CG; c < (g + 1) * CG; ++c) {
        const double q = -is * is * B;
        p0[c] = static_cast<float>(is * gamma[c]);
        q0[c] = static_cast<float>(q);
        r0[c] = static_cast<float>(-is * A - mu[c] * q);
      }
    }
    const float *pf = p0.data();
    const float *qf = q0.data();
    const float *rf = r0.data();
#pragma omp parallel for schedule(static) if (S * C >= kParallelMin)
    for (int64_t s = 0; s < S; ++s) {
      const float *xp = xn + s * C;
      const float *gp = dyn + s * C;
      float *op = dxn + s * C;
      for (int64_t c = 0; c < C; ++c) op[c] = gp[c] * pf[c] + xp[c] * qf[c] + rf[c];
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    dgamma[c] = static_cast<float>(dg[c]);
    dbeta[c] = static_cast<float>(db[c]);
  }
  return info.Env().Undefined();
}

size_t Length(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a Float32Array");
  }
  return v.As<Napi::Float32Array>().ElementLength();
}

// relu(x, y): y = max(0, x) as tfjs computes it (NaN stays NaN, -0 becomes +0)
Napi::Value Relu(const Napi::CallbackInfo &info) {
  const size_t n = Length(info[0], "relu x");
  const float *x = F32(info[0], n, "relu x");
  float *y = F32(info[1], n, "relu y");
  const int64_t N = static_cast<int64_t>(n);
#pragma omp parallel for schedule(static) if (N >= kParallelMin)
  for (int64_t i = 0; i < N; ++i) y[i] = x[i] > 0.0f ? x[i] : (x[i] != x[i] ? x[i] : 0.0f);
  return info.Env().Undefined();
}

// reluBackward(dy, x, dx): dx = dy * step(x), step(x) = 1 if x > 0, NaN if x is NaN, else 0 (tfjs)
Napi::Value ReluBackward(const Napi::CallbackInfo &info) {
  const size_t n = Length(info[0], "reluGrad dy");
  const float *dy = F32(info[0], n, "reluGrad dy");
  const float *x = F32(info[1], n, "reluGrad x");
  float *dx = F32(info[2], n, "reluGrad dx");
  const int64_t N = static_cast<int64_t>(n);
  const float nan = std::numeric_limits<float>::quiet_NaN();
#pragma omp parallel for schedule(static) if (N >= kParallelMin)
  for (int64_t i = 0; i < N; ++i) {
    const float v = x[i];
    dx[i] = dy[i] * (v > 0.0f ? 1.0f : (v != v ? nan : 0.0f));
  }
  return info.Env().Undefined();
}

// binary(op, a, b, out): out = a op b elementwise, op 0 add, 1 sub, 2 mul, 3 div; a and b have
// out's length, or one of them has length 1 (a scalar broadcast). Threaded, vectorised.
template <typename F>
void BinaryLoop(const float *a, size_t na, const float *b, size_t nb, float *o, int64_t N, F f) {
  if (na == 1) {
    const float s = a[0];
#pragma omp parallel for schedule(static) if (N >= kParallelMin)
    for (int64_t i = 0; i < N; ++i) o[i] = f(s, b[i]);
  } else if (nb == 1) {
    const float s = b[0];
#pragma omp parallel for schedule(static) if (N >= kParallelMin)
    for (int64_t i = 0; i < N; ++i) o[i] = f(a[i], s);
  } else {
#pragma omp parallel for schedule(static) if (N >= kParallelMin)
    for (int64_t i = 0; i < N; ++i) o[i] = f(a[i], b[i]);
  }
}

Napi::Value Binary(const Napi::CallbackInfo &info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const size_t n = Length(info[3], "binary out");
  const size_t na = Length(info[1], "binary a");
  const size_t nb = Length(info[2], "binary b");
  if ((na != n && na != 1) || (nb != n && nb != 1)) {
    throw Napi::RangeError::New(info.Env(), "binary: operands must have the output's length or length 1");
  }
  const float *a = F32(info[1], na, "binary a");
  const float *b = F32(info[2], nb, "binary b");
  float *o = F32(info[3], n, "binary out");
  const int64_t N = static_cast<int64_t>(n);
  switch (op) {
    case 0: BinaryLoop(a, na, b, nb, o, N, [](float x, float y) { return x + y; }); break;
    case 1: BinaryLoop(a, na, b, nb, o, N, [](float x, float y) { return x - y; }); break;
    case 2: BinaryLoop(a, na, b, nb, o, N, [](float x, float y) { return x * y; }); break;
    case 3: BinaryLoop(a, na, b, nb, o, N, [](float x, float y) { return x / y; }); break;
    default: throw Napi::RangeError::New(info.Env(), "binary: op must be 0 (add), 1 (sub), 2 (mul) or 3 (div)");
  }
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo &info) {
#ifdef _OPENMP
  omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
#endif
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo &info) {
#ifdef _OPENMP
  return Napi::Number::New(info.Env(), omp_get_max_threads());
#else
  return Napi::Number::New(info.Env(), 1);
#endif
}

Napi::Value SetUseAnyLayout(const Napi::CallbackInfo &info) {
  g_use_any = info[0].As<Napi::Boolean>().Value();
  return info.Env().Undefined();
}

Napi::Value ClearCache(const Napi::CallbackInfo &info) {
  g_fwd.clear();
  g_bwd_data.clear();
  g_bwd_wei.clear();
  g_pool_fwd.clear();
  g_pool_bwd.clear();
  ReleaseScratch();
  return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo &info) {
  const dnnl_version_t *v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch));
}

// One lock for the caches, the shared stream and the shared internal buffers: the addon is
// process-wide, so tfjs running in several worker_threads would otherwise race on them.
std::mutex g_lock;

// Wraps a binding so oneDNN errors surface as JS errors naming the call.
template <Napi::Value (*F)(const Napi::CallbackInfo &)>
Napi::Value Guard(const Napi::CallbackInfo &info) {
  std::lock_guard<std::mutex> hold(g_lock);
  try {
    return F(info);
  } catch (const dnnl::error &e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Eng();
  Strm();
  exports.Set("conv3dForward", Napi::Function::New<Guard<Conv3dForward>>(env));
  exports.Set("conv3dBackpropInput", Napi::Function::New<Guard<Conv3dBackpropInput>>(env));
  exports.Set("conv3dBackpropFilter", Napi::Function::New<Guard<Conv3dBackpropFilter>>(env));
  exports.Set("pool3dForward", Napi::Function::New<Guard<Pool3dForward>>(env));
  exports.Set("avgPool3dBackward", Napi::Function::New<Guard<AvgPool3dBackward>>(env));
  exports.Set("maxPool3dBackward", Napi::Function::New<Guard<MaxPool3dBackward>>(env));
  exports.Set("groupNormForward", Napi::Function::New<Guard<GroupNormForward>>(env));
  exports.Set("groupNormBackward", Napi::Function::New<Guard<GroupNormBackward>>(env));
  exports.Set("binary", Napi::Function::New<Guard<Binary>>(env));
  exports.Set("relu", Napi::Function::New<Guard<Relu>>(env));
  exports.Set("reluBackward", Napi::Function::New<Guard<ReluBackward>>(env));
  exports.Set("setNumThreads", Napi::Function::New<Guard<SetNumThreads>>(env));
  exports.Set("getNumThreads", Napi::Function::New<Guard<GetNumThreads>>(env));
  exports.Set("setUseAnyLayout", Napi::Function::New<Guard<SetUseAnyLayout>>(env));
  exports.Set("clearCache", Napi::Function::New<Guard<ClearCache>>(env));
  exports.Set("onednnVersion", Napi::Function::New<Guard<Version>>(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(voxnas_kernels, Init)
