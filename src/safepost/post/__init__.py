"""Post bundles (P1): ``post.yaml`` schema, reviewer decisions, reading and scaffolding bundles."""

from safepost.post.bundle import Post, load_post, new_post
from safepost.post.review import Review
from safepost.post.schema import PostMeta, Source

__all__ = ["Post", "PostMeta", "Review", "Source", "load_post", "new_post"]
