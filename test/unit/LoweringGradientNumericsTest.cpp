//===- LoweringGradientNumericsTest.cpp - backward ops' numbers -----------===//
//
// The gradient half of the numeric lowering tests: every backward op of
// CNNGradientOps.td is compiled through the real CPU pipeline
// (LoweringTestUtil.h) and compared with the plain C++ loops of
// test/reference/ReferenceGradients.h, which are written from the ops'
// descriptions and PyTorch, not from the lowering. Shapes are the ones the
// shipped models differentiate (LeNet-5's padded C1, the C3 connection table
// of 1998, AlexNet's strided 11x11 convolution, overlapping pools, LRN) plus
// the attribute corners (groups, dilation, padding wider than the kernel,
// ties in max pooling, dynamic batches). Dropout's mask and the optimizers
// are in LoweringTrainingNumericsTest.cpp.
//
// Tolerance: 1e-5 absolute or 1e-4 relative per element (expectClose).
//
//===----------------------------------------------------------------------===//

#include "LoweringTestUtil.h"

#include "test/reference/ReferenceGradients.h"

#include <sstream>

using namespace cnnc::test;

namespace {

class GradientNumerics : public LoweringNumericsTest {
protected:
  std::mt19937 rng{20240612};
};

/// `tensor<AxBx...xf32>`, with `?` for a dynamic batch when `dynBatch`.
std::string tensorType(const std::vector<int64_t> &shape, bool dynBatch = false,
                       const char *elt = "f32") {
  std::ostringstream os;
  os << "tensor<";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i == 0 && dynBatch)
      os << "?";
    else
      os << shape[i];
    os << "x";
  }
  os << elt << ">";
  return os.str();
}

/// The `connections dense<...> : tensor<FxCxi1>` clause of a table.
std::string connectionsClause(const std::vector<std::vector<bool>> &table) {
  std::ostringstream os;
  os << "connections dense<[";
  for (size_t f = 0; f < table.size(); ++f) {
    os << (f ? ", [" : "[");
    for (size_t c = 0; c < table[f].size(); ++c)
      os << (c ? ", " : "") << (table[f][c] ? "true" : "false");
    os << "]";
  }
  os << "]> : tensor<" << table.size() << "x" << table[0].size() << "xi1>";
  return os.str();
}

/// LeNet-5's C3 table (LeCun et al. 1998, Table I) as [16][6].
std::vector<std::vector<bool>> lenetC3Table() {
  const std::vector<std::vector<int>> reads = {
      {0, 1, 2},    {1, 2, 3},    {2, 3, 4},    {3, 4, 5},
      {0, 4, 5},    {0, 1, 5},    {0, 1, 2, 3}, {1, 2, 3, 4},
      {2, 3, 4, 5}, {0, 3, 4, 5}, {0, 1, 4, 5}, {0, 1, 2, 5},
      {0, 1, 3, 4}, {1, 2, 4, 5}, {0, 2, 3, 5}, {0, 1, 2, 3, 4, 5}};
  std::vector<std::vector<bool>> table(16, std::vector<bool>(6, false));
  for (size_t f = 0; f < reads.size(); ++f)
    for (int c : reads[f])
      table[f][c] = true;
  return table;
}

