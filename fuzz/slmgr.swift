import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    // As esuctl reads saved output: any encoding the decoder accepts, then the parser.
    let text = WindowsText.decode(bytes)
    let report = SlmgrParser.parse(text)
    _ = report.licenses.count
    return 0
}
