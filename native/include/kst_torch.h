// The part of libtorch the shim uses: tensors, factories with autograd, NoGradGuard, manual_seed, CUDA probe.
// Not <torch/torch.h>: the C++ frontend (modules, optimizers, data) doubled every file's compile time, and this
// header is precompiled once (CMakeLists.txt), which took the clean build from about 93 s to about 31 s on 2 cores.
#pragma once
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/cuda.h>
