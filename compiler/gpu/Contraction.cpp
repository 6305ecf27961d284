//===- Contraction.cpp - a kernel-shaped loop that sums products ----------===//
//
// Recognizing a contraction follows the sum's data flow back from the
// add and the multiply at the heart of the loop nest to the loop's
// indices, which says which side of the output each factor varies with.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Contraction.h"

#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/TiledLoop.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::cnn;

namespace {

/// Whether `op` and everything nested in it at most reads memory, so it
/// can be cloned anywhere and any number of times.
bool onlyReads(Operation *op) {
  WalkResult result = op->walk([](Operation *nested) {
    if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        isMemoryEffectFree(nested))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (effects && effects.onlyHasEffect<MemoryEffects::Read>())
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return !result.wasInterrupted();
}

/// Calls `f` on each value `op` computes from: its operands and the values
/// its regions use from outside them.
void forEachInput(Operation *op, function_ref<void(Value)> f) {
  for (Value operand : op->getOperands())
    f(operand);
  SetVector<Value> above;
  getUsedValuesDefinedAbove(op->getRegions(), above);
  for (Value used : above)
    f(used);
}

} // namespace

std::optional<Contraction> Contraction::match(scf::ParallelOp loop) {
  if (loop.getNumResults() != 0 || isTiledLoop(loop))
    return std::nullopt;
  for (auto [lower, step] : llvm::zip(loop.getLowerBound(), loop.getStep()))
    if (!isConstantIndex(lower, 0) || !isConstantIndex(step, 1))
      return std::nullopt;
  Contraction c(loop);
  Block *body = loop.getBody();
  auto fors = body->getOps<scf::ForOp>();
  if (!llvm::hasSingleElement(fors))
    return std::nullopt;
  scf::ForOp outer = *fors.begin();
  if (outer.getNumResults() != 1 ||
      !llvm::all_of(llvm::make_range(body->begin(), outer->getIterator()),
                    [](Operation &op) { return onlyReads(&op); }))
    return std::nullopt;

  // The perfect nest: each loop's body computes indices, runs the next loop
  // from its own sum and yields that loop's sum.
  scf::ForOp current = outer;
  while (true) {
    if (!isConstantIndex(current.getLowerBound(), 0) ||
        !isConstantIndex(current.getStep(), 1) ||
        current.getNumRegionIterArgs() != 1)
      return std::nullopt;
    Operation *upper = current.getUpperBound().getDefiningOp();
    if (upper && loop->isProperAncestor(upper) &&
        !isa<arith::ConstantOp>(upper))
      return std::nullopt;
    c.loops.push_back(current);
    Block *loopBody = current.getBody();
    auto yield = cast<scf::YieldOp>(loopBody->getTerminator());
    auto inner = yield.getOperand(0).getDefiningOp<scf::ForOp>();
    if (inner && inner->getBlock() == loopBody) {
      if (inner.getNumResults() != 1 ||
          inner.getInitArgs()[0] != current.getRegionIterArgs()[0] ||
          !current.getRegionIterArgs()[0].hasOneUse())
        return std::nullopt;
      for (Operation &op : loopBody->without_terminator())
        if (&op != inner && !onlyReads(&op))
          return std::nullopt;
      current = inner;
      continue;
    }
    c.accumulate = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
    if (!c.accumulate || c.accumulate->getBlock() != loopBody ||
        !c.accumulate->hasOneUse())
      return std::nullopt;
    Value sum = current.getRegionIterArgs()[0];
    Value term = c.accumulate.getLhs() == sum ? c.accumulate.getRhs()
                                              : c.accumulate.getLhs();
    if ((c.accumulate.getLhs() != sum && c.accumulate.getRhs() != sum) ||
        !sum.hasOneUse())
      return std::nullopt;
    c.multiply = term.getDefiningOp<arith::MulFOp>();
    if (!c.multiply || c.multiply->getBlock() != loopBody ||
        !c.multiply->hasOneUse())
      return std::nullopt;
    for (Operation &op : loopBody->without_terminator())
      if (&op != c.accumulate && &op != c.multiply && !onlyReads(&op))
        return std::nullopt;
    break;
  }

  Dependences lhs = c.dependencesOf(c.multiply.getLhs());
  Dependences rhs = c.dependencesOf(c.multiply.getRhs());
  Dependences init = c.dependencesOf(outer.getInitArgs()[0]);
  if (!lhs.valid || !rhs.valid || !init.valid || init.reduction.any())
    return std::nullopt;
  for (unsigned d = 0, e = loop.getNumLoops(); d < e; ++d) {
    if (lhs.parallel.test(d) && !rhs.parallel.test(d))
      c.mDimensions.push_back(d);
    else if (rhs.parallel.test(d) && !lhs.parallel.test(d))
      c.nDimensions.push_back(d);
    else
      c.batchDimensions.push_back(d);
  }
  if (c.mDimensions.empty() || c.nDimensions.empty())
    return std::nullopt;

  // The factors are read before any output is written, all of them at
  // once: a buffer both read as a factor and written would change meaning.
  SmallVector<memref::LoadOp> loads;
  DenseSet<Value> seen;
  c.collectLoads(c.multiply.getLhs(), loads, seen);
  c.collectLoads(c.multiply.getRhs(), loads, seen);
  bool aliased = false;
  loop.getBody()->walk([&](memref::StoreOp store) {
    for (memref::LoadOp load : loads)
      if (rootBuffer(load.getMemRef()) == rootBuffer(store.getMemRef()))
        aliased = true;
  });
  if (aliased)
    return std::nullopt;
  return c;
}

void Contraction::collectDependences(Value value, Dependences &deps,
                                     DenseSet<Value> &seen) {
  if (!deps.valid || !seen.insert(value).second)
    return;
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner() == kernelLoop.getBody()) {
      deps.parallel.set(arg.getArgNumber());
      return;
    }
    for (auto [level, loopOp] : llvm::enumerate(loops))
      if (arg.getOwner() == loopOp.getBody()) {
        if (arg == loopOp.getInductionVar())
          deps.reduction.set(level);
        else
          deps.valid = false; // a partial sum
        return;
      }
    return;
  }
  Operation *def = value.getDefiningOp();
  if (!kernelLoop->isProperAncestor(def))
    return;
  if (isa<scf::ForOp>(def) || !onlyReads(def)) {
    deps.valid = false;
    return;
  }
  forEachInput(def,
               [&](Value input) { collectDependences(input, deps, seen); });
}

