/// Runs libFuzzer on one target's input callback.
///
/// SwiftPM links every executable target with `main` aliased to `<Target>_main`, so libFuzzer's
/// own `main` is never used: each fuzz target exports that symbol and hands control to libFuzzer's
/// documented entry point, `LLVMFuzzerRunDriver`, from here.
public typealias FuzzInputCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzInputCallback
) -> CInt

public func runFuzzer(
    argc: CInt,
    argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: FuzzInputCallback
) -> CInt {
    var count = argc
    var arguments = argv
    return llvmFuzzerRunDriver(&count, &arguments, callback)
}