/// The attribute clauses of a conv backward op for `p`.
std::string convAttrs(const ref::Conv2DParams &p) {
  std::ostringstream os;
  os << " stride [" << p.stride[0] << ", " << p.stride[1] << "] padding ["
     << p.padding[0] << ", " << p.padding[1] << "] dilation [" << p.dilation[0]
     << ", " << p.dilation[1] << "] groups " << p.groups;
  if (!p.connections.empty())
    os << " " << connectionsClause(p.connections);
  return os.str();
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// Compiles conv2d_backward_input and conv2d_backward_weight of one forward
/// convolution x [N, C, H, W] * w [F, C/groups, KH, KW] in one function and
/// checks both on random x, w and grad_output.
class ConvBackward : public GradientNumerics {
protected:
  void check(std::vector<int64_t> xShape, std::vector<int64_t> wShape,
             const ref::Conv2DParams &p, bool dynBatch = false) {
    HostTensor x = randomTensor(rng, xShape);
    HostTensor w = randomTensor(rng, wShape);
    ref::Pair in = {xShape[2], xShape[3]}, k = {wShape[2], wShape[3]};
    std::vector<int64_t> gyShape = {xShape[0], wShape[0]};
    for (int i = 0; i < 2; ++i)
      gyShape.push_back(ref::windowOutputSize(in[i], k[i], p.stride[i],
                                              p.padding[i], p.dilation[i]));
    HostTensor gy = randomTensor(rng, gyShape);
    std::string tx = tensorType(xShape, dynBatch), tw = tensorType(wShape),
                tgy = tensorType(gyShape, dynBatch), attrs = convAttrs(p);
    std::string source =
        "func.func @f(%gy: " + tgy + ", %w: " + tw + ", %x: " + tx + ") -> (" +
        tx + ", " + tw + ") {\n" +
        "  %0 = cnn.conv2d_backward_input %gy, %w input_size [" +
        std::to_string(in[0]) + ", " + std::to_string(in[1]) + "]" + attrs +
        " : (" + tgy + ", " + tw + ") -> " + tx +
        "\n  %1 = cnn.conv2d_backward_weight %x, %gy kernel [" +
        std::to_string(k[0]) + ", " + std::to_string(k[1]) + "]" + attrs +
        " : (" + tx + ", " + tgy + ") -> " + tw + "\n  return %0, %1 : " + tx +
        ", " + tw + "\n}\n";
    std::vector<HostTensor> got = runN(source, {gy, w, x}, 2);
    {
      SCOPED_TRACE("grad_input");
      expectClose(got[0], ref::conv2dBackwardInput(gy, w, in, p));
    }
    {
      SCOPED_TRACE("grad_weight");
      expectClose(got[1], ref::conv2dBackwardWeight(x, gy, k, p));
    }
  }
};

TEST_F(ConvBackward, LeNetC1Padding2DynamicBatch) {
  ref::Conv2DParams p;
  p.padding = {2, 2};
  check({2, 1, 28, 28}, {6, 1, 5, 5}, p, /*dynBatch=*/true);
}

TEST_F(ConvBackward, LeNetC3ConnectionTable) {
  ref::Conv2DParams p;
  p.connections = lenetC3Table();
  check({2, 6, 14, 14}, {16, 6, 5, 5}, p, /*dynBatch=*/true);
}

TEST_F(ConvBackward, AlexNetStride4OutputRoundsDown) {
  // (61 + 2·2 - 11) / 4 = 13.5: the last input columns feed no output.
  ref::Conv2DParams p;
  p.stride = {4, 4};
  p.padding = {2, 2};
  check({2, 3, 61, 61}, {4, 3, 11, 11}, p);
}

TEST_F(ConvBackward, Groups2Stride2Padding1) {
  ref::Conv2DParams p;
  p.stride = {2, 2};
  p.padding = {1, 1};
  p.groups = 2;
  check({2, 4, 8, 8}, {6, 2, 3, 3}, p);
}

TEST_F(ConvBackward, Dilation2Stride2) {
  ref::Conv2DParams p;
  p.stride = {2, 2};
  p.dilation = {2, 2};
  check({2, 3, 13, 13}, {4, 3, 3, 3}, p);
}

TEST_F(ConvBackward, AsymmetricAttributes) {
  ref::Conv2DParams p;
  p.stride = {1, 3};
  p.padding = {2, 0};
  p.dilation = {1, 2};
  check({1, 2, 7, 11}, {3, 2, 2, 3}, p);
}

TEST_F(ConvBackward, Stride1x3OverPhases) {
  // Undilated, so the weight gradient runs over the input's phases.
  ref::Conv2DParams p;
  p.stride = {1, 3};
  p.padding = {2, 0};
  check({1, 2, 7, 11}, {3, 2, 2, 3}, p, /*dynBatch=*/true);
}

TEST_F(ConvBackward, PaddingWiderThanKernel) {
  // The outermost outputs read only padding: they contribute nothing.
  ref::Conv2DParams p;
  p.stride = {2, 2};
  p.padding = {3, 3};
  check({1, 2, 6, 6}, {2, 2, 3, 3}, p);
}

TEST_F(GradientNumerics, BiasBackward) {
  HostTensor conv = randomTensor(rng, {2, 6, 5, 5});
  HostTensor dense = randomTensor(rng, {3, 10});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%a: tensor<?x6x5x5xf32>, %b: tensor<?x10xf32>) -> (tensor<6xf32>, tensor<10xf32>) {
  %0 = cnn.bias_backward %a : tensor<?x6x5x5xf32> -> tensor<6xf32>
  %1 = cnn.bias_backward %b : tensor<?x10xf32> -> tensor<10xf32>
  return %0, %1 : tensor<6xf32>, tensor<10xf32>
})mlir",
                                     {conv, dense}, 2);
  expectClose(got[0], ref::biasBackward(conv));
  expectClose(got[1], ref::biasBackward(dense));
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

