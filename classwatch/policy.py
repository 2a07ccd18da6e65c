"""The admin policy, and the settings in force: defaults < the teacher's < the policy's.

A school's admin puts a policy file (JSON, or TOML on Python 3.11+) at the
system-wide path, or names one with ``CLASSWATCH_POLICY``. Each entry either
sets and locks a setting (a plain value) or recommends a default the teacher
may change (``{"value": ..., "locked": false}``). The file format, the paths
and the reasons behind them are in ``docs/admin-policy.md``.

Fail closed: a policy that cannot be read or does not validate is never
ignored. The app then runs with the SAFEST settings, every policy setting
locked, and shows the error, because ignoring it could switch emotion
recognition (or the attention share) back on where it is not allowed.

``load_effective()`` is the one call the app and the CLI make.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PolicyError, SettingsError
from .paths import APP_NAME, DB_FILENAME, data_dir, resolve_db_path
from .settings import DEFAULTS, SETTING_NAMES, Settings, load_user_settings, settings_path, validate_setting

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: JSON policies only
    tomllib = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from .pipeline import PipelineConfig

#: Environment variable naming a policy file; used only where no system-wide policy is installed.
POLICY_ENV = "CLASSWATCH_POLICY"

#: The settings a policy may set. The others (smoothing, the facing limits, start
#: on login, the capture region, which source and camera, the class size) are the
#: teacher's alone: they carry no privacy risk.
POLICY_FIELDS = (
    "sample_every_s", "detector", "emotions", "attention", "min_faces", "keep_tracks", "retention_days",
    "export_formats", "data_dir", "camera",
)


@dataclass(frozen=True)
class Policy:
    """A parsed policy: ``values`` the settings it sets, ``locked`` those the teacher may not change.

    Values are validated and normalised on construction (PolicyError).
    """

    values: dict[str, object]
    locked: frozenset[str]
    reason: str | None = None  # shown next to every locked setting
    source: Path | None = None

    def __post_init__(self) -> None:
        unknown = set(self.values) - set(POLICY_FIELDS)
        if unknown:
            raise PolicyError(f"a policy cannot set {', '.join(sorted(unknown))}")
        if not set(self.locked) <= set(self.values):
            raise PolicyError(f"a policy can only lock settings it sets, not {', '.join(sorted(set(self.locked) - set(self.values)))}")
        try:
            values = {name: validate_setting(name, value) for name, value in self.values.items()}
        except SettingsError as exc:
            raise PolicyError(str(exc)) from None
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "locked", frozenset(self.locked))


#: What an invalid policy falls back to: the privacy switches at their most
#: restrictive. Attention is off too: it reads each face's head pose, and an
#: admin who meant to turn it off must not see it come back; so is the camera,
#: which films a room rather than a call. CSV and PDF stay allowed because they hold class aggregates
#: only; a JSON export can carry the per-track numbers of sessions recorded
#: with keep_tracks. 30 days keeps the current month's sessions for review
#: while bounding what a broken policy lets pile up (older sessions are
#: deleted when retention is applied, as with any 30-day policy).
SAFEST = Policy(
    values={"emotions": False, "attention": False, "keep_tracks": False, "retention_days": 30,
            "export_formats": ("csv", "pdf"), "camera": False},
    locked=frozenset({"emotions", "attention", "keep_tracks", "retention_days", "export_formats", "camera"}),
)


# --- finding and reading the policy file


def system_policy_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Linux and other Unix: ``/etc/classwatch``; macOS: ``/Library/Application Support/classwatch``;
    Windows: ``%PROGRAMDATA%\\classwatch`` (normally ``C:\\ProgramData\\classwatch``)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):
        return Path(env.get("PROGRAMDATA") or "C:\\ProgramData") / APP_NAME
    if platform == "darwin":
        return Path("/Library/Application Support") / APP_NAME
    return Path("/etc") / APP_NAME


def system_policy_paths(env: Mapping[str, str] | None = None, platform: str | None = None) -> tuple[Path, Path]:
    """The two places a system-wide policy may be: ``policy.json`` and ``policy.toml``."""
    folder = system_policy_dir(env, platform)
    return folder / "policy.json", folder / "policy.toml"


def _present(path: Path) -> bool:
    # A file we may not even stat is there (and will fail to read): absent only if the OS says so.
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        pass
    return True


def _unknown_key(key: str) -> str:
    if key in SETTING_NAMES:
        return f"{key}: is the teacher's own setting; a policy cannot set it"
    close = difflib.get_close_matches(key, [*POLICY_FIELDS, "reason"], n=1)
    return f"{key}: unknown setting" + (f" (did you mean {close[0]!r}?)" if close else "")


def _entry(key: str, entry: object) -> tuple[object, bool]:
    """(value, locked) of one policy entry; SettingsError naming the key if it is malformed."""
    if not isinstance(entry, dict):
        return validate_setting(key, entry), True
    if "value" not in entry or set(entry) - {"value", "locked"}:
        raise SettingsError(f'{key}: write a plain value, or {{"value": ..., "locked": false}}')
    locked = entry.get("locked", True)
    if not isinstance(locked, bool):
        raise SettingsError(f"{key}.locked: must be true or false, got {locked!r}")
    return validate_setting(key, entry["value"]), locked


def parse_policy(raw: object, source: Path | None = None) -> Policy:
    """A policy from a decoded JSON object or TOML table; PolicyError listing every problem.

    Unknown keys are errors, not ignored: a misspelt ``"emotion": false``
    must not silently leave emotion recognition on.
    """
    where = f"invalid admin policy {source}" if source else "invalid admin policy"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: it must be an object of settings, not {type(raw).__name__}")
    values, locked, problems = {}, set(), []
    reason = raw.get("reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        problems.append(f"reason: must be a non-empty text, got {reason!r}")
    for key, entry in raw.items():
        if key == "reason":
            continue
        if key not in POLICY_FIELDS:
            problems.append(_unknown_key(key))
            continue
        try:
            values[key], lock = _entry(key, entry)
        except SettingsError as exc:
            problems.append(str(exc))
            continue
        if lock:
            locked.add(key)
    if problems:
        raise PolicyError(f"{where}: " + "; ".join(problems))
    return Policy(values, frozenset(locked), reason, source)


def read_policy_file(path: Path) -> Policy:
    """Read and parse one policy file (TOML if it ends in ``.toml``, JSON otherwise); PolicyError if unusable."""
    try:
        # utf-8-sig: Windows editors may start the file with a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise PolicyError(f"cannot read the admin policy {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"invalid admin policy {path}: it is not UTF-8 text") from None
    if path.suffix.lower() == ".toml":
        if tomllib is None:
            raise PolicyError(f"cannot read the admin policy {path}: TOML needs Python 3.11 or later; use policy.json")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"invalid admin policy {path}: not valid TOML ({exc})") from None
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"invalid admin policy {path}: not valid JSON ({exc})") from None
    return parse_policy(raw, path)


def load_policy(env: Mapping[str, str] | None = None, platform: str | None = None) -> tuple[Policy | None, str | None]:
    """(the policy or None, an error message or None). Never raises.

    The system-wide file wins over ``CLASSWATCH_POLICY``: a variable anyone
    can set in their own environment must not replace the admin's policy.
    An error (a file that cannot be read or parsed, a CLASSWATCH_POLICY naming
    no file, both policy.json and policy.toml) means: use the safest settings.
    """
    env = os.environ if env is None else env
    found = [path for path in system_policy_paths(env, platform) if _present(path)]
    if len(found) > 1:
        return None, f"two admin policies, {found[0]} and {found[1]}: remove one"
    if found:
        path = found[0]
    elif env.get(POLICY_ENV):
        path = Path(env[POLICY_ENV]).expanduser()
        if not _present(path):
            return None, f"{POLICY_ENV} names {path}, which does not exist"
    else:
        return None, None
    try:
        return read_policy_file(path), None
    except PolicyError as exc:
        return None, str(exc)


# --- the settings in force


@dataclass(frozen=True)
class EffectiveSettings:
    """The settings in force and where each came from.

    settings: what the app and the CLI must use.
    origin: setting name -> "default", "user" or "policy".
    locked: the settings the teacher may not change (shown disabled, with lock_reason).
    policy_path: the policy file in force; policy_error: why it could not be
        used (then the SAFEST settings are in force and every policy setting is locked).
    user: the teacher's own choices: what apply_user_change edits and save_user_settings writes.
    settings_warning: why (part of) the teacher's settings file was ignored.
    """

    settings: Settings
    origin: dict[str, str]
    locked: frozenset[str]
    lock_reason: str | None
    policy_path: Path | None
    policy_error: str | None
    user: Settings
    settings_warning: str | None = None

    def is_locked(self, field: str) -> bool:
        if field not in SETTING_NAMES:
            raise ValueError(f"unknown setting {field!r}")
        return field in self.locked

    def pipeline_config(self) -> PipelineConfig:
        """The analysis configuration; emotions off = presence-only, no expression model loaded;
        attention off = no head pose read. The two are independent."""
        # Imported here: `classwatch policy show` has no use for the analysis stack.
        from .pipeline import PipelineConfig

        s = self.settings
        return PipelineConfig(detector=s.detector, emotions=s.emotions, attention=s.attention,
                              facing_yaw_deg=s.facing_yaw_deg, facing_pitch_deg=s.facing_pitch_deg,
                              min_faces=s.min_faces, smoothing_s=s.smoothing_s)

    def data_path(self) -> Path:
        """The data folder: the setting, or the per-user default (which CLASSWATCH_DATA_DIR moves)."""
        return Path(self.settings.data_dir).expanduser() if self.settings.data_dir else data_dir()

    def db_path(self, explicit: str | os.PathLike | None = None) -> Path:
        """The session database: ``explicit`` (``--db``) if given, else the one in the data folder.

        PolicyError if the policy locks the data folder and ``explicit`` lies outside it.
        """
        folder = self.data_path()
        if explicit is not None and self.is_locked("data_dir"):
            if not Path(explicit).expanduser().resolve().is_relative_to(folder.resolve()):
                raise PolicyError(f"{explicit} is outside the data folder {folder}, which is locked: {self.lock_reason}")
        return resolve_db_path(explicit, folder / DB_FILENAME)

    def cli_value(self, field: str, given: object, flag: str) -> object:
        """The value for a command-line flag: the setting in force if the flag was not given (None).

        A given value is validated like the setting (SettingsError), and one
        that contradicts a locked setting is a PolicyError, never silently replaced.
        """
        current = getattr(self.settings, field)
        if given is None:
            return current
        value = validate_setting(field, given, label=f"{flag} {given}")
        if value != current and self.is_locked(field):
            raise PolicyError(f"{flag} {given}: {field} is locked to {current}: {self.lock_reason}")
        return value

    def check_export(self, fmt: str) -> None:
        """PolicyError unless exports in ``fmt`` are allowed."""
        allowed = self.settings.export_formats
        if fmt in allowed:
            return
        listed = ", ".join(allowed) or "none"
        if self.is_locked("export_formats"):
            raise PolicyError(f"export as {fmt} is not allowed (allowed: {listed}): {self.lock_reason}")
        raise PolicyError(f"export as {fmt} is turned off in the settings (allowed: {listed})")


def effective_settings(
    user: Settings | None = None, policy: Policy | None = None, policy_error: str | None = None
) -> EffectiveSettings:
    """Combine the teacher's settings and the policy.

    Per setting, the first that applies: a locked policy value; the teacher's
    choice; the policy's recommended (unlocked) value; the default. With a
    policy_error the policy is ignored, SAFEST applies and every policy setting is locked.
    """
    user = DEFAULTS if user is None else user
    if policy_error is not None:
        policy = SAFEST
    values, origin = {}, {}
    for name in SETTING_NAMES:
        if policy and name in policy.locked:
            values[name], origin[name] = policy.values[name], "policy"
        elif name in user.chosen:
            values[name], origin[name] = getattr(user, name), "user"
        elif policy and name in policy.values:
            values[name], origin[name] = policy.values[name], "policy"
        else:
            values[name], origin[name] = getattr(DEFAULTS, name), "default"
    if not values["camera"] and values["source"] == "camera":
        # A forbidden camera is never the source in force; the teacher's choice stays in their file.
        values["source"], origin["source"] = "screen", origin["camera"]
    if policy_error is not None:
        # Everything the admin could lock stays as it is until the policy is fixed.
        locked = frozenset(POLICY_FIELDS)
        reason = f"The admin policy cannot be used ({policy_error}), so the safest settings are in force."
    else:
        locked = policy.locked if policy else frozenset()
        reason = (policy.reason or f"Set by the admin policy {policy.source or ''}".rstrip()) if locked else None
    if "camera" in locked and not values["camera"]:
        locked |= {"source"}  # nor may the teacher choose it as the source
    return EffectiveSettings(
        settings=Settings(**values, explicit=frozenset(n for n in SETTING_NAMES if origin[n] == "user")),
        origin=origin,
        locked=locked,
        lock_reason=reason,
        policy_path=policy.source if policy else None,  # SAFEST has none
        policy_error=policy_error,
        user=user,
    )


def load_effective(env: Mapping[str, str] | None = None, platform: str | None = None) -> EffectiveSettings:
    """The teacher's settings file and the admin policy, combined. Never raises for a bad file."""
    user, warning = load_user_settings(settings_path(env, platform))
    policy, error = load_policy(env, platform)
    return replace(effective_settings(user, policy, error), settings_warning=warning)


def apply_user_change(effective: EffectiveSettings, **changes: object) -> Settings:
    """The teacher's settings with ``changes`` made; save the result with ``save_user_settings``.

    A change to a locked setting is a PolicyError naming it. Passing the value
    already in force is not a change (a settings dialog may send every field),
    and it is not recorded as the teacher's choice, so the setting keeps
    following the policy's recommendation or the default.
    """
    made = {}
    for name, value in changes.items():
        value = validate_setting(name, value)
        if value == getattr(effective.settings, name):
            continue
        if effective.is_locked(name):
            raise PolicyError(f"{name} is locked: {effective.lock_reason}")
        made[name] = value
    user = effective.user
    return replace(user, **made, explicit=user.chosen | set(made))
