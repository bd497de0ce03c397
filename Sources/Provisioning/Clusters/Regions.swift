/// The regions Berth supports (as the SQL API's `berth.supported_regions()`).
public enum Regions {
    public static let supported = ["us-east-1", "us-east-2", "us-west-1", "eu-central-1", "eu-west-2"]
    public static let fallback = "us-east-2"
}