std::string poolSource(const char *op, const ref::Pool2DParams &p,
                       const std::vector<int64_t> &gyShape,
                       const std::vector<int64_t> &xShape, bool dynBatch) {
  std::string tgy = tensorType(gyShape, dynBatch),
              tx = tensorType(xShape, dynBatch);
  std::ostringstream os;
  os << "func.func @f(%gy: " << tgy << ", %x: " << tx << ") -> " << tx
     << " {\n  %0 = cnn." << op << " %gy";
  bool max = std::string(op) == "max_pool2d_backward";
  if (max)
    os << ", %x";
  os << " kernel [" << p.kernel[0] << ", " << p.kernel[1] << "] stride ["
     << p.stride[0] << ", " << p.stride[1] << "] padding [" << p.padding[0]
     << ", " << p.padding[1] << "]";
  if (max)
    os << " : (" << tgy << ", " << tx << ") -> " << tx;
  else
    os << " input_size [" << xShape[2] << ", " << xShape[3] << "] : " << tgy
       << " -> " << tx;
  os << "\n  return %0 : " << tx << "\n}\n";
  return os.str();
}

/// Checks avg_pool2d_backward and max_pool2d_backward for one pool on `x`.
class PoolBackward : public GradientNumerics {
protected:
  void check(const HostTensor &x, const ref::Pool2DParams &p,
             bool dynBatch = false) {
    std::vector<int64_t> gyShape = {x.shape[0], x.shape[1]};
    for (int i = 0; i < 2; ++i)
      gyShape.push_back(ref::windowOutputSize(x.shape[2 + i], p.kernel[i],
                                              p.stride[i], p.padding[i]));
    HostTensor gy = randomTensor(rng, gyShape);
    {
      SCOPED_TRACE("avg_pool2d_backward");
      HostTensor got = runAll(
          poolSource("avg_pool2d_backward", p, gyShape, x.shape, dynBatch),
          {gy, x})[0];
      expectClose(got, ref::avgPool2dBackward(gy, {x.shape[2], x.shape[3]}, p));
    }
    {
      SCOPED_TRACE("max_pool2d_backward");
      HostTensor got = runAll(
          poolSource("max_pool2d_backward", p, gyShape, x.shape, dynBatch),
          {gy, x})[0];
      expectClose(got, ref::maxPool2dBackward(gy, x, p));
    }
  }
};

TEST_F(PoolBackward, LeNetS2Pool2x2Stride2) {
  check(randomTensor(rng, {2, 6, 28, 28}), {{2, 2}, {2, 2}, {0, 0}},
        /*dynBatch=*/true);
}

TEST_F(PoolBackward, Overlapping3x3Stride2) {
  check(randomTensor(rng, {2, 3, 13, 13}), {{3, 3}, {2, 2}, {0, 0}});
}

TEST_F(PoolBackward, Overlapping3x3Stride2TiesGoToTheFirstMaximum) {
  // A constant input: every window is a tie, won by its first element.
  HostTensor x = zeros({2, 3, 7, 7});
  std::fill(x.data.begin(), x.data.end(), 0.5f);
  check(x, {{3, 3}, {2, 2}, {0, 0}});
}

