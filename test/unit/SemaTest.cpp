//===- SemaTest.cpp - semantic analysis, IR generation, summary -----------===//
//
// Runs the shipped models through parser and analysis and checks what the
// rest of cnnc relies on: parameter totals (the numbers the papers and
// reference scripts give), inferred shapes, names, train settings, the
// generated module and the summary table. Then one case per class of
// semantic error, checking the line:col and the message. The lit tests in
// test/frontend check the same messages end to end through cnnc.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Sema.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Summary.h"
#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>

using namespace cnnc;

namespace {

constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

/// Parses and analyses `source`; the rendered diagnostics land in `messages`.
struct Checked {
  llvm::SourceMgr sourceMgr;
  std::string messages;
  llvm::raw_string_ostream os{messages};
  Diagnostics diags{sourceMgr, os};
  std::optional<ast::Model> syntax;
  std::unique_ptr<CheckedModel> model;

  Checked(std::unique_ptr<llvm::MemoryBuffer> buffer) {
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    syntax = parseModel(sourceMgr, diags);
    if (syntax)
      model = analyze(*syntax, diags);
  }
  explicit Checked(llvm::StringRef source)
      : Checked(llvm::MemoryBuffer::getMemBufferCopy(source, "test.mdl")) {}

  /// One of the models shipped in models/.
  static std::unique_ptr<Checked> shipped(llvm::StringRef file) {
    std::string path = std::string(CNNC_SOURCE_DIR) + "/models/" + file.str();
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer)
      return nullptr;
    return std::make_unique<Checked>(std::move(*buffer));
  }

  const CheckedLayer *layer(llvm::StringRef name) const {
    for (const CheckedLayer &layer : model->layers)
      if (layer.name == name)
        return &layer;
    return nullptr;
  }
};

//===----------------------------------------------------------------------===//
// The shipped models
//===----------------------------------------------------------------------===//

struct ModelTotal {
  const char *file;
  int64_t params;
};

class ShippedModel : public testing::TestWithParam<ModelTotal> {};

// The totals of issue 4 (the reference scripts' torchsummary tables) and the
// paper's count for the 1998 LeNet-5 with a dense output layer.
TEST_P(ShippedModel, ParameterTotal) {
  std::unique_ptr<Checked> checked = Checked::shipped(GetParam().file);
  ASSERT_TRUE(checked) << "cannot read models/" << GetParam().file;
  ASSERT_TRUE(checked->model) << checked->messages;
  EXPECT_EQ(checked->model->trainableParams(), GetParam().params);
  EXPECT_EQ(checked->messages, "");
  // A valid topological order: every operand is defined before its reader.
  for (auto [index, layer] : llvm::enumerate(checked->model->layers)) {
    for (ValueRef operand : layer.operands) {
      if (operand.kind == ValueRef::Kind::Layer) {
        EXPECT_LT(operand.index, index) << layer.name;
      }
    }
  }
}

TEST_P(ShippedModel, GeneratesVerifiedIR) {
  std::unique_ptr<Checked> checked = Checked::shipped(GetParam().file);
  ASSERT_TRUE(checked && checked->model);
  mlir::MLIRContext context;
  auto module = generateIR(*checked->model, context, checked->diags);
  ASSERT_TRUE(module) << checked->messages;
  auto forward = module->lookupSymbol<mlir::func::FuncOp>(checked->model->name);
  auto loss =
      module->lookupSymbol<mlir::func::FuncOp>(checked->model->name + "_loss");
  ASSERT_TRUE(forward && loss);
  // The loss function takes the inference function's arguments, then the
  // label.
  EXPECT_EQ(loss.getNumArguments(), forward.getNumArguments() + 1);
  EXPECT_TRUE((*module)->hasAttr("cnn.train"));
}

