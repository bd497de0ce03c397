extension AWSClient {
    /// Runs an EC2 Describe call, following `NextToken` until the last page, and
    /// returns the `item`s of `listName` from every page.
    ///
    /// `pageSize` sets `MaxResults` (leave nil when the call names IDs: AWS refuses both).
    public func ec2Paginate(_ action: String, _ parameters: QueryParameters, listName: String,
                            pageSize: Int? = nil, maxPages: Int = 1000) throws(AWSError) -> [XMLElement] {
        var items: [XMLElement] = []
        var token: String?
        for _ in 0..<maxPages {
            var page = parameters
            page.set("MaxResults", pageSize)
            page.set("NextToken", token)
            let root = try query(.ec2, action: action, page)
            items += root.items(listName)
            token = root.string("nextToken")
            if token == nil || token?.isEmpty == true { return items }
        }
        throw AWSError(service: .ec2, operation: action, httpStatus: 200, code: "TooManyPages",
                       message: "stopped after \(maxPages) pages", classification: .other)
    }
}
