import Foundation

/// A partial sum over some rows that ``ChunkTree`` adds up: a fixed set of doubles.
protocol ChunkPartial: AnyObject {
    /// Sets every sum to zero.
    func reset()
    /// Adds `other`'s sums elementwise, by IEEE addition alone (so `a.add(b)` and `b.add(a)`
    /// give the same bits, and the sum is what `packed` arrays added elementwise give).
    func add(_ other: Self)
    /// Every sum in one array, for the exchange between processes.
    var packed: [Double] { get }
    /// Replaces every sum by the matching entry of `values` (laid out as ``packed``).
    func unpack(_ values: [Double])
}

/// `count` plain sums.
final class SumVector: ChunkPartial {
    let values: UnsafeMutableBufferPointer<Double>

    init(count: Int) {
        values = .allocate(capacity: count)
        values.initialize(repeating: 0)
    }

    deinit { values.deallocate() }

    /// The first sum.
    var base: UnsafeMutablePointer<Double> { values.baseAddress! }
    func reset() { values.update(repeating: 0) }
    func add(_ other: SumVector) { for i in values.indices { values[i] += other.values[i] } }
    var packed: [Double] { Array(values) }
    func unpack(_ packed: [Double]) { for i in values.indices { values[i] = packed[i] } }
}

/// Sums over rows in a binary tree over the global leaf indices (``ChunkSchedule``): every leaf's
/// sum is taken on its own (one zeroed ``ChunkPartial``, to which one worker adds the leaf's
/// chunks in order), and node `(ℓ, j)`, which covers leaves `j·2^ℓ ..< (j+1)·2^ℓ`, holds its
/// left child plus its right child, or its left child alone when the right one lies past the
/// last leaf. The root is the total.
///
/// The tree depends on the chunk grid alone, so the total is the same bits for any thread
/// count, any order in which leaves finish, and any split of the rows among processes whose
/// blocks start at leaf boundaries: each process adds the nodes that lie wholly in its block
/// (the *frontier*: the largest such nodes), and the processes' frontiers are gathered and
/// joined in the same tree. A leaf split between processes (a block that does not start at a
/// leaf boundary) is added in process order first; the total is then still the same on every
/// process and for every thread count, but not that of one process.
///
/// Memory: a node waits only for its sibling, and workers take leaves in increasing order, so
/// about `log2(leaves) + threads` partials are alive at once.
final class ChunkTree<Partial: ChunkPartial>: @unchecked Sendable {
    private struct Node: Hashable {
        let level: Int
        let index: Int
    }

    private let lock = NSLock()
    private let schedule: ChunkSchedule
    private let make: () -> Partial
    private let leafCount: Int
    /// The frontier of this process's whole leaves, in increasing order.
    private let frontier: [Node]
    private var waiting: [Node: Partial] = [:]
    private var finished: [Node: Partial] = [:]
    private var pool: [Partial] = []

    init(_ schedule: ChunkSchedule, make: @escaping () -> Partial) {
        self.make = make
        self.schedule = schedule
        leafCount = schedule.globalLeafCount
        let whole = schedule.leaves.filter { schedule.isWholeLeaf($0) }
        frontier = whole.isEmpty ? [] : ChunkTree.frontier(of: whole.first!..<(whole.last! + 1), leafCount: leafCount)
    }

    /// The largest nodes lying wholly in `range` (nodes may run past the last leaf, which is
    /// empty), in increasing order.
    private static func frontier(of range: Range<Int>, leafCount n: Int) -> [Node] {
        var nodes: [Node] = []
        var i = range.lowerBound
        while i < range.upperBound {
            var level = 0
            // Climb while the parent starts here, ends in the range (or past the last leaf), and
            // is not above the root.
            while (1 << level) < n, i % (2 << level) == 0, min(i + (2 << level), n) <= range.upperBound {
                level += 1
            }
            nodes.append(Node(level: level, index: i >> level))
            i += 1 << level
        }
        return nodes
    }

    /// A zeroed partial for one leaf's sums.
    func take() -> Partial {
        lock.lock()
        let reused = pool.popLast()
        lock.unlock()
        guard let reused else { return make() }
        reused.reset()
        return reused
    }

