import Foundation

/// Where each service's requests go: AWS's public endpoints unless overridden by
/// `AWS_ENDPOINT_URL_<SERVICE>` (one service) or `AWS_ENDPOINT_URL` (all services),
/// the precedence the AWS SDKs use.
public struct Endpoints: Sendable, Hashable {
    public var global: String?
    public var perService: [AWSService: String]

    public init(global: String? = nil, perService: [AWSService: String] = [:]) {
        self.global = global
        self.perService = perService
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Endpoints {
        var endpoints = Endpoints(global: nonEmpty(environment["AWS_ENDPOINT_URL"]))
        for service in AWSService.allCases {
            if let url = nonEmpty(environment["AWS_ENDPOINT_URL_\(service.environmentSuffix)"]) {
                endpoints.perService[service] = url
            }
        }
        return endpoints
    }

    /// The base URL (scheme, host, optional port, no trailing slash) for a service.
    public func url(for service: AWSService, region: String) -> String {
        var url = perService[service] ?? global ?? service.defaultEndpoint(region: region)
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// True when any override is set (the emulator, or a VPC endpoint).
    public var isOverridden: Bool { global != nil || !perService.isEmpty }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}

/// The parts of an endpoint URL the signer needs.
struct EndpointURL {
    let base: String
    /// `host` or `host:port` (port only when not the scheme's default), as the Host header.
    let hostHeader: String

    init?(_ base: String) {
        guard let components = URLComponents(string: base), let host = components.host, !host.isEmpty,
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else { return nil }
        self.base = base
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            hostHeader = "\(host):\(port)"
        } else {
            hostHeader = host
        }
    }
}
