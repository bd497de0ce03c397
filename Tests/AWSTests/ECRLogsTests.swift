import AWS
import Testing

@Suite struct ECRLogsTests {
    @Test func repositories() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            let repo = try client.createRepository(name: "berth/t1", tags: [Tag("berth:tenant", "t1")])
            #expect(repo.repositoryUri.hasSuffix("/berth/t1"))
            #expect(try client.describeRepositories(names: ["berth/t1"]).map(\.repositoryArn) == [repo.repositoryArn])
            let exists = #expect(throws: AWSError.self) { try client.createRepository(name: "berth/t1") }
            #expect(exists?.classification == .alreadyExists)
            try client.deleteRepository(name: "berth/t1", force: true)
            let gone = #expect(throws: AWSError.self) { try client.describeRepositories(names: ["berth/t1"]) }
            #expect(gone?.classification == .notFound)
            #expect(gone?.code == "RepositoryNotFoundException")
        }
    }

    @Test func logGroups() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            for name in ["/berth/t1", "/berth/t2", "/berth/t3"] {
                try client.createLogGroup(name: name, tags: [Tag("berth:managed", "true")])
            }
            try client.putRetentionPolicy(logGroupName: "/berth/t1", days: 30)
            let groups = try client.describeLogGroups(prefix: "/berth/", pageSize: 2)
            #expect(groups.map(\.logGroupName) == ["/berth/t1", "/berth/t2", "/berth/t3"])
            #expect(groups.first?.retentionInDays == 30)
            let exists = #expect(throws: AWSError.self) { try client.createLogGroup(name: "/berth/t1") }
            #expect(exists?.classification == .alreadyExists)
            try client.deleteLogGroup(name: "/berth/t1")
            let gone = #expect(throws: AWSError.self) { try client.deleteLogGroup(name: "/berth/t1") }
            #expect(gone?.classification == .notFound)
        }
    }
}
