"""Converters: source readers (tables, Textract, IDP results) and Bedrock record builders."""
