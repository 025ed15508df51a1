// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "nn",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "nn", targets: ["NNCommand"]),
    .library(name: "NNScript", targets: ["NNScript"]),
    // The runtime alone (tensors, graphs, plans, training), for Swift tools that build networks
    // without the language, and for the benchmarks in Benchmarks/.
    .library(name: "NNRuntime", targets: ["NNRuntime"]),
    // MPI's Communicator and launch detection, for hosts that train across processes; MPI
    // itself only with the MPI trait.
    .library(name: "NNDistributed", targets: ["NNDistributed"]),
    // ONNX export and import of networks, for hosts that exchange models with other tools.
    .library(name: "NNONNX", targets: ["NNONNX"]),
    // The C API (nn.h, docs/c-api.md): libNNC.so, for hosts in C or through a C foreign-function
    // interface (examples/c-host, examples/python-host).
    .library(name: "NNC", type: .dynamic, targets: ["NNC"]),
  ],
  // Off by default, so that a machine without Open MPI builds everything else; scripts/nn --mpi
  // and scripts/test turn it on (`--traits MPI`) once Open MPI is installed.
  traits: [
    .trait(
      name: "MPI",
      description: "Data-parallel training over Open MPI (needs libopenmpi-dev and mpirun)"
    ),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // ONNX's protobuf messages; the code generated from onnx.proto is committed
    // (Sources/NNONNX/Proto), so no build runs protoc or its plugin.
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .systemLibrary(
      name: "CReadline",
      providers: [.apt(["libreadline-dev"])]
    ),
    // Used only with the MPI trait; its pkg-config file is looked up only then.
    .systemLibrary(
      name: "CMPI",
      pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]
    ),
    // librsvg (with cairo) rasterises the SVG of a picture for `file: "….png"`.
    .systemLibrary(
      name: "CRsvg",
      pkgConfig: "librsvg-2.0",
      providers: [.apt(["librsvg2-dev"])]
    ),
    .target(name: "NNSyntax"),
    // Atomics for the runtime's thread pool (Plan/Parallel.swift); header only, nothing to link.
    .systemLibrary(name: "CParallel"),
    .target(name: "NNRuntime", dependencies: ["CBLAS", "CParallel"]),
    // ONNX export and import of networks (docs/language.md, "ONNX"); knows the runtime, not
    // the language.
    .target(
      name: "NNONNX",
      dependencies: ["NNRuntime", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["Proto/onnx.proto", "Proto/README.md"]
    ),
    // SVG to PNG; knows neither the runtime nor the language.
    .target(name: "NNRaster", dependencies: ["CRsvg"]),
    .target(
      name: "NNScript", dependencies: ["NNSyntax", "NNRuntime", "NNONNX", "NNRaster"],
      resources: [.copy("Resources")]
    ),
    // The C API's header (include/nn.h) and the little of it written in C; the Swift target NNC
    // implements the rest against the header's own types.
    .target(name: "CNN"),
    .target(name: "NNC", dependencies: ["CNN", "NNScript", "NNRuntime"]),
    // Compiles without the trait too (no MPI then): callers need no conditional imports.
    .target(
      name: "NNDistributed",
      dependencies: ["NNRuntime", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]
    ),
    .executableTarget(
      name: "NNCommand",
      dependencies: [
        "NNScript",
        "NNDistributed",
        "CReadline",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The embedding example (examples/embed): a host program using only the library product.
    .executableTarget(name: "EmbedExample", dependencies: ["NNScript"], path: "examples/embed"),
    // The runtime example (examples/runtime): a network built, trained and run with NNRuntime
    // alone, from layer declarations.
    .executableTarget(name: "RuntimeExample", dependencies: ["NNRuntime"],
                      path: "examples/runtime"),
    .testTarget(name: "NNSyntaxTests", dependencies: ["NNSyntax"]),
    .testTarget(name: "NNRuntimeTests", dependencies: ["NNRuntime"], exclude: ["Fixtures"]),
    .testTarget(
      name: "NNScriptTests",
      dependencies: ["NNScript", "NNSyntax", "NNRuntime", "NNONNX", "NNRaster"],
      exclude: ["Golden", "Fixtures"]
    ),
    .testTarget(name: "NNCommandTests", dependencies: ["NNScript", "NNRuntime"]),
    .testTarget(name: "NNDistributedTests", dependencies: ["NNDistributed"]),
    // The C API through the header's declarations, as a C host calls it.
    .testTarget(name: "NNCTests", dependencies: ["CNN", "NNC"]),
  ]
)
