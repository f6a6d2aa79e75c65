"""The ``bda`` source: Amazon Bedrock Data Automation document outputs (standard and custom)."""