INSTANTIATE_TEST_SUITE_P(Models, ShippedModel,
                         testing::Values(ModelTotal{"lenet5.mdl", 61706},
                                         ModelTotal{"lenet5-modern.mdl", 61706},
                                         ModelTotal{"lenet5-1998.mdl", 60850},
                                         ModelTotal{"alexnet.mdl", 62378344},
                                         ModelTotal{"cifar10-lenet.mdl",
                                                    541094}),
                         [](const testing::TestParamInfo<ModelTotal> &info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char &c : name)
                             if (!isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return name;
                         });

TEST(Sema, LeNet5ShapesAndNames) {
  std::unique_ptr<Checked> checked = Checked::shipped("lenet5.mdl");
  ASSERT_TRUE(checked && checked->model) << checked->messages;
  const CheckedModel &model = *checked->model;
  ASSERT_EQ(model.inputs.size(), 2u);
  EXPECT_EQ(model.inputs[0].shape, (Shape{kDyn, 1, 28, 28}));
  EXPECT_TRUE(model.inputs[0].forward);
  EXPECT_EQ(model.inputs[1].shape, (Shape{kDyn}));
  EXPECT_TRUE(model.inputs[1].isInteger);
  EXPECT_FALSE(model.inputs[1].forward); // only the loss reads the label

  struct Expected {
    const char *name;
    LayerKind kind;
    Shape shape;
  } expected[] = {
      {"c1", LayerKind::Conv2D, {kDyn, 6, 28, 28}},
      {"s2.tanh", LayerKind::Tanh, {kDyn, 6, 28, 28}},
      {"s2", LayerKind::AvgPool2D, {kDyn, 6, 14, 14}},
      {"c3", LayerKind::Conv2D, {kDyn, 16, 10, 10}},
      {"s4", LayerKind::AvgPool2D, {kDyn, 16, 5, 5}},
      {"c5.conv2d", LayerKind::Conv2D, {kDyn, 120, 1, 1}},
      {"c5", LayerKind::Tanh, {kDyn, 120, 1, 1}},
      {"f6.flatten", LayerKind::Flatten, {kDyn, 120}},
      {"f6.dense", LayerKind::Dense, {kDyn, 84}},
      {"logits", LayerKind::Dense, {kDyn, 10}},
  };
  for (const Expected &e : expected) {
    const CheckedLayer *layer = checked->layer(e.name);
    ASSERT_TRUE(layer) << e.name;
    EXPECT_EQ(layer->kind, e.kind) << e.name;
    EXPECT_EQ(layer->shape, e.shape) << e.name;
  }
  // Parameters are named after the statement, in PyTorch's layout.
  const CheckedLayer *c5 = checked->layer("c5.conv2d");
  ASSERT_EQ(c5->params.size(), 2u);
  EXPECT_EQ(c5->params[0].name, "c5.weight");
  EXPECT_EQ(c5->params[0].shape, (Shape{120, 16, 5, 5}));
  EXPECT_EQ(c5->params[1].name, "c5.bias");
  EXPECT_EQ(checked->layer("f6.dense")->params[0].shape, (Shape{84, 120}));
  // Defaults: pools move by their kernel.
  EXPECT_EQ(checked->layer("s2")->stride, (std::array<int64_t, 2>{2, 2}));

  ASSERT_EQ(model.outputs.size(), 1u);
  EXPECT_EQ(model.nameOf(model.outputs[0].value), "logits");
  const TrainSettings &train = model.train;
  ASSERT_TRUE(train.loss);
  EXPECT_EQ(train.loss->kind, CheckedLoss::Kind::CrossEntropy);
  EXPECT_EQ(model.nameOf(train.loss->target), "label");
  EXPECT_EQ(train.optimizer.kind, OptimizerSettings::Kind::Adam);
  EXPECT_DOUBLE_EQ(train.optimizer.lr, 1e-3);
  EXPECT_DOUBLE_EQ(train.optimizer.betas[1], 0.999);
  EXPECT_EQ(train.schedule.kind, ScheduleSettings::Kind::Cosine);
  EXPECT_EQ(train.schedule.tMax, 2);
  EXPECT_DOUBLE_EQ(train.schedule.etaMin, 1e-5);
  EXPECT_EQ(train.batch, 64);
  EXPECT_EQ(train.epochs, 5);
  EXPECT_EQ(train.seed, 1);
}