TEST_F(PoolBackward, PaddedNegativeInput) {
  // All negative, so padding (zero for the average, -inf for the maximum)
  // must never win a window.
  check(randomTensor(rng, {2, 2, 7, 7}, -2.0f, -0.5f), {{3, 3}, {2, 2}, {1, 1}},
        /*dynBatch=*/true);
}

TEST_F(PoolBackward, PaddedConstantInputTies) {
  HostTensor x = zeros({1, 2, 6, 6});
  std::fill(x.data.begin(), x.data.end(), -1.0f);
  check(x, {{3, 3}, {2, 2}, {1, 1}});
}

TEST_F(PoolBackward, AsymmetricWindowsWithGaps) {
  // Stride 3 over a 2-row window leaves rows no window reads.
  check(randomTensor(rng, {1, 2, 11, 9}), {{2, 3}, {3, 1}, {1, 1}});
}

TEST_F(GradientNumerics, Subsample2DBackwardLeNetS2) {
  HostTensor gy = randomTensor(rng, {2, 6, 14, 14});
  HostTensor coefficient = randomTensor(rng, {6});
  HostTensor x = randomTensor(rng, {2, 6, 28, 28});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%gy: tensor<?x6x14x14xf32>, %c: tensor<6xf32>, %x: tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>) {
  %0 = cnn.subsample2d_backward_input %gy, %c kernel [2, 2] stride [2, 2] input_size [28, 28] : (tensor<?x6x14x14xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
  %1 = cnn.subsample2d_backward_coefficient %gy, %x kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> tensor<6xf32>
  return %0, %1 : tensor<?x6x28x28xf32>, tensor<6xf32>
})mlir",
                                     {gy, coefficient, x}, 2);
  expectClose(got[0], ref::subsample2dBackwardInput(gy, coefficient, {2, 2},
                                                    {2, 2}, {28, 28}));
  expectClose(got[1],
              ref::subsample2dBackwardCoefficient(gy, x, {2, 2}, {2, 2}));
}

TEST_F(GradientNumerics, Subsample2DBackwardOverlappingOddSize) {
  HostTensor gy = randomTensor(rng, {2, 3, 3, 3});
  HostTensor coefficient = randomTensor(rng, {3});
  HostTensor x = randomTensor(rng, {2, 3, 8, 8});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%gy: tensor<2x3x3x3xf32>, %c: tensor<3xf32>, %x: tensor<2x3x8x8xf32>) -> (tensor<2x3x8x8xf32>, tensor<3xf32>) {
  %0 = cnn.subsample2d_backward_input %gy, %c kernel [3, 3] stride [2, 2] input_size [8, 8] : (tensor<2x3x3x3xf32>, tensor<3xf32>) -> tensor<2x3x8x8xf32>
  %1 = cnn.subsample2d_backward_coefficient %gy, %x kernel [3, 3] stride [2, 2] : (tensor<2x3x3x3xf32>, tensor<2x3x8x8xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<2x3x8x8xf32>, tensor<3xf32>
})mlir",
                                     {gy, coefficient, x}, 2);
  expectClose(got[0], ref::subsample2dBackwardInput(gy, coefficient, {3, 3},
                                                    {2, 2}, {8, 8}));
  expectClose(got[1],
              ref::subsample2dBackwardCoefficient(gy, x, {3, 3}, {2, 2}));
}

//===----------------------------------------------------------------------===//
// The fused backward of a pool, an activation and a bias
//===----------------------------------------------------------------------===//

/// fused_pool_act_backward against the chain of reference gradients it
/// fuses: the pool's backward (none when `pool` is empty), act' and the bias
/// sum. The map is act of random numbers, so it lies in the activation's
/// range (ReLU's zeros tie in max windows).
class FusedPoolActBackward : public GradientNumerics {
protected:
  struct Pool {
    const char *kind; // "avg" or "max"
    ref::Pool2DParams params;
  };

