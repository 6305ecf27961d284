//===- ParserTest.cpp - the .mdl parser's syntax tree ---------------------===//
//
// Checks the tree the parser builds (names, values, ranges) for well-formed
// input, and that malformed input fails with the first error where it should
// be. The lit tests in test/frontend check the rendered messages end to end.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>

using namespace cnnc;

namespace {

/// Parses `source`; the rendered diagnostics land in `messages`.
struct Parsed {
  llvm::SourceMgr sourceMgr;
  std::string messages;
  llvm::raw_string_ostream os{messages};
  Diagnostics diags{sourceMgr, os};
  std::optional<ast::Model> model;

  explicit Parsed(llvm::StringRef source) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, "test.mdl"),
        llvm::SMLoc());
    model = parseModel(sourceMgr, diags);
  }

  /// "line:col" of a range's start, for checking where a node came from.
  std::string where(llvm::SMRange range) {
    auto [line, col] = sourceMgr.getLineAndColumn(range.Start);
    return std::to_string(line) + ":" + std::to_string(col);
  }
};

constexpr const char *kLeNet = R"(# a comment
model lenet5 {
  input image: f32[1, 28, 28]
  input label: i32[]
  c1 = conv2d(image, filters=6, kernel=5, padding=2)
  s2 = avg_pool2d(tanh(c1), kernel=[2, 2])
  output s2
  train {
    loss = cross_entropy(s2, label)
    optimizer = adam(lr=1e-3, betas=[0.9, 0.999])
    batch = 64
    nesterov = true
  }
})";

TEST(Parser, BuildsTheTree) {
  Parsed p(kLeNet);
  ASSERT_TRUE(p.model) << p.messages;
  const ast::Model &m = *p.model;
  EXPECT_EQ(m.name, "lenet5");
  ASSERT_EQ(m.inputs.size(), 2u);
  EXPECT_EQ(m.inputs[0].name, "image");
  EXPECT_EQ(m.inputs[0].elementType, ast::InputDecl::ElementType::F32);
  EXPECT_EQ(m.inputs[0].dims, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(m.inputs[1].elementType, ast::InputDecl::ElementType::I32);
  EXPECT_TRUE(m.inputs[1].dims.empty());
  EXPECT_EQ(p.where(m.inputs[0].nameRange), "3:9");

  ASSERT_EQ(m.layers.size(), 2u);
  const ast::Call &conv = m.layers[0].call;
  EXPECT_EQ(conv.callee, "conv2d");
  ASSERT_EQ(conv.arguments.size(), 4u);
  EXPECT_TRUE(conv.arguments[0].keyword.empty());
  EXPECT_EQ(conv.arguments[0].value.kind, ast::Value::Kind::Name);
  EXPECT_EQ(conv.arguments[0].value.name, "image");
  EXPECT_EQ(conv.arguments[1].keyword, "filters");
  EXPECT_EQ(conv.arguments[1].value.kind, ast::Value::Kind::Integer);
  EXPECT_EQ(conv.arguments[1].value.integer, 6);
  EXPECT_EQ(p.where(conv.arguments[3].keywordRange), "5:43");

  const ast::Call &pool = m.layers[1].call;
  ASSERT_EQ(pool.arguments.size(), 2u);
  ASSERT_EQ(pool.arguments[0].value.kind, ast::Value::Kind::Call);
  EXPECT_EQ(pool.arguments[0].value.call->callee, "tanh");
  EXPECT_EQ(p.where(pool.arguments[0].value.range), "6:19");
  ASSERT_EQ(pool.arguments[1].value.kind, ast::Value::Kind::List);
  EXPECT_EQ(pool.arguments[1].value.elements.size(), 2u);

  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.outputs[0].name, "s2");
  ASSERT_EQ(m.train.size(), 4u);
  EXPECT_EQ(m.train[0].key, "loss");
  EXPECT_EQ(m.train[0].value.kind, ast::Value::Kind::Call);
  const ast::Value &lr = m.train[1].value.call->arguments[0].value;
  EXPECT_EQ(lr.kind, ast::Value::Kind::Real);
  EXPECT_DOUBLE_EQ(lr.real, 1e-3);
  EXPECT_EQ(m.train[3].value.kind, ast::Value::Kind::Boolean);
  EXPECT_TRUE(m.train[3].value.boolean);
}

TEST(Parser, NegativeNumbersAndReals) {
  Parsed p("model m { x = f(a=-1, b=-2.5, c=.5, d=2., e=1e3) }");
  ASSERT_TRUE(p.model) << p.messages;
  const auto &args = p.model->layers[0].call.arguments;
  EXPECT_EQ(args[0].value.integer, -1);
  EXPECT_DOUBLE_EQ(args[1].value.real, -2.5);
  EXPECT_DOUBLE_EQ(args[2].value.real, 0.5);
  EXPECT_EQ(args[3].value.kind, ast::Value::Kind::Real);
  EXPECT_EQ(args[4].value.kind, ast::Value::Kind::Real);
  EXPECT_DOUBLE_EQ(args[4].value.real, 1000);
}

