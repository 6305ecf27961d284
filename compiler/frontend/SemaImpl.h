//===- SemaImpl.h - internals shared by the Sema*.cpp files -----*- C++ -*-===//
//
// Semantic analysis is split by topic: Sema.cpp resolves names and walks the
// graph, SemaValues.cpp reads typed parameter values, SemaLayers.cpp checks
// each layer (parameters, shapes, parameter tensors) and SemaTrain.cpp the
// train section (CheckedModel.cpp holds the result's own helpers). They share
// the Analyzer below; nothing outside Sema*.cpp includes this header.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_SEMAIMPL_H
#define CNNC_COMPILER_FRONTEND_SEMAIMPL_H

#include "compiler/frontend/Sema.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

#include <climits>

namespace cnnc::sema {

/// A parameter a callee accepts, in the order positional values bind to it
/// (optimizers and schedules; layers take tensors positionally).
struct ParamSpec {
  llvm::StringRef name;
  bool required = false;
};

/// The value bound to each ParamSpec of a call, or null where none was.
using BoundParams = llvm::SmallVector<const ast::Value *, 8>;

/// What the layer table knows about one layer name.
struct LayerInfo {
  llvm::StringRef name;
  LayerKind kind;
  unsigned minOperands;
  unsigned maxOperands; // UINT_MAX: any number
  llvm::ArrayRef<ParamSpec> params;
  bool hasParams; // holds parameter tensors (conv2d, dense, subsample2d)
};

/// The layer called `name`, or null.
const LayerInfo *lookupLayer(llvm::StringRef name);
/// Every layer name, for "did you mean" suggestions.
llvm::SmallVector<llvm::StringRef> layerNames();

/// "; did you mean 'x'?" when one of `candidates` is a likely typo of
/// `name`, else "".
std::string didYouMean(llvm::StringRef name,
                       llvm::ArrayRef<llvm::StringRef> candidates);

/// The shape of one example (the batch dropped), "[16, 10, 10]", as users
/// wrote it in their input declarations.
std::string exampleShape(llvm::ArrayRef<int64_t> shape);

/// Holds the state of one analysis. Members are public: the Sema*.cpp files
/// are one component split for size.
class Analyzer {
public:
  Analyzer(const ast::Model &model, Diagnostics &diags);

  /// Runs every check; null if any error was reported.
  std::unique_ptr<CheckedModel> run();

  //===--------------------------------------------------------------------===//
  // Names and the graph (Sema.cpp)
  //===--------------------------------------------------------------------===//

  /// A defined name: an input or a layer statement.
  struct Symbol {
    bool isInput;
    unsigned index; // into model.inputs or model.layers
    llvm::SMRange range;
  };

  /// Per layer statement, while and after it is analysed.
  struct Statement {
    std::optional<ValueRef> value; // its result, once analysed without error
    bool duplicate = false;        // a redefinition; never registered
    llvm::SMRange previous;        // the first definition, for duplicates
    const ast::Call *paramLayer = nullptr; // its layer with parameters
    llvm::StringMap<unsigned> innerNames;  // callee -> times used inside
  };

  void declareNames();
  void reportRedefinition(llvm::StringRef name, llvm::SMRange range,
                          llvm::SMRange previous);
  void analyzeStatement(unsigned index);
  std::optional<ValueRef> resolveCall(const ast::Call &call, unsigned statement,
                                      bool outermost);
  std::optional<ValueRef> resolveOperand(const ast::Value &value,
                                         unsigned statement);
  std::optional<ValueRef> resolveStatementName(const ast::Value &value,
                                               unsigned statement,
                                               unsigned defined);
  void reportUnknownLayer(const ast::Call &call);
  std::string innerLayerName(unsigned statement, llvm::StringRef callee);
  /// A path of statements from `from` to `to` along the names they read, or
  /// empty if there is none.
  llvm::SmallVector<unsigned> dependencyPath(unsigned from, unsigned to);
  void collectReads(const ast::Call &call,
                    llvm::SmallVectorImpl<unsigned> &out);
  /// The value a defined name stands for, wherever it is used (outputs,
  /// loss), marking inputs used; null after an error or if undefined.
  std::optional<ValueRef> lookupValue(const std::string &name,
                                      llvm::SMRange range, bool forward);
  void analyzeOutputs();
  void checkUnusedInputs();
  bool checkTotals();