  void check(const HostTensor &preActivation, const char *actName,
             ref::Activation act, std::optional<Pool> pool,
             bool dynBatch = false) {
    HostTensor map = ref::activate(preActivation, act);
    std::vector<int64_t> gyShape = map.shape;
    if (pool)
      for (int i = 0; i < 2; ++i)
        gyShape[2 + i] = ref::windowOutputSize(
            map.shape[2 + i], pool->params.kernel[i], pool->params.stride[i],
            pool->params.padding[i]);
    HostTensor gy = randomTensor(rng, gyShape);
    std::string tgy = tensorType(gyShape, dynBatch),
                tmap = tensorType(map.shape, dynBatch),
                tbias = tensorType({map.shape[1]});
    std::ostringstream os;
    os << "func.func @f(%gy: " << tgy << ", %y: " << tmap << ") -> (" << tmap
       << ", " << tbias << ") {\n  %0:2 = cnn.fused_pool_act_backward %gy, "
       << "%y act " << actName;
    if (pool) {
      const ref::Pool2DParams &p = pool->params;
      os << " pool " << pool->kind << " kernel [" << p.kernel[0] << ", "
         << p.kernel[1] << "] stride [" << p.stride[0] << ", " << p.stride[1]
         << "] pool_padding [" << p.padding[0] << ", " << p.padding[1] << "]";
    }
    os << " : (" << tgy << ", " << tmap << ") -> (" << tmap << ", " << tbias
       << ")\n  return %0#0, %0#1 : " << tmap << ", " << tbias << "\n}\n";
    std::vector<HostTensor> got = runN(os.str(), {gy, map}, 2);

    HostTensor spread = gy;
    if (pool && std::string(pool->kind) == "avg")
      spread = ref::avgPool2dBackward(gy, {map.shape[2], map.shape[3]},
                                      pool->params);
    else if (pool)
      spread = ref::maxPool2dBackward(gy, map, pool->params);
    HostTensor gradInput = ref::activationBackward(spread, map, act);
    expectClose(got[0], gradInput);
    expectClose(got[1], ref::biasBackward(gradInput));
  }

  static Pool pool2x2(const char *kind) {
    return {kind, {{2, 2}, {2, 2}, {0, 0}}};
  }
};

TEST_F(FusedPoolActBackward, LeNetC1AvgTanh) {
  // 28 columns: a full 16-lane chunk and a masked one of 12.
  check(randomTensor(rng, {2, 6, 28, 28}, -2.0f, 2.0f), "tanh",
        ref::Activation::Tanh, pool2x2("avg"), /*dynBatch=*/true);
}

TEST_F(FusedPoolActBackward, LeNetC3EveryActivationBothPools) {
  const std::pair<const char *, ref::Activation> acts[] = {
      {"tanh", ref::Activation::Tanh},
      {"scaled_tanh", ref::Activation::ScaledTanh},
      {"relu", ref::Activation::Relu},
      {"sigmoid", ref::Activation::Sigmoid}};
  for (auto [name, act] : acts)
    for (const char *kind : {"avg", "max"}) {
      SCOPED_TRACE(std::string(name) + " " + kind);
      check(randomTensor(rng, {3, 16, 10, 10}, -3.0f, 3.0f), name, act,
            pool2x2(kind));
    }
}

TEST_F(FusedPoolActBackward, MaxReluMostlyZeros) {
  // Mostly negative before ReLU: many windows are all zeros (ties whose
  // gradient ReLU's zero slope hides; MaxConstantMapTies checks ties).
  check(randomTensor(rng, {2, 6, 28, 28}, -2.0f, 0.5f), "relu",
        ref::Activation::Relu, pool2x2("max"), /*dynBatch=*/true);
}

TEST_F(FusedPoolActBackward, MaxConstantMapTies) {
  // Every window a tie, won by its first element in row-major order.
  HostTensor x = zeros({1, 3, 6, 34});
  std::fill(x.data.begin(), x.data.end(), 0.25f);
  check(x, "sigmoid", ref::Activation::Sigmoid, pool2x2("max"));
}

TEST_F(FusedPoolActBackward, AvgThreeChunksPerRow) {
  // 34 columns: two full chunks and one of 2 lanes.
  check(randomTensor(rng, {2, 2, 6, 34}), "scaled_tanh",
        ref::Activation::ScaledTanh, pool2x2("avg"));
}

TEST_F(FusedPoolActBackward, NoPoolOddWidth) {
  check(randomTensor(rng, {2, 4, 13, 13}, -1.0f, 1.0f), "relu",
        ref::Activation::Relu, std::nullopt, /*dynBatch=*/true);
}

