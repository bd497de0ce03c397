// The AWS client lives here (issue 3).
public enum AWSModule {}
