"""Settings of one web app instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safepost.decide.policy import Policy

MIB = 1024 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass
class WebConfig:
    """Everything :func:`safepost.web.create_app` needs; the defaults are the safe ones."""

    workspace: Path
    #: lock a session (close its workspace, forget its keys) after this many idle seconds
    idle_lock_s: float = 15 * 60
    #: largest upload request (all files of one form together)
    max_upload_bytes: int = 256 * MIB
    #: upload bytes held in memory by all requests together; beyond it an upload is told to try again
    max_upload_total_bytes: int = 512 * MIB
    #: address space of the child process that analyses one file (safepost.web.jobs)
    job_memory_bytes: int = 4 * 1024 * MIB
    #: seconds the analysis of one file may take before it is stopped
    job_timeout_s: float = 600.0
    #: most files in one upload
    max_files: int = 20
    #: largest request without files, and largest single text field
    max_form_bytes: int = 1 * MIB
    #: largest CSV of people
    max_csv_bytes: int = 20 * MIB
    #: seconds a wrong passphrase waits before its answer (slows guessing)
    unlock_delay_s: float = 2.0
    #: Host header values accepted (DNS-rebinding defence); None accepts any (only with --allow-remote)
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS
    default_lang: str = "en"
    #: the organisation's ``policy.yaml`` (``safepost serve --policy``), applied as ``safepost check`` does
    policy: Policy = field(default_factory=Policy)
    #: how often idle sessions are swept, in seconds
    sweep_every_s: float = 30.0
    extra: dict = field(default_factory=dict)