TEST_F(FusedPoolActBackward, OverlappingPaddedMaxAsTheChain) {
  // AlexNet's 3x3/2 windows (with padding here): lowered as the chain.
  check(randomTensor(rng, {2, 3, 13, 13}, -1.0f, 1.0f), "relu",
        ref::Activation::Relu, Pool{"max", {{3, 3}, {2, 2}, {1, 1}}});
}

TEST_F(FusedPoolActBackward, Pool2x2OverOddMapAsTheChain) {
  // The last row and column are in no window: their gradient is zero.
  check(randomTensor(rng, {2, 3, 9, 9}), "tanh", ref::Activation::Tanh,
        pool2x2("avg"));
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping
//===----------------------------------------------------------------------===//

TEST_F(GradientNumerics, ActivationBackwardEveryActivation) {
  // The derivative reads the forward output, so feed each its real range
  // (ReLU's zeros included).
  HostTensor gy = randomTensor(rng, {2, 3, 4, 4});
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -3.0f, 3.0f);
  const ref::Activation acts[] = {
      ref::Activation::Tanh, ref::Activation::ScaledTanh, ref::Activation::Relu,
      ref::Activation::Sigmoid};
  std::vector<Arg> args = {gy};
  for (ref::Activation act : acts)
    args.push_back(ref::activate(x, act));
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%gy: tensor<?x3x4x4xf32>, %t: tensor<?x3x4x4xf32>, %s: tensor<?x3x4x4xf32>, %r: tensor<?x3x4x4xf32>, %g: tensor<?x3x4x4xf32>)
    -> (tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>) {
  %0 = cnn.activation_backward %gy, %t act tanh : tensor<?x3x4x4xf32>
  %1 = cnn.activation_backward %gy, %s act scaled_tanh : tensor<?x3x4x4xf32>
  %2 = cnn.activation_backward %gy, %r act relu : tensor<?x3x4x4xf32>
  %3 = cnn.activation_backward %gy, %g act sigmoid : tensor<?x3x4x4xf32>
  return %0, %1, %2, %3 : tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>
})mlir",
                                     args, 4);
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("activation " + std::to_string(i));
    expectClose(got[i],
                ref::activationBackward(gy, args[i + 1].tensor, acts[i]));
  }
}

TEST_F(GradientNumerics, DenseBackwardInputAndWeight) {
  HostTensor gy = randomTensor(rng, {3, 10});
  HostTensor w = randomTensor(rng, {10, 84});
  HostTensor x = randomTensor(rng, {3, 84});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%gy: tensor<?x10xf32>, %w: tensor<10x84xf32>, %x: tensor<?x84xf32>) -> (tensor<?x84xf32>, tensor<10x84xf32>) {
  %0 = cnn.dense_backward_input %gy, %w : (tensor<?x10xf32>, tensor<10x84xf32>) -> tensor<?x84xf32>
  %1 = cnn.dense_backward_weight %gy, %x : (tensor<?x10xf32>, tensor<?x84xf32>) -> tensor<10x84xf32>
  return %0, %1 : tensor<?x84xf32>, tensor<10x84xf32>
})mlir",
                                     {gy, w, x}, 2);
  expectClose(got[0], ref::denseBackwardInput(gy, w));
  expectClose(got[1], ref::denseBackwardWeight(gy, x));
}

TEST_F(GradientNumerics, Unflatten) {
  HostTensor a = randomTensor(rng, {2, 84});
  HostTensor b = randomTensor(rng, {3, 120});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%a: tensor<?x84xf32>, %b: tensor<3x120xf32>) -> (tensor<?x21x2x2xf32>, tensor<3x120x1x1xf32>) {
  %0 = cnn.unflatten %a sizes [21, 2, 2] : tensor<?x84xf32> -> tensor<?x21x2x2xf32>
  %1 = cnn.unflatten %b sizes [120, 1, 1] : tensor<3x120xf32> -> tensor<3x120x1x1xf32>
  return %0, %1 : tensor<?x21x2x2xf32>, tensor<3x120x1x1xf32>
})mlir",
                                     {a, b}, 2);
  expectClose(got[0], ref::unflatten(a, {21, 2, 2}));
  expectClose(got[1], ref::unflatten(b, {120, 1, 1}));
}

