//===- GradientCheckTest.cpp - cnn-differentiate against finite differences =//
//
// For whole models: run cnn-differentiate on the front end's loss function,
// evaluate the gradient function with the reference interpreter, and compare
// each parameter's gradient, at sampled elements, with central differences
// of the interpreted loss: (L(p + h) - L(p - h)) / 2h. Dropout is in
// training mode with one seed for every evaluation, so the mask is fixed
// and the loss differentiable. This checks the pass's chain rule (which
// operand gets which gradient, sums over fan-out) and every rule a model
// uses, independently of compiled code; the rules themselves are checked
// one by one in test/unit/ReferenceGradientTest.cpp.
//
// Tolerance: the interpreter keeps f32 tensors (double accumulation), so a
// loss near 2.3 carries ~1e-7 relative rounding; with h = 1e-2 that is
// ~1e-4 of noise in a difference quotient with h = 2e-3. Each sampled
// element must satisfy |fd - grad| <= 5e-4 + 2e-2 * |grad|. A sample within
// h of a ReLU or max-pool kink is recognised by its quotient changing when
// h halves, and skipped; at most a quarter of a model's samples may be.
//
//===----------------------------------------------------------------------===//

#include "ModelSource.h"

#include "compiler/transforms/Passes.h"
#include "test/reference/Interpreter.h"

#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace cnnc;
using namespace cnnc::test;

namespace {

constexpr int64_t kBatch = 3;
constexpr int kSamplesPerParam = 4;
constexpr double kStep = 2e-3;

/// A small model with every layer AlexNet adds to LeNet: overlapping max
/// pooling, local response normalisation, ReLU, dropout.
constexpr const char *kAlexLike = R"mdl(
model alexlike {
  input image: f32[3, 15, 15]
  input label: i32[]
  c1 = relu(conv2d(image, filters=4, kernel=3, stride=2, padding=1))
  p1 = max_pool2d(lrn(c1, size=3, alpha=1e-2, beta=0.75, k=2), kernel=3, stride=2)
  c2 = relu(conv2d(p1, filters=6, kernel=2, padding=1))
  f3 = dropout(relu(dense(flatten(c2), units=12)), rate=0.5)
  logits = dense(f3, units=5)
  output logits
  train {
    loss = cross_entropy(logits, label)
    optimizer = sgd(lr=0.01, momentum=0.9)
  }
}
)mdl";

/// Two branches joined by concat, and a skip joined by add: each branch's
/// weights see only their slice of the joined gradient, which itself sums
/// the convolution's and the skip's. Smooth layers only: with ReLU feeding
/// a max pool over the sum, near-ties within h were so dense that the
/// quotients still drifted at h = 5e-4 (towards the rule's values).
constexpr const char *kBranches = R"mdl(
model branches {
  input image: f32[2, 8, 8]
  input label: i32[]
  a = tanh(conv2d(image, filters=3, kernel=3, padding=1))
  b = sigmoid(conv2d(image, filters=2, kernel=1))
  j = concat(a, image, b)
  c = tanh(conv2d(j, filters=7, kernel=3, padding=1))
  s = add(c, j)
  p = avg_pool2d(s, kernel=2)
  logits = dense(flatten(p), units=4)
  output logits
  train {
    loss = cross_entropy(logits, label)
    optimizer = sgd(lr=0.01)
  }
}
)mdl";

struct GradientCase {
  const char *name;
  const char *path;   // under models/, or null for `source`
  const char *source; // the model's text where path is null
};

std::ostream &operator<<(std::ostream &os, const GradientCase &c) {
  return os << c.name;
}

class GradientCheck : public ::testing::TestWithParam<GradientCase> {};

HostTensor randomFloats(std::vector<int64_t> shape, std::mt19937 &rng,
                        float bound) {
  HostTensor t = zeros(std::move(shape));
  std::uniform_real_distribution<float> u(-bound, bound);
  for (float &v : t.data)
    v = u(rng);
  return t;
}

