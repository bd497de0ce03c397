import AWS

/// Runs an AWS call for which some failures mean "already so": `nil` when it failed with one
/// of `expected` classifications (or `codes`), its result otherwise. Any other error passes.
func tolerate<T>(_ expected: Set<AWSErrorClassification>, codes: Set<String> = [], _ body: () throws -> T) throws -> T? {
    do {
        return try body()
    } catch let error as AWSError {
        if expected.contains(error.classification) || codes.contains(error.code) { return nil }
        throw error
    }
}

/// Runs an AWS call and returns how it failed when it failed in one of the `expected` ways
/// (nil on success); any other error passes.
func expectedFailure(_ expected: Set<AWSErrorClassification>, _ body: () throws -> Void) throws -> AWSErrorClassification? {
    do {
        try body()
        return nil
    } catch let error as AWSError where expected.contains(error.classification) {
        return error.classification
    }
}
