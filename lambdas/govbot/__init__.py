"""govbot: governance for Amazon AppStream 2.0 images."""

__version__ = "0.1.0"