TEST_P(GradientCheck, GradientsMatchFiniteDifferences) {
  const GradientCase &c = GetParam();
  std::unique_ptr<ModelSource> source =
      c.path ? std::make_unique<ModelSource>(std::string(CNNC_SOURCE_DIR) +
                                             "/models/" + c.path)
             : std::make_unique<ModelSource>(c.source,
                                             std::string(c.name) + ".mdl");
  mlir::ModuleOp module = source->get();
  ASSERT_TRUE(module) << source->messages;
  mlir::PassManager pm(&source->getContext());
  pm.addPass(mlir::cnn::createDifferentiate());
  ASSERT_TRUE(mlir::succeeded(pm.run(module)));

  std::string name = source->forward().getName().str();
  auto loss = module.lookupSymbol<mlir::func::FuncOp>(name + "_loss");
  auto grad = module.lookupSymbol<mlir::func::FuncOp>(name + "_grad");
  ASSERT_TRUE(loss && grad);

  // Arguments in order: random images, labels and parameters, a fixed seed.
  std::mt19937 rng(20261123);
  std::vector<HostTensor> args;
  std::vector<std::pair<unsigned, std::string>> params; // arg index, name
  auto predictionType =
      llvm::cast<mlir::RankedTensorType>(grad.getResultTypes()[1]);
  int32_t classes = static_cast<int32_t>(predictionType.getShape()[1]);
  for (unsigned i = 0; i < loss.getNumArguments(); ++i) {
    mlir::Type type = loss.getArgument(i).getType();
    auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
    if (!tensor) { // the i64 dropout seed
      HostTensor seed;
      seed.isInt = true;
      seed.ints = {12345};
      args.push_back(seed);
      continue;
    }
    std::vector<int64_t> shape(tensor.getShape().begin(),
                               tensor.getShape().end());
    if (!shape.empty() && mlir::ShapedType::isDynamic(shape[0]))
      shape[0] = kBatch;
    if (tensor.getElementType().isInteger(32)) {
      HostTensor labels;
      labels.isInt = true;
      labels.shape = shape;
      for (int64_t n = 0; n < kBatch; ++n)
        labels.ints.push_back(static_cast<int32_t>(rng() % classes));
      args.push_back(labels);
      continue;
    }
    if (auto param = loss.getArgAttrOfType<mlir::StringAttr>(i, "cnn.param")) {
      params.emplace_back(i, param.getValue().str());
      // PyTorch's default bound, 1/sqrt(fan_in): activations stay near
      // unit scale, so tanh does not saturate and few ReLU or max-pool
      // kinks lie within h of a sample.
      int64_t fanIn = 1;
      for (size_t d = 1; d < shape.size(); ++d)
        fanIn *= shape[d];
      float bound = shape.size() > 1 ? 1.0f / std::sqrt(float(fanIn)) : 0.1f;
      args.push_back(randomFloats(shape, rng, bound));
    } else {
      args.push_back(randomFloats(shape, rng, 1.0f));
    }
  }

  InterpretOptions training;
  training.training = true;
  auto gradients = interpret(grad, args, 0, training);
  ASSERT_TRUE(static_cast<bool>(gradients))
      << llvm::toString(gradients.takeError());
  ASSERT_EQ(gradients->size(), 2 + params.size());
  auto evaluate = [&](const std::vector<HostTensor> &at) {
    auto result = interpret(loss, at, 0, training);
    EXPECT_TRUE(static_cast<bool>(result));
    return result ? static_cast<double>((*result)[0].data[0]) : 0.0;
  };
  EXPECT_NEAR((*gradients)[0].data[0], evaluate(args), 1e-6);

  int samples = 0, kinks = 0;
  for (auto [p, param] : llvm::enumerate(params)) {
    const HostTensor &g = (*gradients)[2 + p];
    HostTensor &value = args[param.first];
    ASSERT_EQ(g.shape, value.shape) << param.second;
    for (int s = 0; s < kSamplesPerParam; ++s) {
      size_t k = rng() % value.data.size();
      float saved = value.data[k];
      auto differenceQuotient = [&](double h) {
        value.data[k] = saved + static_cast<float>(h);
        double up = evaluate(args);
        value.data[k] = saved - static_cast<float>(h);
        double down = evaluate(args);
        value.data[k] = saved;
        return (up - down) / (2 * h);
      };
      double fd = differenceQuotient(kStep);
      double analytic = g.data[k];
      double tolerance = 5e-4 + 2e-2 * std::abs(analytic);
      ++samples;
      // Where a ReLU or max-pool kink lies within h, the loss is not
      // differentiable at that scale and halving h moves the quotient:
      // such samples say nothing about the rule and are skipped.
      if (std::abs(differenceQuotient(kStep / 2) - fd) > tolerance / 2) {
        ++kinks;
        continue;
      }
      EXPECT_NEAR(analytic, fd, tolerance) << param.second << " element " << k;
    }
  }
  EXPECT_LE(kinks * 4, samples) << "too many samples near a kink to judge";
}

INSTANTIATE_TEST_SUITE_P(
    Models, GradientCheck,
    ::testing::Values(
        GradientCase{"lenet5", "lenet5.mdl", nullptr},
        GradientCase{"lenet5_1998", "lenet5-1998.mdl", nullptr},
        GradientCase{"lenet5_modern", "lenet5-modern.mdl", nullptr},
        GradientCase{"cifar10_lenet", "cifar10-lenet.mdl", nullptr},
        GradientCase{"alexlike", nullptr, kAlexLike},
        GradientCase{"branches", nullptr, kBranches}),
    [](const ::testing::TestParamInfo<GradientCase> &info) {
      return std::string(info.param.name);
    });

} // namespace
