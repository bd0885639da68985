{
  "targets": [
    {
      "target_name": "voxnas_kernels",
      "sources": ["native/voxnas_kernels.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "conditions": [
        ["target_arch=='x64' and OS!='mac'", { "cflags_cc": ["-march=x86-64-v2", "-mtune=generic"] }],
        ["OS=='linux'", {
          "ldflags": ["-Wl,--disable-new-dtags", "-Wl,-rpath,'$$ORIGIN'"]
        }],
        ["OS=='mac'", {
          "cflags_cc!": ["-fopenmp"],
          "libraries!": ["-fopenmp"],
          "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
          "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LIBRARY": "libc++",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "OTHER_CPLUSPLUSFLAGS": ["-O3"]
          }
        }]
      ]
    }
  ]
}