  //===--------------------------------------------------------------------===//
  // Parameter values (SemaValues.cpp); each reports at the value and returns
  // nothing when it does not fit.
  //===--------------------------------------------------------------------===//

  /// "the number 2.5", "true", "tensor 'c1'", "a call to 'relu'", ...
  std::string describe(const ast::Value &value) const;
  std::optional<int64_t> readInteger(const ast::Value &value,
                                     llvm::StringRef param, int64_t minimum);
  /// One integer (for height and width) or a list [h, w].
  std::optional<std::array<int64_t, 2>>
  readPair(const ast::Value &value, llvm::StringRef param, int64_t minimum);
  std::optional<double> readReal(const ast::Value &value,
                                 llvm::StringRef param);
  std::optional<bool> readBool(const ast::Value &value, llvm::StringRef param);
  std::optional<Initializer> readInit(const ast::Value &value,
                                      llvm::StringRef param);
  /// Binds the keyword arguments of `call` (and, with `positional`, its
  /// positional ones in order) to `specs`. Reports unknown, duplicate and
  /// missing parameters; returns false if it reported any.
  bool bindParams(const ast::Call &call, llvm::ArrayRef<ParamSpec> specs,
                  bool positional, BoundParams &bound);
  /// The source text of `range`, or "" for a range without text.
  static llvm::StringRef textOf(llvm::SMRange range);

  //===--------------------------------------------------------------------===//
  // Layers (SemaLayers.cpp)
  //===--------------------------------------------------------------------===//

  /// Reads the parameters of `call` into `layer` and, when its operands are
  /// valid, infers its shape and parameter tensors (named `prefix.weight`,
  /// ...). Returns false after an error.
  bool checkLayer(const LayerInfo &info, const ast::Call &call,
                  const BoundParams &args, bool operandsValid,
                  llvm::StringRef prefix, CheckedLayer &layer);
  bool readLayerParams(const LayerInfo &info, const BoundParams &args,
                       CheckedLayer &layer,
                       std::vector<std::vector<int64_t>> &table);
  bool inferLayerShape(const ast::Call &call, CheckedLayer &layer,
                       const BoundParams &args,
                       const std::vector<std::vector<int64_t>> &table);
  bool checkConnections(const ast::Value &list, const CheckedLayer &layer,
                        const std::vector<std::vector<int64_t>> &table,
                        int64_t channels);
  bool makeParams(const ast::Call &call, llvm::StringRef prefix,
                  CheckedLayer &layer);
  /// Reports a shape rule's error at the call, prefixed by the callee.
  void reportRule(const ast::Call &call, llvm::Error error);

  //===--------------------------------------------------------------------===//
  // The train section (SemaTrain.cpp)
  //===--------------------------------------------------------------------===//

  void analyzeTrain();
  void analyzeLoss(const ast::Value &value);
  void analyzeOptimizer(const ast::Value &value);
  void analyzeSchedule(const ast::Value &value);

  const ast::Model &model;
  Diagnostics &diags;
  CheckedModel result;
  llvm::StringMap<Symbol> symbols;
  std::vector<Statement> statements;
  std::vector<bool> inputUsed;
  /// Statements on a cycle already reported: the other back edges of that
  /// cycle are the same error.
  llvm::DenseSet<unsigned> onReportedCycle;
  /// Set when the loss could not be read: which inputs it meant to use is
  /// then unknown, so "unused input" would only add noise.
  bool lossFailed = false;
};

} // namespace cnnc::sema

#endif // CNNC_COMPILER_FRONTEND_SEMAIMPL_H
