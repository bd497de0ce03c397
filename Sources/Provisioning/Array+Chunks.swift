extension Array {
    /// Consecutive slices of at most `size` elements, for AWS calls that take a bounded list
    /// (DescribeTasks: 100 tasks, TerminateInstances: a few hundred ids).
    func chunks(of size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
