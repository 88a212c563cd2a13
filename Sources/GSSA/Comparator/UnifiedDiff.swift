/// A unified diff of two texts, line by line, with three lines of context.
///
/// Built on the standard library's `CollectionDifference`, so there is no diff algorithm of our
/// own to trust.
public struct UnifiedDiff: Sendable {
    /// The diff's lines: the `---`/`+++` header, then hunks; empty when the texts are equal.
    public let lines: [String]

    /// Diffs `old` against `new`, naming them `fromLabel` and `toLabel` in the header, with `context` unchanged lines around each change.
    public init(from old: String, to new: String, fromLabel: String = "a", toLabel: String = "b", context: Int = 3) {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let difference = b.difference(from: a)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        // Walk both sides in step, producing an edit script.
        enum Op { case keep(Int, Int), remove(Int), insert(Int) }
        var ops: [Op] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count && removed.contains(i) {
                ops.append(.remove(i)); i += 1
            } else if j < b.count && inserted.contains(j) {
                ops.append(.insert(j)); j += 1
            } else if i < a.count && j < b.count {
                ops.append(.keep(i, j)); i += 1; j += 1
            } else if i < a.count {
                ops.append(.remove(i)); i += 1
            } else {
                ops.append(.insert(j)); j += 1
            }
        }
        let changed = ops.indices.filter { if case .keep = ops[$0] { return false } else { return true } }
        guard !changed.isEmpty else {
            lines = []
            return
        }
        var output = ["--- \(fromLabel)", "+++ \(toLabel)"]
        // Group changes whose context windows overlap into hunks.
        var hunks: [ClosedRange<Int>] = []
        for index in changed {
            let window = max(0, index - context)...min(ops.count - 1, index + context)
            if let last = hunks.last, window.lowerBound <= last.upperBound + 1 {
                hunks[hunks.count - 1] = last.lowerBound...max(last.upperBound, window.upperBound)
            } else {
                hunks.append(window)
            }
        }
        for hunk in hunks {
            var body: [String] = []
            var aStart: Int?
            var bStart: Int?
            var aCount = 0
            var bCount = 0
            for op in ops[hunk] {
                switch op {
                case .keep(let x, let y):
                    aStart = aStart ?? x; bStart = bStart ?? y
                    aCount += 1; bCount += 1
                    body.append(" " + a[x])
                case .remove(let x):
                    aStart = aStart ?? x
                    aCount += 1
                    body.append("-" + a[x])
                case .insert(let y):
                    bStart = bStart ?? y
                    bCount += 1
                    body.append("+" + b[y])
                }
            }
            let aFrom = aCount == 0 ? (aStart ?? 0) : (aStart ?? 0) + 1
            let bFrom = bCount == 0 ? (bStart ?? 0) : (bStart ?? 0) + 1
            output.append("@@ -\(aFrom),\(aCount) +\(bFrom),\(bCount) @@")
            output += body
        }
        lines = output
    }
}
