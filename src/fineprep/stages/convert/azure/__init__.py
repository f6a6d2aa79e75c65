"""The ``azure-di`` source: Azure AI Document Intelligence analyze results as documents or pages."""