// The paper's C3: 60 connected 5x5 kernels + 16 biases = 1,516 parameters,
// while the stored weight is the full [16, 6, 5, 5].
TEST(Sema, LeNet1998ConnectionTable) {
  std::unique_ptr<Checked> checked = Checked::shipped("lenet5-1998.mdl");
  ASSERT_TRUE(checked && checked->model) << checked->messages;
  const CheckedLayer *c3 = checked->layer("c3");
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->trainableParams(), 1516);
  EXPECT_EQ(c3->params[0].shape, (Shape{16, 6, 5, 5}));
  EXPECT_EQ(c3->params[0].elements, 2400);
  EXPECT_EQ(c3->params[0].trainable, 1500);
  ASSERT_EQ(c3->connections.size(), 96u);
  EXPECT_EQ(llvm::count(c3->connections, true), 60);
  EXPECT_EQ(checked->layer("s2.subsample2d")->trainableParams(), 12);
  EXPECT_EQ(checked->model->storedParams(), 60850 + 900);
}

TEST(Sema, AlexNetShapes) {
  std::unique_ptr<Checked> checked = Checked::shipped("alexnet.mdl");
  ASSERT_TRUE(checked && checked->model) << checked->messages;
  EXPECT_EQ(checked->layer("c1.conv2d")->shape, (Shape{kDyn, 96, 55, 55}));
  EXPECT_EQ(checked->layer("p1")->shape, (Shape{kDyn, 96, 27, 27}));
  EXPECT_EQ(checked->layer("p2")->shape, (Shape{kDyn, 256, 13, 13}));
  EXPECT_EQ(checked->layer("p5")->shape, (Shape{kDyn, 256, 6, 6}));
  EXPECT_EQ(checked->layer("f6.flatten")->shape, (Shape{kDyn, 9216}));
  EXPECT_DOUBLE_EQ(checked->layer("p1.lrn")->k, 2.0);
  EXPECT_DOUBLE_EQ(checked->layer("f6")->rate, 0.5);
  EXPECT_TRUE(checked->model->hasDropout());
  const OptimizerSettings &sgd = checked->model->train.optimizer;
  EXPECT_EQ(sgd.kind, OptimizerSettings::Kind::SGD);
  EXPECT_DOUBLE_EQ(sgd.momentum, 0.9);
  EXPECT_DOUBLE_EQ(sgd.weightDecay, 5e-4);
}

//===----------------------------------------------------------------------===//
// Graphs, defaults and generated IR on small models
//===----------------------------------------------------------------------===//

TEST(Sema, GraphNamesAndDefaults) {
  Checked checked(R"(model g {
  input x: f32[4, 8, 8]
  a = relu(x)
  b = concat(relu(a), relu(x))
  s = add(a, x, a)
  output b, s
})");
  ASSERT_TRUE(checked.model) << checked.messages;
  EXPECT_TRUE(checked.layer("b.relu"));
  EXPECT_TRUE(checked.layer("b.relu_2"));
  EXPECT_EQ(checked.layer("b")->shape, (Shape{kDyn, 8, 8, 8}));
  EXPECT_EQ(checked.layer("s")->operands.size(), 3u);
  // No train section: every default of docs/language.md.
  const TrainSettings &train = checked.model->train;
  EXPECT_FALSE(train.loss);
  EXPECT_EQ(train.optimizer.kind, OptimizerSettings::Kind::SGD);
  EXPECT_DOUBLE_EQ(train.optimizer.lr, 0.01);
  EXPECT_EQ(train.schedule.kind, ScheduleSettings::Kind::Constant);
  EXPECT_EQ(train.batch, 64);
  EXPECT_EQ(train.epochs, 10);
  EXPECT_EQ(train.seed, 0);
  EXPECT_EQ(train.init, Initializer::Default);

  mlir::MLIRContext context;
  auto module = generateIR(*checked.model, context, checked.diags);
  ASSERT_TRUE(module) << checked.messages;
  unsigned adds = 0;
  module->walk([&](mlir::cnn::AddOp) { ++adds; });
  EXPECT_EQ(adds, 2u); // add(a, x, a) is a chain of two cnn.add
  EXPECT_FALSE(module->lookupSymbol("g_loss"));
}

