"""The ``docai`` source: Google Document AI documents (single and sharded) as documents or pages."""
