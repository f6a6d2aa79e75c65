"""The ``comprehend`` source: Amazon Comprehend custom classification output and its inputs."""
