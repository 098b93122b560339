"""What an editor should look at after ingest: conflicts kept aside (shown by
`syndicate check`) and imported stories their source no longer lists (`ingest --prune`).
Both read only the ingest state and stat the files it names: cheap enough for `check`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..errors import Problem
from .state import INCOMING, load_state, state_folder


@dataclass(frozen=True, slots=True)
class Gone:
    path: str  # relative to the content folder
    source: str
    reason: str


def conflict_warnings(config: Config) -> list[Problem]:
    """One warning per article whose source changed it after an editor did."""
    if not (state_folder(config.state_dir) / "state.json").exists():
        return []
    warnings = []
    for entry in load_state(config.state_dir).entries.values():
        aside = config.content_dir / (entry.path + INCOMING)
        if entry.incoming and aside.exists():
            where = f"{config.file.content_dir}/{entry.path}"
            message = (
                f"changed here and at the source ({entry.source}); the source's version "
                f"is in {where}{INCOMING}: merge it, then delete that file"
            )
            warnings.append(Problem(where, message, severity="warning"))
    return sorted(warnings, key=str)


def gone(config: Config) -> list[Gone]:
    """Imported files whose entry the source's last document no longer listed (or whose
    source is no longer configured). Listed, never deleted: it may just have scrolled off
    the feed."""
    state = load_state(config.state_dir)
    configured = {s.name for s in config.file.sources}
    found = []
    for uid, entry in state.entries.items():
        if not (config.content_dir / entry.path).exists():
            continue
        if entry.source not in configured:
            found.append(Gone(entry.path, entry.source, "source no longer in syndicate.yaml"))
        elif uid not in state.source(entry.source).seen:
            found.append(Gone(entry.path, entry.source, "no longer listed by the source"))
    return sorted(found, key=lambda g: g.path)
