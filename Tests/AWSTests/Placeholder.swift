import Testing
@Test func awsPlaceholder() { #expect(Bool(true)) }