TEST_F(GradientNumerics, ConcatBackwardSlicesEachInput) {
  // Slices at the start, in the middle and along the last axis; one feeds an
  // activation gradient, which reads it as a view of gy.
  HostTensor gy = randomTensor(rng, {2, 16, 5, 5});
  HostTensor y =
      ref::activate(randomTensor(rng, {2, 10, 5, 5}), ref::Activation::Tanh);
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%gy: tensor<?x16x5x5xf32>, %y: tensor<?x10x5x5xf32>)
    -> (tensor<?x6x5x5xf32>, tensor<?x10x5x5xf32>, tensor<?x16x5x2xf32>) {
  %0 = cnn.concat_backward %gy axis 1 offset 0 size 6 : tensor<?x16x5x5xf32> -> tensor<?x6x5x5xf32>
  %1 = cnn.concat_backward %gy axis 1 offset 6 size 10 : tensor<?x16x5x5xf32> -> tensor<?x10x5x5xf32>
  %2 = cnn.activation_backward %1, %y act tanh : tensor<?x10x5x5xf32>
  %3 = cnn.concat_backward %gy axis 3 offset 3 size 2 : tensor<?x16x5x5xf32> -> tensor<?x16x5x2xf32>
  return %0, %2, %3 : tensor<?x6x5x5xf32>, tensor<?x10x5x5xf32>, tensor<?x16x5x2xf32>
})mlir",
                                     {gy, y}, 3);
  expectClose(got[0], ref::concatBackward(gy, 1, 0, 6));
  expectClose(got[1], ref::activationBackward(ref::concatBackward(gy, 1, 6, 10),
                                              y, ref::Activation::Tanh));
  expectClose(got[2], ref::concatBackward(gy, 3, 3, 2));
}

//===----------------------------------------------------------------------===//
// Normalisation, softmax, losses
//===----------------------------------------------------------------------===//

TEST_F(GradientNumerics, LocalResponseNormBackwardAlexNet) {
  // Values up to 10 so the cross-channel term is far from negligible.
  HostTensor gy = randomTensor(rng, {2, 7, 3, 3});
  HostTensor x = randomTensor(rng, {2, 7, 3, 3}, -10.0f, 10.0f);
  HostTensor got = run(R"mlir(
func.func @f(%gy: tensor<?x7x3x3xf32>, %x: tensor<?x7x3x3xf32>) -> tensor<?x7x3x3xf32> {
  %0 = cnn.local_response_norm_backward %gy, %x size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0 : tensor<?x7x3x3xf32>
  return %0 : tensor<?x7x3x3xf32>
})mlir",
                       {gy, x});
  expectClose(got, ref::localResponseNormBackward(gy, x, 5, 1e-4, 0.75, 2.0));
}

TEST_F(GradientNumerics, LocalResponseNormBackwardEvenSize) {
  // Size 4: the window is 2 channels before, 1 after, and the gradient's
  // mirrored window 1 before, 2 after; a large alpha makes it matter.
  HostTensor gy = randomTensor(rng, {2, 6, 2, 2});
  HostTensor x = randomTensor(rng, {2, 6, 2, 2}, -3.0f, 3.0f);
  HostTensor got = run(R"mlir(
func.func @f(%gy: tensor<2x6x2x2xf32>, %x: tensor<2x6x2x2xf32>) -> tensor<2x6x2x2xf32> {
  %0 = cnn.local_response_norm_backward %gy, %x size 4 alpha 5.0e-01 beta 7.5e-01 k 1.0 : tensor<2x6x2x2xf32>
  return %0 : tensor<2x6x2x2xf32>
})mlir",
                       {gy, x});
  expectClose(got, ref::localResponseNormBackward(gy, x, 4, 0.5, 0.75, 1.0));
}

