import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = WindowsText.decode(Data(bytes: data, count: size))
    _ = HotfixParser.parse(text)
    return 0
}