Contraction::Dependences Contraction::dependencesOf(Value value) {
  Dependences deps;
  deps.parallel.resize(kernelLoop.getNumLoops());
  deps.reduction.resize(loops.size());
  DenseSet<Value> seen;
  collectDependences(value, deps, seen);
  return deps;
}

void Contraction::collectLoads(Value value,
                               SmallVectorImpl<memref::LoadOp> &loads,
                               DenseSet<Value> &seen) {
  if (!seen.insert(value).second)
    return;
  Operation *def = value.getDefiningOp();
  if (!def || !kernelLoop->isProperAncestor(def))
    return;
  def->walk([&](memref::LoadOp load) { loads.push_back(load); });
  forEachInput(def, [&](Value input) { collectLoads(input, loads, seen); });
}

bool Contraction::contiguousAlongReduction(Value factor) {
  SmallVector<memref::LoadOp> loads;
  DenseSet<Value> seen;
  collectLoads(factor, loads, seen);
  if (loads.empty() || loads.front().getIndices().empty())
    return false;
  Dependences last = dependencesOf(loads.front().getIndices().back());
  return last.reduction.test(loops.size() - 1) && last.parallel.none();
}

std::optional<SmallVector<int64_t>>
Contraction::reductionCoefficients(Value index) {
  Dependences deps = dependencesOf(index);
  if (!deps.valid)
    return std::nullopt;
  SmallVector<int64_t> coefficients(loops.size(), 0);
  if (deps.reduction.none())
    return coefficients;
  for (auto [level, loopOp] : llvm::enumerate(loops))
    if (index == loopOp.getInductionVar()) {
      coefficients[level] = 1;
      return coefficients;
    }
  Operation *def = index.getDefiningOp();
  if (!isa_and_nonnull<arith::AddIOp, arith::SubIOp, arith::MulIOp>(def))
    return std::nullopt;
  Value lhs = def->getOperand(0), rhs = def->getOperand(1);
  if (isa<arith::MulIOp>(def)) {
    std::optional<int64_t> factor = getConstantIntValue(rhs);
    Value other = lhs;
    if (!factor) {
      factor = getConstantIntValue(lhs);
      other = rhs;
    }
    std::optional<SmallVector<int64_t>> scaled;
    if (factor)
      scaled = reductionCoefficients(other);
    if (!scaled)
      return std::nullopt;
    for (int64_t &coefficient : *scaled)
      coefficient *= *factor;
    return scaled;
  }
  std::optional<SmallVector<int64_t>> left = reductionCoefficients(lhs);
  std::optional<SmallVector<int64_t>> right = reductionCoefficients(rhs);
  if (!left || !right)
    return std::nullopt;
  int64_t sign = isa<arith::SubIOp>(def) ? -1 : 1;
  for (auto [sum, term] : llvm::zip(*left, *right))
    sum += sign * term;
  return left;
}