/// Each malformed input fails, and its first error is at `where` and
/// contains `message`.
struct SyntaxErrorCase {
  const char *source;
  const char *where;
  const char *message;
};

class ParserError : public testing::TestWithParam<SyntaxErrorCase> {};

TEST_P(ParserError, ReportsFirstErrorAtItsPlace) {
  const SyntaxErrorCase &c = GetParam();
  Parsed p(c.source);
  EXPECT_FALSE(p.model);
  std::string expected = std::string("test.mdl:") + c.where + ": error: ";
  EXPECT_EQ(p.messages.rfind(expected, 0), 0u) << p.messages;
  EXPECT_NE(p.messages.find(c.message), std::string::npos) << p.messages;
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, ParserError,
    testing::Values(
        SyntaxErrorCase{"", "1:1", "empty model file"},
        SyntaxErrorCase{"  # only a comment\n", "2:1", "empty model file"},
        SyntaxErrorCase{"net m {}", "1:1", "expected 'model'"},
        SyntaxErrorCase{"model {}", "1:7", "expected a model name"},
        SyntaxErrorCase{"model m { input x f32[1] }", "1:19",
                        "expected ':' after the input name"},
        SyntaxErrorCase{"model m { input x: f64[1] }", "1:20",
                        "expected an element type"},
        SyntaxErrorCase{"model m { input x: f32[0] }", "1:24",
                        "dimension size must be at least 1"},
        SyntaxErrorCase{"model m { x conv2d(a) }", "1:13", "expected '='"},
        SyntaxErrorCase{"model m { x = conv2d(a, }", "1:25",
                        "expected a value"},
        SyntaxErrorCase{"model m { x = conv2d(a", "1:23",
                        "expected ')' to close the arguments of 'conv2d'"},
        SyntaxErrorCase{"model m { x = f(k=[1, 2) }", "1:24",
                        "expected ']' to close the list"},
        SyntaxErrorCase{"model m { x = f(a) ", "1:20", "expected '}'"},
        SyntaxErrorCase{"model m { } model n { }", "1:13",
                        "a file holds one model"},
        SyntaxErrorCase{"model m { x = f(k=99999999999999999999) }", "1:19",
                        "does not fit in 64 bits"},
        SyntaxErrorCase{"model m { x = f(k=1e999) }", "1:19", "out of range"},
        SyntaxErrorCase{"model m { x = f(k=5x5) }", "1:19",
                        "invalid number '5x5'"},
        SyntaxErrorCase{"model m { x = f(k=$) }", "1:19",
                        "unexpected character '$'"},
        SyntaxErrorCase{"model m { x = f(k=\xff) }", "1:19",
                        "unexpected byte 0xff"},
        SyntaxErrorCase{"model m { train { loss } }", "1:24",
                        "expected '=' after 'loss'"},
        SyntaxErrorCase{"model m { 42 }", "1:11", "expected a statement"}));

TEST(Parser, ReportsSeveralErrorsInOneRun) {
  Parsed p("model m {\n  a = f(,)\n  b = g(x y)\n  output\n}\n");
  EXPECT_FALSE(p.model);
  EXPECT_NE(p.messages.find("test.mdl:2:9: error:"), std::string::npos)
      << p.messages;
  EXPECT_NE(p.messages.find("test.mdl:3:11: error:"), std::string::npos)
      << p.messages;
  EXPECT_NE(p.messages.find("test.mdl:5:1: error:"), std::string::npos)
      << p.messages;
  EXPECT_EQ(p.diags.errorCount(), 3u);
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "model m { x = f(k=" + std::string(100000, '[') +
                     std::string(100000, ']') + ") }";
  Parsed lists(deep);
  EXPECT_FALSE(lists.model);
  EXPECT_NE(lists.messages.find("nested more than 64 deep"), std::string::npos);

  std::string calls = "model m { x = ";
  for (int i = 0; i < 100000; ++i)
    calls += "f(";
  calls += std::string(100000, ')') + " }";
  Parsed nested(calls);
  EXPECT_FALSE(nested.model);
  EXPECT_NE(nested.messages.find("nested more than 64 deep"),
            std::string::npos);
}

TEST(Parser, BinaryGarbageStopsAfterTheErrorLimit) {
  std::string garbage;
  for (int i = 0; i < 100000; ++i)
    garbage += static_cast<char>((i * 7919) % 256);
  Parsed p(garbage);
  EXPECT_FALSE(p.model);
  EXPECT_LE(p.diags.errorCount(), Diagnostics::kMaxErrors);
}

} // namespace
