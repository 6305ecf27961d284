//===- CNNDialect.td - the cnn dialect and its attributes --*- tablegen -*-===//
//
// The `cnn` dialect describes convolutional networks at the level a model
// author thinks in: layers on NCHW float32 tensors. Every op computes its
// result shape from its operands and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef CNN_DIALECT_TD
#define CNN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def CNN_Dialect : Dialect {
  let name = "cnn";
  let summary = "Layers of convolutional networks on NCHW float32 tensors";
  let description = [{
    The `cnn` dialect is the first IR of cnnc. Its ops are the layers of
    LeNet-5 and AlexNet (convolution, pooling, activations, dense layers,
    local response normalisation, dropout, softmax) and their losses. Tensors
    are ranked; the batch dimension may be dynamic. Shapes are inferred from
    operands and attributes, so the result type written in the IR is checked,
    never trusted.
  }];
  let cppNamespace = "::mlir::cnn";
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

// Integer-backed enums: in the custom assembly they read as bare keywords
// (`act tanh`, `pool max`), as arith.cmpi's predicates do.

def CNN_ActivationNone : I32EnumAttrCase<"None", 0, "none">;
def CNN_ActivationTanh : I32EnumAttrCase<"Tanh", 1, "tanh">;
def CNN_ActivationScaledTanh : I32EnumAttrCase<"ScaledTanh", 2, "scaled_tanh">;
def CNN_ActivationRelu : I32EnumAttrCase<"Relu", 3, "relu">;
def CNN_ActivationSigmoid : I32EnumAttrCase<"Sigmoid", 4, "sigmoid">;

def CNN_ActivationEnum : I32EnumAttr<"Activation",
    "element-wise activation applied inside a fused op", [
      CNN_ActivationNone, CNN_ActivationTanh, CNN_ActivationScaledTanh,
      CNN_ActivationRelu, CNN_ActivationSigmoid]> {
  let cppNamespace = "::mlir::cnn";
}

def CNN_PoolAvg : I32EnumAttrCase<"Avg", 0, "avg">;
def CNN_PoolMax : I32EnumAttrCase<"Max", 1, "max">;

def CNN_PoolKindEnum : I32EnumAttr<"PoolKind", "pooling reduction",
                                   [CNN_PoolAvg, CNN_PoolMax]> {
  let cppNamespace = "::mlir::cnn";
}

#endif // CNN_DIALECT_TD
