import Foundation

extension AWSClient {
    /// One JSON 1.1 call (ECS, ECR, Logs): `X-Amz-Target: <prefix>.<action>`. `idempotency`
    /// defaults to what the action is without a client token (``AWSIdempotency/of(_:action:clientToken:)``).
    public func json(_ service: AWSService, action: String, body: [UInt8],
                     idempotency: AWSIdempotency? = nil) throws(AWSError) -> [UInt8] {
        guard let prefix = service.jsonTargetPrefix else {
            throw AWSError(service: service, operation: action, httpStatus: nil, code: "UnsupportedProtocol",
                           message: "\(service.rawValue) does not speak JSON 1.1", classification: .invalidInput)
        }
        return try send(service, operation: action, contentType: "application/x-amz-json-1.1",
                        headers: [HTTPHeader("X-Amz-Target", "\(prefix).\(action)")], body: body,
                        idempotency: idempotency ?? .of(service, action: action, clientToken: false)).body
    }

    /// Every page of a JSON 1.1 list call: `input` builds a page's request from the previous
    /// page's token (nil first), `items` takes a page's entries, `next` its token (none or empty: the last page).
    func jsonPages<Input: Encodable, Output: Decodable, Item>(_ service: AWSService, action: String, _ input: (String?) -> Input,
                                                             as output: Output.Type, items: (Output) -> [Item],
                                                             next: (Output) -> String?) throws(AWSError) -> [Item] {
        var found: [Item] = []
        var token: String?
        repeat {
            let page = try json(service, action: action, input(token), as: Output.self)
            found += items(page)
            token = next(page).flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return found
    }

    /// A typed JSON 1.1 call: encodes `input`, decodes the answer as `Output`.
    public func json<Input: Encodable, Output: Decodable>(_ service: AWSService, action: String, _ input: Input,
                                                          as output: Output.Type = Output.self,
                                                          idempotency: AWSIdempotency? = nil) throws(AWSError) -> Output {
        let body: Data
        do {
            body = try JSONEncoder().encode(input)
        } catch {
            throw AWSError(service: service, operation: action, httpStatus: nil, code: "SerializationFailed",
                           message: "\(error)", classification: .invalidInput)
        }
        let answer = try json(service, action: action, body: Array(body), idempotency: idempotency)
        do {
            return try JSONDecoder().decode(Output.self, from: Data(answer.isEmpty ? Array("{}".utf8) : answer))
        } catch {
            throw AWSError(service: service, operation: action, httpStatus: 200, code: "UnparseableResponse",
                           message: "\(error)", classification: .other)
        }
    }
}

/// An empty JSON object, for calls without input or without interesting output.
public struct EmptyJSON: Codable, Sendable {
    public init() {}
}
