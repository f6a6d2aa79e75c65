"""The ``textract`` source: Amazon Textract responses (sync and async) as documents or pages."""
