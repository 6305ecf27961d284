//===- OpInferenceTest.cpp - result types inferred by cnn op builders -----===//
