import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: Data(bytes: data, count: size), as: UTF8.self)
    _ = try? KeysFile.parse(text, file: "fuzz-keys")
    _ = try? PayloadManifest.parse(text)
    return 0
}