std::optional<Contraction::ReadAlongSum>
Contraction::readAlongReduction(Value factor) {
  auto load = factor.getDefiningOp<memref::LoadOp>();
  auto independent = [&](ValueRange values) {
    return llvm::all_of(values, [&](Value value) {
      Dependences deps = dependencesOf(value);
      return deps.valid && deps.reduction.none();
    });
  };
  if (!load || load.getIndices().empty() || !independent(load.getMemRef()))
    return std::nullopt;
  size_t count = load.getIndices().size();
  if (count >= loops.size() &&
      llvm::equal(load.getIndices().drop_front(count - loops.size()),
                  llvm::map_range(loops,
                                  [](scf::ForOp level) -> Value {
                                    return level.getInductionVar();
                                  })) &&
      independent(load.getIndices().drop_back(loops.size())))
    return ReadAlongSum{load, /*trailing=*/true, 1};
  if (!independent(load.getIndices().drop_back()))
    return std::nullopt;
  std::optional<SmallVector<int64_t>> coefficients =
      reductionCoefficients(load.getIndices().back());
  if (!coefficients || coefficients->back() == 0)
    return std::nullopt;
  // Row-major: each loop's coefficient is the next one's times its extent.
  for (size_t level = loops.size() - 1; level > 0; --level) {
    std::optional<int64_t> extent =
        getConstantIntValue(loops[level].getUpperBound());
    if (!extent ||
        (*coefficients)[level - 1] != (*coefficients)[level] * *extent)
      return std::nullopt;
  }
  return ReadAlongSum{load, /*trailing=*/false, coefficients->back()};
}

Value Contraction::materialize(Value value, IRMapping &mapping,
                               OpBuilder &builder) {
  if (Value mapped = mapping.lookupOrNull(value))
    return mapped;
  Operation *def = value.getDefiningOp();
  if (!def || !kernelLoop->isProperAncestor(def))
    return value; // defined outside the loop (or an index mapped already)
  cloneWithOperands(def, mapping, builder);
  return mapping.lookup(value);
}

void Contraction::cloneWithOperands(Operation *op, IRMapping &mapping,
                                    OpBuilder &builder) {
  forEachInput(op, [&](Value input) { materialize(input, mapping, builder); });
  builder.clone(*op, mapping);
}
