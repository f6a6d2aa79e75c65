"""The ``idp`` source: IDP extraction results (fields or a class) paired with their documents."""
