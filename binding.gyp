{
  "targets": [
    {
      "target_name": "toolken_native",
      "sources": [
        "native/binding.cc",
        "native/allocator.cc",
        "native/thread_pool.cc",
        "native/cpu_features.cc",
        "native/vec.cc",
        "native/gemm.cc",
        "native/gemm_bf16.cc",
        "native/quant.cc",
        "native/weights_bf16.cc",
        "native/nf4.cc",
        "native/elementwise.cc",
        "native/normalization.cc",
        "native/embedding.cc",
        "native/attention.cc",
        "native/cross_entropy.cc",
        "native/adamw.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++1y", "-std=gnu++17", "-O2", "-O0"],
      "cflags": ["-O3", "-fno-math-errno", "-fopenmp-simd", "-pthread"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fopenmp-simd", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUS_FLAGS": ["-O3", "-fno-math-errno"]
      }
    }
  ]
}