TEST(IRGen, LocationsAndArgumentAttributes) {
  Checked checked(R"(model m {
  input x: f32[1, 8, 8]
  input y: i32[]
  c = conv2d(x, filters=2, kernel=3, init=xavier)
  logits = dense(flatten(dropout(c)), units=3)
  output logits
  train { loss = cross_entropy(logits, y) }
})");
  ASSERT_TRUE(checked.model) << checked.messages;
  mlir::MLIRContext context;
  auto module = generateIR(*checked.model, context, checked.diags);
  ASSERT_TRUE(module) << checked.messages;
  auto forward = module->lookupSymbol<mlir::func::FuncOp>("m");
  ASSERT_TRUE(forward);
  // x, c.weight, c.bias, logits.weight, logits.bias, seed.
  ASSERT_EQ(forward.getNumArguments(), 6u);
  EXPECT_EQ(forward.getArgAttrOfType<mlir::StringAttr>(0, "cnn.input"), "x");
  EXPECT_EQ(forward.getArgAttrOfType<mlir::StringAttr>(1, "cnn.param"),
            "c.weight");
  EXPECT_EQ(forward.getArgAttrOfType<mlir::StringAttr>(1, "cnn.init"),
            "xavier");
  EXPECT_TRUE(forward.getArgAttr(5, "cnn.seed"));
  EXPECT_TRUE(forward.getArgument(5).getType().isInteger(64));

  mlir::cnn::Conv2DOp conv;
  forward.walk([&](mlir::cnn::Conv2DOp op) { conv = op; });
  ASSERT_TRUE(conv);
  // The statement's name, around where its call is.
  auto named = llvm::dyn_cast<mlir::NameLoc>(conv.getLoc());
  ASSERT_TRUE(named);
  EXPECT_EQ(named.getName(), "c");
  auto loc = llvm::dyn_cast<mlir::FileLineColLoc>(named.getChildLoc());
  ASSERT_TRUE(loc);
  EXPECT_EQ(loc.getFilename(), "test.mdl");
  EXPECT_EQ(loc.getLine(), 4u);
  EXPECT_EQ(loc.getColumn(), 7u);
  // A call inside a statement is named `<statement>.<callee>`.
  mlir::cnn::FlattenOp flatten;
  forward.walk([&](mlir::cnn::FlattenOp op) { flatten = op; });
  ASSERT_TRUE(flatten);
  auto flattenName = llvm::dyn_cast<mlir::NameLoc>(flatten.getLoc());
  ASSERT_TRUE(flattenName);
  EXPECT_EQ(flattenName.getName(), "logits.flatten");

  auto loss = module->lookupSymbol<mlir::func::FuncOp>("m_loss");
  ASSERT_TRUE(loss);
  EXPECT_EQ(loss.getArgAttrOfType<mlir::StringAttr>(6, "cnn.input"), "y");
  auto train = (*module)->getAttrOfType<mlir::DictionaryAttr>("cnn.train");
  ASSERT_TRUE(train);
  EXPECT_EQ(train.getAs<mlir::StringAttr>("optimizer"), "sgd");
  EXPECT_EQ(train.getAs<mlir::StringAttr>("loss"), "cross_entropy");
  EXPECT_EQ(train.getAs<mlir::IntegerAttr>("batch").getInt(), 64);
}