TEST_F(GradientNumerics, SoftmaxAndLogSoftmaxBackwardAxes) {
  HostTensor gy2 = randomTensor(rng, {3, 10});
  HostTensor y2 = ref::softmax(randomTensor(rng, {3, 10}, -5.0f, 5.0f), 1);
  HostTensor gy3 = randomTensor(rng, {2, 3, 4});
  HostTensor x3 = randomTensor(rng, {2, 3, 4}, -5.0f, 5.0f);
  HostTensor y3a0 = ref::softmax(x3, 0), y3a2 = ref::softmax(x3, 2);
  HostTensor l2 = ref::logSoftmax(randomTensor(rng, {3, 10}, -5.0f, 5.0f), 1);
  HostTensor l3 = ref::logSoftmax(x3, 2);
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%gy2: tensor<?x10xf32>, %y2: tensor<?x10xf32>, %gy3: tensor<2x3x4xf32>, %a0: tensor<2x3x4xf32>, %a2: tensor<2x3x4xf32>, %l2: tensor<?x10xf32>, %l3: tensor<2x3x4xf32>)
    -> (tensor<?x10xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<?x10xf32>, tensor<2x3x4xf32>) {
  %0 = cnn.softmax_backward %gy2, %y2 : tensor<?x10xf32>
  %1 = cnn.softmax_backward %gy3, %a0 axis 0 : tensor<2x3x4xf32>
  %2 = cnn.softmax_backward %gy3, %a2 axis 2 : tensor<2x3x4xf32>
  %3 = cnn.log_softmax_backward %gy2, %l2 : tensor<?x10xf32>
  %4 = cnn.log_softmax_backward %gy3, %l3 axis 2 : tensor<2x3x4xf32>
  return %0, %1, %2, %3, %4 : tensor<?x10xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<?x10xf32>, tensor<2x3x4xf32>
})mlir",
                                     {gy2, y2, gy3, y3a0, y3a2, l2, l3}, 5);
  expectClose(got[0], ref::softmaxBackward(gy2, y2, 1));
  expectClose(got[1], ref::softmaxBackward(gy3, y3a0, 0));
  expectClose(got[2], ref::softmaxBackward(gy3, y3a2, 2));
  expectClose(got[3], ref::logSoftmaxBackward(gy2, l2, 1));
  expectClose(got[4], ref::logSoftmaxBackward(gy3, l3, 2));
}

TEST_F(GradientNumerics, CrossEntropyAndMSEBackward) {
  HostTensor logits = randomTensor(rng, {4, 10}, -20.0f, 20.0f);
  HostTensor labels = intTensor({4}, {7, 0, 9, 3});
  HostTensor prediction = randomTensor(rng, {4, 10});
  HostTensor target = randomTensor(rng, {4, 10});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%x: tensor<?x10xf32>, %l: tensor<?xi32>, %p: tensor<?x10xf32>, %t: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %0 = cnn.cross_entropy_backward %x, %l : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  %1 = cnn.mse_backward %p, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
})mlir",
                                     {logits, labels, prediction, target}, 2);
  expectClose(got[0], ref::crossEntropyBackward(logits, labels));
  expectClose(got[1], ref::mseBackward(prediction, target));
}

TEST_F(GradientNumerics, CrossEntropyAndMSEBackwardStaticShapes) {
  HostTensor logits = randomTensor(rng, {3, 5}, -5.0f, 5.0f);
  HostTensor labels = intTensor({3}, {4, 4, 0});
  HostTensor prediction = randomTensor(rng, {2, 3, 2});
  HostTensor target = randomTensor(rng, {2, 3, 2});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%x: tensor<3x5xf32>, %l: tensor<3xi32>, %p: tensor<2x3x2xf32>, %t: tensor<2x3x2xf32>) -> (tensor<3x5xf32>, tensor<2x3x2xf32>) {
  %0 = cnn.cross_entropy_backward %x, %l : (tensor<3x5xf32>, tensor<3xi32>) -> tensor<3x5xf32>
  %1 = cnn.mse_backward %p, %t : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  return %0, %1 : tensor<3x5xf32>, tensor<2x3x2xf32>
})mlir",
                                     {logits, labels, prediction, target}, 2);
  expectClose(got[0], ref::crossEntropyBackward(logits, labels));
  expectClose(got[1], ref::mseBackward(prediction, target));
}

} // namespace