    /// Hands in the sums of global leaf `leaf` (whole here or not).
    func complete(leaf: Int, whole: Bool, _ partial: Partial) {
        var node = Node(level: 0, index: leaf)
        guard whole else { return finish(node, partial) }
        let top = frontier.last { $0.index << $0.level <= leaf } ?? node
        let value = partial
        while node.level < top.level {
            let sibling = Node(level: node.level, index: node.index ^ 1)
            let parent = Node(level: node.level + 1, index: node.index >> 1)
            if sibling.index << sibling.level >= leafCount {
                node = parent  // no right sibling: the parent is the node itself
                continue
            }
            lock.lock()
            guard let other = waiting.removeValue(forKey: sibling) else {
                waiting[node] = value
                lock.unlock()
                return
            }
            lock.unlock()
            value.add(other)
            recycle(other)
            node = parent
        }
        finish(node, value)
    }

    private func finish(_ node: Node, _ value: Partial) {
        lock.lock()
        finished[node] = value
        lock.unlock()
    }

    private func recycle(_ partial: Partial) {
        lock.lock()
        pool.append(partial)
        lock.unlock()
    }

    /// The root: this process's frontier joined with every other process's through `reducer`
    /// (one ``Reducer/combine(_:_:)`` when the rows are spread over processes).
    func total(reducer: any Reducer) -> Partial {
        if reducer.size == 1, finished.count == 1, let only = finished.first,
           only.key.index == 0, (1 << only.key.level) >= leafCount {
            return only.value
        }
        let mine = finished.keys.sorted { $0.index << $0.level < $1.index << $1.level }.map { node in
            // A leaf not whole here covers only this process's rows of it.
            let rows = node.level == 0 && !schedule.isWholeLeaf(node.index)
                ? schedule.chunks(ofLeaf: node.index).reduce(0) { $0 + schedule.rowRange(ofChunk: $1).count }
                : expectedRows(node)
            return Entry(node: node, rows: rows, values: finished[node]!.packed)
        }
        let joined = Entry.decode(reducer.combine(Entry.encode(merge(mine, []))) { left, right in
            Entry.encode(merge(Entry.decode(left), Entry.decode(right)))
        })
        let result = make()
        if let root = joined.first {
            precondition(joined.count == 1 && root.rows == schedule.globalRows,
                         "chunk tree: the processes' blocks overlap or leave a gap")
            result.unpack(root.values)
        } else {
            result.reset()
        }
        return result
    }

    /// The rows of every process in the leaves under `node`.
    private func expectedRows(_ node: Node) -> Int {
        let leafRows = schedule.leafChunks * schedule.chunkRows
        let first = (node.index << node.level) * leafRows
        return max(0, min(schedule.globalRows, first + (leafRows << node.level)) - first)
    }

    /// One node in an exchange between processes: the rows it covers so far and its sums.
    private struct Entry {
        let node: Node
        var rows: Int
        var values: [Double]

        static func encode(_ entries: [Entry]) -> [Double] {
            entries.flatMap { [Double($0.node.level), Double($0.node.index), Double($0.rows), Double($0.values.count)] + $0.values }
        }

        static func decode(_ packed: [Double]) -> [Entry] {
            var entries: [Entry] = [], at = 0
            while at + 4 <= packed.count {
                let count = Int(packed[at + 3])
                entries.append(Entry(node: Node(level: Int(packed[at]), index: Int(packed[at + 1])), rows: Int(packed[at + 2]),
                                     values: Array(packed[(at + 4)..<(at + 4 + count)])))
                at += 4 + count
            }
            return entries
        }
    }

    /// Joins the nodes of two neighbouring runs of processes (`left` before `right`): a node
    /// in both (a leaf split between processes) is added left first; then, lowest level first,
    /// a complete node (one that covers all its rows) and its complete sibling become their
    /// parent, and a complete node whose right sibling lies past the last leaf becomes its
    /// parent, until none can. The values are the tree's whatever the grouping of processes.
    private func merge(_ left: [Entry], _ right: [Entry]) -> [Entry] {
        var nodes: [Node: Entry] = [:]
        for entry in left + right {
            if var earlier = nodes[entry.node] {
                earlier.rows += entry.rows
                earlier.values = zip(earlier.values, entry.values).map { $0 + $1 }
                nodes[entry.node] = earlier
            } else {
                nodes[entry.node] = entry
            }
        }
        var changed = true
        while changed {
            changed = false
            for node in nodes.keys.sorted(by: { ($0.level, $0.index) < ($1.level, $1.index) }) {
                guard let entry = nodes[node], entry.rows == expectedRows(node),
                      !(node.index == 0 && (1 << node.level) >= leafCount) else { continue }
                let sibling = Node(level: node.level, index: node.index ^ 1)
                let parent = Node(level: node.level + 1, index: node.index >> 1)
                if sibling.index << sibling.level >= leafCount {
                    nodes[node] = nil
                    nodes[parent] = Entry(node: parent, rows: entry.rows, values: entry.values)
                } else if let other = nodes[sibling], other.rows == expectedRows(sibling) {
                    nodes[node] = nil
                    nodes[sibling] = nil
                    nodes[parent] = Entry(node: parent, rows: entry.rows + other.rows,
                                          values: zip(entry.values, other.values).map { $0 + $1 })
                } else {
                    continue
                }
                changed = true
            }
        }
        return nodes.values.sorted { $0.node.index << $0.node.level < $1.node.index << $1.node.level }
    }
}

