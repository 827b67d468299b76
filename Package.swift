// swift-tools-version:6.0
import PackageDescription

// One-way data flow: kernel -> SockDiag (collector) -> KatopModel (snapshot, keepalive maths,
// risks, filters, sort, JSON) -> KatopUI (view model, renderer into a screen buffer, key table,
// themes) -> KatopTerminal (the only module that touches ncurses) -> katop (the executable).
// Only SockDiag imports the netlink C shim; only KatopTerminal imports ncurses.
let package = Package(
  name: "katop",
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
    .target(name: "CKatopMalloc"),
    // No pkgConfig: ncursesw.pc's cflags (-D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600) are flags SwiftPM
    // prohibits and drops with a warning; shim.h defines what it needs and links ncursesw itself.
    .systemLibrary(name: "CNcursesw"),
    .target(name: "KatopModel"),
    .target(name: "SockDiag", dependencies: ["KatopModel", "CKatopNetlink"]),
    .target(name: "KatopUI", dependencies: ["KatopModel"]),
    .target(name: "KatopTerminal", dependencies: ["KatopUI", "KatopModel", "CNcursesw"]),
    .executableTarget(
      name: "katop",
      dependencies: [
        "KatopModel", "SockDiag", "KatopUI", "KatopTerminal", "CKatopMalloc",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "katop-fixture", dependencies: ["CKatopNetlink"]),
    .executableTarget(name: "katop-bench", dependencies: ["CKatopPty", "CKatopMalloc", "SockDiag", "KatopModel"]),
    .testTarget(name: "KatopModelTests", dependencies: ["KatopModel"]),
    .target(name: "KatopTestSupport", dependencies: ["SockDiag", "KatopModel"], path: "Tests/KatopTestSupport"),
    .testTarget(name: "SockDiagTests", dependencies: ["SockDiag", "KatopModel", "CKatopNetlink", "KatopTestSupport"]),
    .testTarget(name: "KatopUITests", dependencies: ["KatopUI", "KatopModel"], exclude: ["Snapshots"]),
    .testTarget(name: "KatopCLITests", dependencies: ["KatopModel", "CKatopNetlink", "KatopTestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
