//===- ModelRecordEmitter.cpp - the model record inside the object --------===//

#include "compiler/codegen/ModelRecordEmitter.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace cnnc;
using namespace llvm;

namespace {

/// Must match CNNC_ABI_VERSION and CNNC_MAX_RANK in cnnc.h, and the field
/// order of cnnc_tensor_info, cnnc_param_record and cnnc_model_record.
constexpr uint32_t kAbiVersion = 1;
constexpr unsigned kMaxRank = 8;
constexpr int32_t kF32 = 0, kI32 = 1;
constexpr int32_t kInitUniform = 0, kInitConstant = 1;

class RecordBuilder {
public:
  explicit RecordBuilder(Module &module)
      : module(module), ctx(module.getContext()),
        ptr(PointerType::getUnqual(ctx)), i32(Type::getInt32Ty(ctx)),
        i64(Type::getInt64Ty(ctx)), f32(Type::getFloatTy(ctx)),
        // {name, dtype, rank, shape[8]}
        tensorInfo(StructType::create(
            ctx, {ptr, i32, i32, ArrayType::get(i64, kMaxRank)},
            "cnnc_tensor_info")),
        // {info, offset, init, init_value}
        paramRecord(StructType::create(ctx, {tensorInfo, i64, i32, f32},
                                       "cnnc_param_record")),
        // {abi_version, num_inputs, num_outputs, num_params, name, inputs,
        //  outputs, params, param_elements, has_seed, reserved, infer}
        modelRecord(StructType::create(
            ctx, {i32, i32, i32, i32, ptr, ptr, ptr, ptr, i64, i32, i32, ptr},
            "cnnc_model_record")) {}

  Constant *string(StringRef text, const Twine &symbol) {
    auto *init = ConstantDataArray::getString(ctx, text);
    return privateConstant(init, symbol);
  }

  Constant *info(const TensorDescription &t, const Twine &symbol) {
    SmallVector<Constant *, kMaxRank> dims;
    for (unsigned i = 0; i < kMaxRank; ++i)
      dims.push_back(
          ConstantInt::get(i64, i < t.shape.size() ? t.shape[i] : 0));
    return ConstantStruct::get(
        tensorInfo, {string(t.name, symbol + ".name"),
                     ConstantInt::get(i32, t.isInteger ? kI32 : kF32),
                     ConstantInt::get(i32, t.shape.size()),
                     ConstantArray::get(ArrayType::get(i64, kMaxRank), dims)});
  }

  Constant *infoArray(const std::vector<TensorDescription> &tensors,
                      const Twine &symbol) {
    SmallVector<Constant *> items;
    for (auto [i, t] : llvm::enumerate(tensors))
      items.push_back(info(t, symbol + "." + Twine(i)));
    return arrayOf(tensorInfo, items, symbol);
  }

  Constant *paramArray(const std::vector<ParameterDescription> &params) {
    SmallVector<Constant *> items;
    for (auto [i, p] : llvm::enumerate(params)) {
      bool constant = p.init.kind == Initialization::Kind::Constant;
      items.push_back(ConstantStruct::get(
          paramRecord,
          {info(p.tensor, "cnnc.param." + Twine(i)),
           ConstantInt::get(i64, p.offset),
           ConstantInt::get(i32, constant ? kInitConstant : kInitUniform),
           ConstantFP::get(f32, p.init.value)}));
    }
    return arrayOf(paramRecord, items, "cnnc.params");
  }

  Constant *record(const ModelDescription &model, Function *infer) {
    return ConstantStruct::get(modelRecord,
                               {ConstantInt::get(i32, kAbiVersion),
                                ConstantInt::get(i32, model.inputs.size()),
                                ConstantInt::get(i32, model.outputs.size()),
                                ConstantInt::get(i32, model.params.size()),
                                string(model.name, "cnnc.model_name"),
                                infoArray(model.inputs, "cnnc.inputs"),
                                infoArray(model.outputs, "cnnc.outputs"),
                                paramArray(model.params),
                                ConstantInt::get(i64, model.paramElements),
                                ConstantInt::get(i32, model.hasSeed ? 1 : 0),
                                ConstantInt::get(i32, 0), infer});
  }

  StructType *recordType() const { return modelRecord; }

private:
  Constant *arrayOf(Type *element, ArrayRef<Constant *> items,
                    const Twine &symbol) {
    if (items.empty())
      return ConstantPointerNull::get(ptr);
    return privateConstant(
        ConstantArray::get(ArrayType::get(element, items.size()), items),
        symbol);
  }

  Constant *privateConstant(Constant *init, const Twine &symbol) {
    return new GlobalVariable(module, init->getType(), /*isConstant=*/true,
                              GlobalValue::PrivateLinkage, init, symbol);
  }

  Module &module;
  LLVMContext &ctx;
  PointerType *ptr;
  IntegerType *i32, *i64;
  Type *f32;
  StructType *tensorInfo, *paramRecord, *modelRecord;
};

/// void cnnc_infer_packed(void **args): pointer parameters of the C
/// interface get args[i] itself, scalars are loaded from it.
Function *emitPackedEntry(Module &module, Function *target) {
  LLVMContext &ctx = module.getContext();
  auto *ptr = PointerType::getUnqual(ctx);
  auto *type = FunctionType::get(Type::getVoidTy(ctx), {ptr}, false);
  Function *entry = Function::Create(type, GlobalValue::InternalLinkage,
                                     "cnnc_infer_packed", module);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", entry));
  SmallVector<Value *> args;
  for (auto [i, param] : llvm::enumerate(target->args())) {
    Value *slot = b.CreateConstInBoundsGEP1_64(ptr, entry->getArg(0), i);
    Value *pointer = b.CreateLoad(ptr, slot);
    args.push_back(param.getType()->isPointerTy()
                       ? pointer
                       : b.CreateLoad(param.getType(), pointer));
  }
  b.CreateCall(target, args);
  b.CreateRetVoid();
  return entry;
}

} // namespace

Error cnnc::emitModelRecord(Module &module, const ModelDescription &model) {
  std::string cifaceName = "_mlir_ciface_" + model.name;
  Function *ciface = module.getFunction(cifaceName);
  if (!ciface || ciface->isDeclaration())
    return createStringError(inconvertibleErrorCode(),
                             "the lowered module has no '" + cifaceName +
                                 "': the forward function was lowered "
                                 "without llvm.emit_c_interface");
  RecordBuilder builder(module);
  Function *entry = emitPackedEntry(module, ciface);
  Constant *init = builder.record(model, entry);
  auto *record =
      new GlobalVariable(module, builder.recordType(),
                         /*isConstant=*/true, GlobalValue::ExternalLinkage,
                         init, "cnnc_model_record_v1");
  record->setVisibility(GlobalValue::HiddenVisibility);
  return Error::success();
}

void cnnc::hideGeneratedSymbols(Module &module) {
  for (GlobalValue &value : module.global_values())
    if (!value.isDeclaration() && !value.hasLocalLinkage())
      value.setVisibility(GlobalValue::HiddenVisibility);
}
