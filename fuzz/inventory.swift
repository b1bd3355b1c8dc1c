import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: Data(bytes: data, count: size), as: UTF8.self)
    if let inventory = try? Inventory.parse(text, file: "fuzz.ini") {
        // --limit patterns over whatever parsed, with a pattern taken from the input's first line
        let pattern = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "all"
        _ = try? inventory.select(pattern)
        _ = try? inventory.select("all")
    }
    return 0
}
