// swift-tools-version:6.0
import PackageDescription

// One-way data flow: kernel -> SockDiag (collector) -> KatopModel (snapshot, keepalive maths,
// risks, filters, sort, JSON) -> KatopUI (view model, renderer into a screen buffer, key table,
// themes) -> KatopTerminal (the only module that touches ncurses) -> katop (the executable).
// Only SockDiag imports the netlink C shim; only KatopTerminal imports ncurses.
let package = Package(
  name: "katop",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "katop", targets: ["katop"]),
    .executable(name: "katop-fixture", targets: ["katop-fixture"]),
    .executable(name: "katop-bench", targets: ["katop-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    .target(name: "CKatopNetlink"),
    .target(name: "CKatopPty"),
    .systemLibrary(
      name: "CNcursesw", pkgConfig: "ncursesw",
      providers: [.apt(["libncursesw5-dev"])]),
    .target(name: "KatopModel"),
    .target(name: "SockDiag", dependencies: ["KatopModel", "CKatopNetlink"]),
    .target(name: "KatopUI", dependencies: ["KatopModel"]),
    .target(name: "KatopTerminal", dependencies: ["KatopUI", "KatopModel", "CNcursesw"]),
    .executableTarget(
      name: "katop",
      dependencies: [
        "KatopModel", "SockDiag", "KatopUI", "KatopTerminal",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "katop-fixture", dependencies: ["CKatopNetlink"]),
    .executableTarget(name: "katop-bench", dependencies: ["CKatopPty", "SockDiag", "KatopModel"]),
    .testTarget(name: "KatopModelTests", dependencies: ["KatopModel"]),
    .testTarget(name: "SockDiagTests", dependencies: ["SockDiag", "KatopModel", "CKatopNetlink"]),
    .testTarget(name: "KatopUITests", dependencies: ["KatopUI", "KatopModel"]),
    .testTarget(name: "KatopCLITests", dependencies: ["KatopModel", "CKatopNetlink"]),
  ],
  swiftLanguageModes: [.v5]
)