TEST(Summary, MatchesTorchSummaryOfModernLeNet) {
  std::unique_ptr<Checked> checked = Checked::shipped("lenet5-modern.mdl");
  ASSERT_TRUE(checked && checked->model) << checked->messages;
  std::string text;
  llvm::raw_string_ostream os(text);
  printSummary(*checked->model, os);
  // The reference script's torchsummary table prints these lines.
  for (const char *line :
       {"Total params: 61,706\n", "Trainable params: 61,706\n",
        "Non-trainable params: 0\n", "Input size (MB): 0.00\n",
        "Forward/backward pass size (MB): 0.11\n", "Params size (MB): 0.24\n",
        "Estimated Total Size (MB): 0.35\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "in\n" << text;
  EXPECT_NE(text.find("[-1, 16, 10, 10]"), std::string::npos);
  EXPECT_NE(text.find("48,120"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Semantic errors
//===----------------------------------------------------------------------===//

struct ErrorCase {
  const char *name;
  const char *body; // statements after `input image: f32[1, 28, 28]`
  const char *where;
  const char *message;
};

class SemaError : public testing::TestWithParam<ErrorCase> {};

TEST_P(SemaError, ReportsAtTheRange) {
  std::string source =
      std::string("model m {\n  input image: f32[1, 28, 28]\n") +
      GetParam().body + "\n}\n";
  Checked checked(source);
  ASSERT_TRUE(checked.syntax) << checked.messages;
  EXPECT_FALSE(checked.model);
  std::string expected = std::string("test.mdl:") + GetParam().where +
                         ": error: " + GetParam().message;
  EXPECT_NE(checked.messages.find(expected), std::string::npos)
      << "expected: " << expected << "\ngot:\n"
      << checked.messages;
}

// Line 3 is the first line of each body.
INSTANTIATE_TEST_SUITE_P(
    Cases, SemaError,
    testing::Values(
        ErrorCase{"UnknownLayer", "  c = conv2(image)\n  output c", "3:7",
                  "unknown layer 'conv2'; did you mean 'conv2d'?"},
        ErrorCase{"UnknownParameter",
                  "  c = conv2d(image, filters=2, kernal=3)\n  output c",
                  "3:32",
                  "unknown parameter 'kernal' of conv2d; did you mean "
                  "'kernel'?"},
        ErrorCase{"DuplicateParameter",
                  "  p = max_pool2d(image, kernel=2, kernel=3)\n  output p",
                  "3:35", "duplicate parameter 'kernel' of max_pool2d"},
        ErrorCase{"MissingParameter", "  d = dense(image)\n  output d", "3:7",
                  "missing required parameter 'units' of dense"},
        ErrorCase{"BooleanForInteger",
                  "  c = conv2d(image, filters=2, kernel=true)\n  output c",
                  "3:39",
                  "'kernel' expects an integer or a list [h, w], got 'true'"},
        ErrorCase{"RealForInteger",
                  "  c = conv2d(image, filters=2.5, kernel=3)\n  output c",
                  "3:29", "'filters' expects an integer, got the number 2.5"},
        ErrorCase{"TensorForNumber",
                  "  c = relu(image)\n  d = dropout(image, rate=c)\n  output d",
                  "4:27", "'rate' expects a number, got tensor 'c'"},
        ErrorCase{"NumberForTensor", "  r = relu(3)\n  output r", "3:12",
                  "relu reads tensors as positional arguments, got the "
                  "number 3"},
        ErrorCase{"OperandCount", "  a = add(image)\n  output a", "3:7",
                  "add reads two or more tensors, got 1"},
        ErrorCase{"UndefinedName", "  r = relu(imag)\n  output r", "3:12",
                  "undefined name 'imag'; did you mean 'image'?"},
        ErrorCase{"Redefinition",
                  "  r = relu(image)\n  r = tanh(image)\n  output r", "4:3",
                  "redefinition of 'r'"},
        ErrorCase{"UseBeforeDefinition",
                  "  a = relu(b)\n  b = relu(image)\n  output a", "3:12",
                  "'b' is used before its definition"},
        ErrorCase{"Cycle",
                  "  a = relu(b)\n  b = tanh(c)\n  c = relu(a)\n  output c",
                  "3:12",
                  "cycle in the graph: a reads b, which reads c, which reads "
                  "a"},
        ErrorCase{"UnusedInput",
                  "  input extra: f32[3]\n  r = relu(image)\n  output r", "3:9",
                  "input 'extra' is never used"},
        ErrorCase{"NoOutput", "  r = relu(image)", "1:7",
                  "model 'm' has no output"},
        ErrorCase{"OutputUnknown", "  r = relu(image)\n  output q", "4:10",
                  "undefined name 'q'"},
        ErrorCase{"DenseAfterConv",
                  "  c3 = conv2d(image, filters=16, kernel=5)\n"
                  "  d = dense(c3, units=10)\n  output d",
                  "4:7",
                  "dense expects [features] but c3 is [16, 24, 24]; add "
                  "flatten"},
        ErrorCase{"PoolTooBig",
                  "  p = avg_pool2d(image, kernel=29)\n  output p", "3:7",
                  "avg_pool2d: pooling kernel height 29 does not fit input "
                  "height 28"},
        ErrorCase{"ConnectionTableSize",
                  "  c = conv2d(image, filters=2, kernel=3, "
                  "connections=[[0]])\n  output c",
                  "3:54", "'connections' has 1 entry but conv2d has 2 filters"},
        ErrorCase{"ConnectionIndex",
                  "  c = conv2d(image, filters=1, kernel=3, "
                  "connections=[[1]])\n  output c",
                  "3:56", "input map 1 is out of range; the input has 1 map"},
        ErrorCase{"LabelNotInteger",
                  "  input t: f32[10]\n"
                  "  d = dense(flatten(image), units=10)\n  output d\n"
                  "  train { loss = cross_entropy(d, t) }",
                  "6:35", "cross_entropy label must be an i32[] input"},
        ErrorCase{"UnknownOptimizer",
                  "  r = relu(image)\n  output r\n"
                  "  train { optimizer = adamw(lr=1e-3) }",
                  "5:23", "unknown optimizer 'adamw'; did you mean 'adam'?"},
        ErrorCase{"UnknownInitializer",
                  "  c = conv2d(image, filters=2, kernel=3, init=glorot)\n"
                  "  output c",
                  "3:47", "unknown initialiser 'glorot'"},
        ErrorCase{"Overflow",
                  "  d = dense(flatten(image), units=9223372036854775807)\n"
                  "  output d",
                  "3:7",
                  "dense: parameter 'd.weight' of shape "
                  "[9223372036854775807, 784] has more elements than fit in "
                  "64 bits"}),
    [](const testing::TestParamInfo<ErrorCase> &info) {
      return std::string(info.param.name);
    });

// Analysis goes on after an error and reports the next ones in the same run,
// without cascading errors from the broken value.
TEST(SemaError, SeveralInOneRun) {
  Checked checked(R"(model m {
  input image: f32[1, 28, 28]
  a = conv2d(image, filters=0, kernel=3)
  b = dense(a, units=10)
  c = relu(nope)
  output b, c
})");
  ASSERT_TRUE(checked.syntax);
  EXPECT_FALSE(checked.model);
  EXPECT_EQ(checked.diags.errorCount(), 2u) << checked.messages;
  EXPECT_NE(checked.messages.find("test.mdl:3:29: error: 'filters' must be at "
                                  "least 1, got 0"),
            std::string::npos)
      << checked.messages;
  EXPECT_NE(checked.messages.find("test.mdl:5:12: error: undefined name"),
            std::string::npos)
      << checked.messages;
}

TEST(SemaError, RedefinitionNotesThePrevious) {
  Checked checked("model m {\n  input x: f32[2]\n  x = relu(x)\n  output x\n}");
  EXPECT_FALSE(checked.model);
  EXPECT_NE(checked.messages.find("test.mdl:3:3: error: redefinition of 'x'"),
            std::string::npos)
      << checked.messages;
  EXPECT_NE(
      checked.messages.find("test.mdl:2:9: note: previous definition is here"),
      std::string::npos)
      << checked.messages;
}

} // namespace
