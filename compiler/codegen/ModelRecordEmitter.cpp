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
constexpr uint32_t kAbiVersion = 5;
constexpr int32_t kRoleScale = 65536;
constexpr unsigned kMaxRank = 8;
constexpr int32_t kF32 = 0, kI32 = 1;
constexpr int32_t kInitUniform = 0, kInitConstant = 1;

class RecordBuilder {
public:
  explicit RecordBuilder(Module &module)
      : module(module), ctx(module.getContext()),
        ptr(PointerType::getUnqual(ctx)), i32(Type::getInt32Ty(ctx)),
        i64(Type::getInt64Ty(ctx)), f32(Type::getFloatTy(ctx)),
        f64(Type::getDoubleTy(ctx)),
        // {name, dtype, rank, shape[8]}
        tensorInfo(StructType::create(
            ctx, {ptr, i32, i32, ArrayType::get(i64, kMaxRank)},
            "cnnc_tensor_info")),
        // {info, offset, init, init_value}
        paramRecord(StructType::create(ctx, {tensorInfo, i64, i32, f32},
                                       "cnnc_param_record")),
        // {loss, optimizer, schedule, init, lr, momentum, weight_decay,
        //  beta1, beta2, eps, gamma, eta_min, step_size, t_max, batch,
        //  epochs, seed, nesterov, reserved}
        trainConfig(StructType::create(ctx,
                                       {ptr, ptr, ptr, ptr, f64, f64, f64, f64,
                                        f64, f64, f64, f64, i64, i64, i64, i64,
                                        i64, i32, i32},
                                       "cnnc_train_config")),
        // {fn, num_args, reserved, arg_roles}
        entryRecord(
            StructType::create(ctx, {ptr, i32, i32, ptr}, "cnnc_entry_record")),
        // {abi_version, num_inputs, num_outputs, num_params, name, inputs,
        //  outputs, params, param_elements, has_seed, reserved, infer,
        //  train, num_targets, num_states, targets, state_names,
        //  prediction, train_step, evaluate, grad, apply_update,
        //  cuda_arch, gpu_infer, gpu_train_step, gpu_evaluate}
        modelRecord(StructType::create(
            ctx,
            {i32,         i32,         i32,        i32,         ptr,
             ptr,         ptr,         ptr,        i64,         i32,
             i32,         ptr,         ptr,        i32,         i32,
             ptr,         ptr,         tensorInfo, entryRecord, entryRecord,
             entryRecord, entryRecord, ptr,        ptr,         entryRecord,
             entryRecord},
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

  /// The entry functions of a model: inference always, training and
  /// evaluation with a `train` section.
  struct Entries {
    Function *infer = nullptr, *trainStep = nullptr, *evaluate = nullptr;
    Function *grad = nullptr, *applyUpdate = nullptr;
    /// The CUDA entries, when the model was compiled with CUDA code.
    Function *gpuInfer = nullptr, *gpuTrainStep = nullptr,
             *gpuEvaluate = nullptr;
  };

  Constant *record(const ModelDescription &model, const Entries &entries,
                   StringRef cudaArch) {
    const std::optional<TrainingDescription> &training = model.training;
    SmallVector<Constant *> stateNames;
    if (training)
      for (auto [i, name] : llvm::enumerate(training->stateNames))
        stateNames.push_back(string(name, "cnnc.state." + Twine(i)));
    return ConstantStruct::get(
        modelRecord,
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
         ConstantInt::get(i32, 0),
         entries.infer,
         training ? config(training->config) : ConstantPointerNull::get(ptr),
         ConstantInt::get(i32, training ? training->targets.size() : 0),
         ConstantInt::get(i32, stateNames.size()),
         training ? infoArray(training->targets, "cnnc.targets")
                  : ConstantPointerNull::get(ptr),
         arrayOf(ptr, stateNames, "cnnc.state_names"),
         training ? info(training->prediction, "cnnc.prediction")
                  : Constant::getNullValue(tensorInfo),
         entry(entries.trainStep,
               training ? training->trainStepArgs
                        : std::vector<EntryArgument>{},
               "cnnc.train_step_roles"),
         entry(entries.evaluate,
               training ? training->evaluateArgs : std::vector<EntryArgument>{},
               "cnnc.evaluate_roles"),
         entry(entries.grad,
               training ? training->gradArgs : std::vector<EntryArgument>{},
               "cnnc.grad_roles"),
         entry(entries.applyUpdate,
               training ? training->applyUpdateArgs
                        : std::vector<EntryArgument>{},
               "cnnc.apply_update_roles"),
         cudaArch.empty() ? ConstantPointerNull::get(ptr)
                          : string(cudaArch, "cnnc.cuda_arch"),
         entries.gpuInfer ? static_cast<Constant *>(entries.gpuInfer)
                          : ConstantPointerNull::get(ptr),
         entry(entries.gpuTrainStep,
               training ? training->trainStepArgs
                        : std::vector<EntryArgument>{},
               "cnnc.gpu_train_step_roles"),
         entry(entries.gpuEvaluate,
               training ? training->evaluateArgs : std::vector<EntryArgument>{},
               "cnnc.gpu_evaluate_roles")});
  }

  Constant *config(const TrainConfig &c) {
    auto real = [&](double v) { return ConstantFP::get(f64, v); };
    auto integer = [&](int64_t v) { return ConstantInt::get(i64, v); };
    return privateConstant(
        ConstantStruct::get(
            trainConfig,
            {string(c.loss, "cnnc.train.loss"),
             string(c.optimizer, "cnnc.train.optimizer"),
             string(c.schedule, "cnnc.train.schedule"),
             string(c.init, "cnnc.train.init"), real(c.lr), real(c.momentum),
             real(c.weightDecay), real(c.beta1), real(c.beta2), real(c.eps),
             real(c.gamma), real(c.etaMin), integer(c.stepSize),
             integer(c.tMax), integer(c.batch), integer(c.epochs),
             integer(static_cast<int64_t>(c.seed)),
             ConstantInt::get(i32, c.nesterov ? 1 : 0),
             ConstantInt::get(i32, 0)}),
        "cnnc.train_config");
  }

  Constant *entry(Function *fn, const std::vector<EntryArgument> &args,
                  const Twine &symbol) {
    if (!fn)
      return Constant::getNullValue(entryRecord);
    SmallVector<Constant *> roles;
    for (const EntryArgument &arg : args)
      roles.push_back(ConstantInt::get(
          i32, static_cast<int32_t>(arg.kind) * kRoleScale + arg.index));
    return ConstantStruct::get(
        entryRecord, {fn, ConstantInt::get(i32, args.size()),
                      ConstantInt::get(i32, 0), arrayOf(i32, roles, symbol)});
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
  Type *f32, *f64;
  StructType *tensorInfo, *paramRecord, *trainConfig, *entryRecord,
      *modelRecord;
};

/// void <name>(void **args): pointer parameters of the C interface get
/// args[i] itself, scalars are loaded from it.
Function *emitPackedEntry(Module &module, Function *target, StringRef name) {
  LLVMContext &ctx = module.getContext();
  auto *ptr = PointerType::getUnqual(ctx);
  auto *type = FunctionType::get(Type::getVoidTy(ctx), {ptr}, false);
  Function *entry =
      Function::Create(type, GlobalValue::InternalLinkage, name, module);
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

/// The `_mlir_ciface_` wrapper of `function`, which lowering must have made.
Expected<Function *> cifaceOf(Module &module, StringRef function) {
  std::string name = ("_mlir_ciface_" + function).str();
  Function *ciface = module.getFunction(name);
  if (!ciface || ciface->isDeclaration())
    return createStringError(inconvertibleErrorCode(),
                             "the lowered module has no '" + name +
                                 "': the function was lowered without "
                                 "llvm.emit_c_interface");
  return ciface;
}

/// The packed entry of `_mlir_ciface_<function><suffix>`.
Expected<Function *> packedEntry(Module &module, StringRef function,
                                 StringRef suffix, StringRef packedName) {
  Expected<Function *> ciface = cifaceOf(module, (function + suffix).str());
  if (!ciface)
    return ciface.takeError();
  return emitPackedEntry(module, *ciface, packedName);
}

} // namespace

Error cnnc::emitModelRecord(Module &module, const ModelDescription &model,
                            StringRef cudaArch) {
  RecordBuilder builder(module);
  RecordBuilder::Entries entries;
  // Each entry: where the record takes it, the function, its suffix (the
  // CUDA half's are `_gpu`) and the name of its packed entry.
  struct Binding {
    Function **slot;
    StringRef function, suffix, packed;
  };
  SmallVector<Binding> bindings = {
      {&entries.infer, model.name, "", "cnnc_infer_packed"}};
  const std::optional<TrainingDescription> &training = model.training;
  if (training) {
    bindings.push_back({&entries.trainStep, training->trainStepFunction, "",
                        "cnnc_train_step_packed"});
    bindings.push_back({&entries.evaluate, training->evaluateFunction, "",
                        "cnnc_evaluate_packed"});
    if (!training->gradFunction.empty()) {
      bindings.push_back(
          {&entries.grad, training->gradFunction, "", "cnnc_grad_packed"});
      bindings.push_back({&entries.applyUpdate, training->applyUpdateFunction,
                          "", "cnnc_apply_update_packed"});
    }
  }
  if (!cudaArch.empty()) {
    bindings.push_back(
        {&entries.gpuInfer, model.name, "_gpu", "cnnc_gpu_infer_packed"});
    if (training) {
      bindings.push_back({&entries.gpuTrainStep, training->trainStepFunction,
                          "_gpu", "cnnc_gpu_train_step_packed"});
      bindings.push_back({&entries.gpuEvaluate, training->evaluateFunction,
                          "_gpu", "cnnc_gpu_evaluate_packed"});
    }
  }
  for (const Binding &b : bindings) {
    Expected<Function *> entry =
        packedEntry(module, b.function, b.suffix, b.packed);
    if (!entry)
      return entry.takeError();
    *b.slot = *entry;
  }
  Constant *init = builder.record(model, entries, cudaArch);
  auto *record =
      new GlobalVariable(module, builder.recordType(),
                         /*isConstant=*/true, GlobalValue::ExternalLinkage,
                         init, "cnnc_model_record_v5");
  record->setVisibility(GlobalValue::HiddenVisibility);
  return Error::success();
}

void cnnc::hideGeneratedSymbols(Module &module) {
  for (GlobalValue &value : module.global_values())
    if (!value.isDeclaration() && !value.hasLocalLinkage())
      value.setVisibility(GlobalValue::HiddenVisibility);
}
