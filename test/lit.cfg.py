# -*- Python -*-
# lit configuration for cnnc: .mlir and .mdl tests run through the cnnc tools
# and FileCheck. Tests mirror the source folders (dialect/, frontend/, ...).

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "cnnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".mdl"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cnnc_obj_root, "test")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "unit", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = [
    ToolSubst("cnnc-opt", unresolved="fatal"),
    ToolSubst("cnnc", unresolved="fatal"),
    ToolSubst("cnnc-run", unresolved="fatal"),
    ToolSubst("cnnc-train", unresolved="fatal"),
    ToolSubst("cnnc-bench", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, [config.cnnc_tools_dir])

# The tools' directory, for tests that feed a binary to a tool as input.
config.substitutions.append(("%cnnc_tools_dir", config.cnnc_tools_dir))

# The stand-in CUDA driver of test/unit/FakeCudaDriver.c, for tests of the
# tools on a device whose kernels are counted, not run.
config.substitutions.append(("%fake_cuda_driver", config.fake_cuda_driver))

# PTX generation needs the CUDA toolkit (libdevice, ptxas); tests of it say
# `REQUIRES: cuda-toolkit`. Every machine of ours has one; a GPU is not needed.
cuda_root = os.environ.get("CUDA_PATH", "/usr/local/cuda")
if all(
    os.path.exists(os.path.join(cuda_root, part))
    for part in ("bin/ptxas", "bin/fatbinary", "nvvm/libdevice/libdevice.10.bc")
):
    config.available_features.add("cuda-toolkit")
