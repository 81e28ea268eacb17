/// The one audited escape from `Sendable` checking in this module, as in swift-nio.
///
/// It carries buffers into `DispatchQueue.concurrentPerform` bodies. Each use must guarantee
/// that concurrent tasks touch disjoint memory (every task writes only its own slot) or only read.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let wrappedValue: Value
    init(_ wrappedValue: Value) { self.wrappedValue = wrappedValue }
}
