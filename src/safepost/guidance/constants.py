"""Names the CLI needs before anything heavy is imported (kept free of imports on purpose)."""

#: Audience guides of G3, in the order they are offered.
AUDIENCES: tuple[str, ...] = ("supporters", "participants", "staff", "anonymous-accounts", "encryption")
#: Risk levels, lowest first.
LEVELS: tuple[str, ...] = ("low", "medium", "high")
#: Document formats every guidance output can be rendered to.
DOC_FORMATS: tuple[str, ...] = ("md", "text", "html", "pdf")
