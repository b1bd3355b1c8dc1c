import Foundation

/// Runs `work` for every item on at most `parallel` dedicated threads (never Swift's cooperative
/// pool: the transport blocks its thread in poll). One item's hang or failure delays only its own
/// thread; results come back in the items' order.
public enum BoundedRunner {
    public static func run<Item: Sendable, Result: Sendable>(
        _ items: [Item], parallel: Int, stackSize: Int = 512 * 1024, _ work: @escaping @Sendable (Item) -> Result
    ) -> [Result] {
        guard !items.isEmpty else { return [] }
        let box = ResultBox<Result>(count: items.count)
        let next = Counter()
        let done = DispatchGroup()
        for _ in 0..<max(1, min(parallel, items.count)) {
            done.enter()
            let thread = Thread {
                while let i = next.take(below: items.count) {
                    box.set(i, work(items[i]))
                }
                done.leave()
            }
            thread.stackSize = stackSize
            thread.start()
        }
        done.wait()
        return box.values()
    }
}

private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); slots[i] = v; lock.unlock() }
    func values() -> [T] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