/// Sums over every row of every process: `body(worker, rows, sums)` adds the terms of one chunk's
/// `rows` (local indices) into `sums`, the partial of the chunk's leaf (zeroed, from `make`,
/// the leaf's chunks added in order by one worker, then `leafDone(worker, sums)`); the leaves'
/// partials are added in the fixed ``ChunkTree``, so the total does not depend on the thread
/// count or the split of the rows among processes.
func treeSum<Partial: ChunkPartial>(_ schedule: ChunkSchedule, threads: Int, reducer: any Reducer,
                                    make: @escaping () -> Partial,
                                    leafDone: ((_ worker: Int, _ sums: Partial) -> Void)? = nil,
                                    _ body: (_ worker: Int, _ rows: Range<Int>, _ sums: Partial) -> Void) -> Partial {
    let tree = ChunkTree(schedule, make: make)
    forEachIndex(schedule.leaves, threads: threads) { worker, leaf in
        let partial = tree.take()
        for g in schedule.chunks(ofLeaf: leaf) { body(worker, schedule.rowRange(ofChunk: g), partial) }
        leafDone?(worker, partial)
        tree.complete(leaf: leaf, whole: schedule.isWholeLeaf(leaf), partial)
    }
    return tree.total(reducer: reducer)
}

/// ``treeSum(_:threads:reducer:make:_:)`` of `count` plain sums.
func treeSum(_ schedule: ChunkSchedule, threads: Int, reducer: any Reducer, count: Int,
             _ body: (_ rows: Range<Int>, _ sums: UnsafeMutablePointer<Double>) -> Void) -> [Double] {
    treeSum(schedule, threads: threads, reducer: reducer, make: { SumVector(count: max(1, count)) }) { _, rows, sums in
        body(rows, sums.base)
    }.packed.prefix(count).map { $0 }
}

extension DataView {
    /// `count` sums over every row of every process, each chunk's terms added by `body(rows,
    /// sums)`, on the global grid of ``ChunkSchedule/alignment`` rows and its fixed tree.
    func sumOverRows(count: Int, threads: Int = 1, _ body: (_ rows: Range<Int>, _ sums: UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        treeSum(ChunkSchedule(self, chunkRows: ChunkSchedule.alignment), threads: threads, reducer: reducer, count: count, body)
    }

    /// `Σ_n w_n` over every row of every process.
    var globalWeight: Double {
        guard weights != nil else { return Double(globalRows) }
        return sumOverRows(count: 1) { rows, sums in sums[0] += totalWeight(rows) }[0]
    }
}

extension Reducer {
    /// The sum of one value per row over every process's rows, in the fixed tree over chunks of
    /// ``ChunkSchedule/alignment`` global rows: the same bits however the rows are split among
    /// processes at multiples of that many rows. The processes' rows are taken in process order.
    public func sumOfRows(_ values: UnsafeBufferPointer<Double>) -> Double {
        sumOfRows(values.count) { values[$0] }
    }

    /// ``sumOfRows(_:)`` of `value(n)` for this process's rows `0..<rows`.
    func sumOfRows(_ rows: Int, _ value: (Int) -> Double) -> Double {
        let blocks = RowBlocks(rows: rows, reducer: self)
        let schedule = ChunkSchedule(rows: rows, chunkRows: ChunkSchedule.alignment,
                                     firstRow: blocks.starts[rank], globalRows: blocks.total)
        return treeSum(schedule, threads: 1, reducer: self, count: 1) { rows, sums in
            for n in rows { sums[0] += value(n) }
        }[0]
    }
}
