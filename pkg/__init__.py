"""mlplat: one YAML spec → a whole MLOps platform per environment, through Pulumi."""

__version__ = "0.1.0"

__all__ = ["__version__"]
