// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

// Tests that add rejects operands of different types.
func.func @add_mismatch(%a: tensor<?x16x10x10xf32>, %b: tensor<?x16x5x5xf32>) {
  // expected-error @+1 {{'cnn.add' op failed to verify that all of {lhs, rhs} have same type}}
  %0 = "cnn.add"(%a, %b) : (tensor<?x16x10x10xf32>, tensor<?x16x5x5xf32>) -> tensor<?x16x10x10xf32>
  return
}

// -----

// Tests that concat needs two inputs.
func.func @concat_one(%a: tensor<?x6x14x14xf32>) {
  // expected-error @+1 {{'cnn.concat' op concat needs at least 2 inputs, got 1}}
  %0 = cnn.concat %a : (tensor<?x6x14x14xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// Tests that concat inputs must agree outside the axis.
func.func @concat_spatial(%a: tensor<?x6x14x14xf32>, %b: tensor<?x6x10x10xf32>) {
  // expected-error @+1 {{'cnn.concat' op input 1 has shape [?, 6, 10, 10], which differs from input 0's [?, 6, 14, 14] outside axis 1}}
  %0 = cnn.concat %a, %b : (tensor<?x6x14x14xf32>, tensor<?x6x10x10xf32>) -> tensor<?x12x14x14xf32>
  return
}

// -----

// Tests that concat inputs must share a rank.
func.func @concat_rank(%a: tensor<?x6x14x14xf32>, %b: tensor<?x6xf32>) {
  // expected-error @+1 {{'cnn.concat' op input 1 has rank 2 but input 0 has rank 4}}
  %0 = cnn.concat %a, %b : (tensor<?x6x14x14xf32>, tensor<?x6xf32>) -> tensor<?x12x14x14xf32>
  return
}

// -----

// Tests that the concat axis must exist.
func.func @concat_axis(%a: tensor<?x6xf32>, %b: tensor<?x6xf32>) {
  // expected-error @+1 {{'cnn.concat' op axis 2 is out of range for inputs of rank 2}}
  %0 = cnn.concat %a, %b axis 2 : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x12xf32>
  return
}

// -----

// Tests that the written result type must be the concatenated one.
func.func @concat_result(%a: tensor<?x6xf32>, %b: tensor<?x6xf32>) {
  // expected-error @+1 {{'cnn.concat' op result type 'tensor<?x6xf32>' does not match the inferred 'tensor<?x12xf32>'}}
  %0 = cnn.concat %a, %b : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  return
}
