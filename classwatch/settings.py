"""The teacher's own settings: one typed, versioned object, saved as JSON.

Only user preferences live here; window geometry is the UI's business (Qt
``QSettings``). What is actually in force also depends on the admin policy:
``classwatch.policy.load_effective()`` combines the two, and is what the app
and the CLI call.

The file holds only what the teacher chose (``Settings.explicit``), so a
setting nobody touched keeps following the built-in default, or the admin's
recommended value, even when either changes later.

Reading never fails: a missing file gives the defaults, and an unreadable or
corrupt one gives the defaults plus a warning for the caller to show. Saving
is atomic (``classwatch.atomic``): a crash mid-save leaves the
old file, never half a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .aggregate import MIN_FACES
from .atomic import atomic_path
from .detect import ALIASES, DETECTORS
from .errors import SettingsError
from .head_pose import FACING_PITCH, FACING_YAW
from .paths import config_dir
from .sources import Region

#: Bump with every change an older file could be misread by, and add its MIGRATIONS entry.
SETTINGS_VERSION = 1

#: MIGRATIONS[n] turns the dict of a version-n file into version n + 1.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

#: Environment variable that moves the settings folder (tests, portable installs).

SETTINGS_FILENAME = "settings.json"

#: (lowest, highest) of each numeric setting, for the checks below and the settings UI's spin boxes.
#: min_faces: a policy may raise the floor but nobody may go below MIN_FACES (a reading about one or
#: two people describes individuals); no gallery page shows more than 100, so more is a typo.
RANGES: dict[str, tuple[float, float]] = {
    "sample_every_s": (0.2, 60.0),
    "min_faces": (MIN_FACES, 100),
    "smoothing_s": (0.0, 60.0),
    "retention_days": (0, 3650),  # 0 = keep forever
    # Degrees; 0 itself is excluded (nobody would face the camera), 90 lets any pose count as facing.
    "facing_yaw_deg": (0.0, 90.0),
    "facing_pitch_deg": (0.0, 90.0),
    "camera_index": (0, 99),  # OpenCV's camera number; list_cameras() probes the first few
    "class_size": (0, 500),  # students in the room; 0 = unknown (coverage then uses the recent maximum)
}

#: Where the app takes its pictures from.
SOURCES = ("screen", "camera")
#: The formats a session can be exported as (classwatch.export writes them; an admin policy may allow fewer).
EXPORT_FORMATS = ("csv", "json", "pdf")


# --- validation: one checker per setting, shared by Settings, the settings file, the policy and the CLI


def _number(low: float, high: float, above_low: bool = False) -> Callable[[object], float]:
    def check(value: object) -> float:
        # bool is an int subclass: `true` is never a number of seconds.
        number = not isinstance(value, bool) and isinstance(value, (int, float))
        if not number or not (low < value if above_low else low <= value) or not value <= high:
            span = f"above {low:g} and at most {high:g}" if above_low else f"from {low:g} to {high:g}"
            raise ValueError(f"must be a number {span}, got {value!r}")
        return float(value)

    return check


def _integer(low: int, high: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}, got {value!r}")
        return value

    return check


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _detector(value: object) -> str:
    # Old names (a settings file or policy from an earlier version) mean today's detector.
    if not isinstance(value, str) or ALIASES.get(value, value) not in DETECTORS:
        raise ValueError(f"must be one of {', '.join(DETECTORS)}, got {value!r}")
    return ALIASES.get(value, value)


def _formats(value: object) -> tuple[str, ...]:
    # A bare string is iterable too: "csv" must not become ("c", "s", "v").
    if not isinstance(value, (list, tuple)) or any(f not in EXPORT_FORMATS for f in value):
        raise ValueError(f"must be a list of formats from {', '.join(EXPORT_FORMATS)}, got {value!r}")
    return tuple(f for f in EXPORT_FORMATS if f in value)  # canonical order, no duplicates


def _source(value: object) -> str:
    if value not in SOURCES:
        raise ValueError(f"must be one of {', '.join(SOURCES)}, got {value!r}")
    return value


def _folder(value: object) -> str | None:
    if value is None:
        return None
    # Relative to what? The app's working folder changes with how it is started.
    if not isinstance(value, str) or not value or not Path(value).expanduser().is_absolute():
        raise ValueError(f"must be an absolute folder path, got {value!r}")
    return value


_REGION_KEYS = tuple(f.name for f in fields(Region))


def _region(value: object) -> Region | None:
    if value is None or isinstance(value, Region):
        return value
    ints = isinstance(value, dict) and set(value) == set(_REGION_KEYS) and all(
        isinstance(value[k], int) and not isinstance(value[k], bool) for k in _REGION_KEYS
    )
    if not ints or value["monitor"] < 1 or value["x"] < 0 or value["y"] < 0 or value["width"] < 1 or value["height"] < 1:
        raise ValueError(f"must be null or whole numbers {', '.join(_REGION_KEYS)} (monitor from 1), got {value!r}")
    return Region(**value)


_CHECKS: dict[str, Callable[[object], object]] = {
    "sample_every_s": _number(*RANGES["sample_every_s"]),
    "detector": _detector,
    "emotions": _flag,
    "attention": _flag,
    "facing_yaw_deg": _number(*RANGES["facing_yaw_deg"], above_low=True),
    "facing_pitch_deg": _number(*RANGES["facing_pitch_deg"], above_low=True),
    "min_faces": _integer(*RANGES["min_faces"]),
    "smoothing_s": _number(*RANGES["smoothing_s"]),
    "start_on_login": _flag,
    "keep_tracks": _flag,
    "retention_days": _integer(*RANGES["retention_days"]),
    "export_formats": _formats,
    "data_dir": _folder,
    "region": _region,
    "source": _source,
    "camera": _flag,
    "camera_index": _integer(*RANGES["camera_index"]),
    "class_size": _integer(*RANGES["class_size"]),
}

#: Every setting, in display order.
SETTING_NAMES: tuple[str, ...] = tuple(_CHECKS)


def validate_setting(name: str, value: object, label: str | None = None) -> object:
    """``value`` checked and normalised for setting ``name`` (a list of formats becomes a
    tuple, a region dict a Region); SettingsError "LABEL: reason" if it is out of range."""
    if name not in _CHECKS:
        raise SettingsError(f"unknown setting {name!r}")
    try:
        return _CHECKS[name](value)
    except ValueError as exc:
        raise SettingsError(f"{label or name}: {exc}") from None


# --- the settings object


@dataclass(frozen=True)
class Settings:
    """Every user setting. Values are validated (SettingsError) and normalised on construction.

    explicit: the settings the teacher chose; the others follow the admin's
    recommended value or the default. None (a Settings built in code) means
    all of them. Not part of equality: it records where values came from, not
    what they are.
    """

    version: int = SETTINGS_VERSION
    sample_every_s: float = 1.0  # seconds between samples
    detector: str = "yunet"
    emotions: bool = True  # False = presence-only: no expression model is loaded
    attention: bool = True  # False = no head pose is read and no attention share is shown
    facing_yaw_deg: float = FACING_YAW  # a face within these limits faces the camera (docs/attention.md)
    facing_pitch_deg: float = FACING_PITCH
    min_faces: int = MIN_FACES  # below this many faces no class reading is shown
    smoothing_s: float = 3.0
    start_on_login: bool = False
    keep_tracks: bool = False  # store per-track numbers with each sample
    retention_days: int = 90  # 0 = keep sessions forever
    export_formats: tuple[str, ...] = EXPORT_FORMATS
    data_dir: str | None = None  # None = classwatch.paths.data_dir()
    region: Region | None = None  # the last capture region
    source: str = "screen"  # the app's source: "screen" (the region) or "camera" (camera_index)
    camera: bool = True  # False: no camera may be a source (the admin policy's switch)
    camera_index: int = 0
    class_size: int = 0  # students in the room, for the camera's coverage; 0 = unknown
    explicit: frozenset[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise SettingsError(f"version: must be a whole number from 1, got {self.version!r}")
        for name in SETTING_NAMES:
            object.__setattr__(self, name, validate_setting(name, getattr(self, name)))
        if self.explicit is not None:
            unknown = set(self.explicit) - set(SETTING_NAMES)
            if unknown:
                raise SettingsError(f"explicit: unknown settings {sorted(unknown)}")
            object.__setattr__(self, "explicit", frozenset(self.explicit))

    @property
    def chosen(self) -> frozenset[str]:
        """The settings the teacher chose (all of them when ``explicit`` is None)."""
        return frozenset(SETTING_NAMES) if self.explicit is None else self.explicit


#: The built-in defaults.
DEFAULTS = Settings(explicit=frozenset())


def json_value(value: object) -> object:
    """A setting value as JSON: a Region becomes an object (tuples become lists by themselves)."""
    return asdict(value) if isinstance(value, Region) else value


# --- where the file lives


def settings_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """``<config dir>/settings.json``."""
    return config_dir(env, platform) / SETTINGS_FILENAME


# --- reading and writing


def _migrate(raw: dict, version: int) -> dict:
    while version < SETTINGS_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
    return raw


def _read(path: Path) -> dict:
    """The file's settings dict, migrated to SETTINGS_VERSION; ValueError with the reason if
    unusable, FileNotFoundError if there is no file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError("it is not a JSON object")
    version = raw.pop("version", SETTINGS_VERSION)  # a hand-written file without one is taken as current
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"its version {version!r} is not a version number")
    # A newer file is read as far as this version understands it: its unknown keys are ignored.
    return _migrate(raw, version)


def load_user_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """(the teacher's settings, a warning to show or None). Never raises for a bad file.

    Missing file: the defaults, no warning. Unreadable or corrupt file: the
    defaults and a warning. Invalid values: those settings fall back to their
    defaults, the others are kept, and the warning names them. Unknown keys
    are ignored.
    """
    path = settings_path() if path is None else Path(path)
    try:
        raw = _read(path)
    except FileNotFoundError:
        return DEFAULTS, None
    except ValueError as exc:
        return DEFAULTS, f"Settings file {path} ignored: {exc}. Using the default settings."
    values, problems = {}, []
    for name in SETTING_NAMES:
        if name in raw:
            try:
                values[name] = validate_setting(name, raw[name])
            except SettingsError as exc:
                problems.append(str(exc))
    warning = None
    if problems:
        warning = f"Settings file {path}: using the defaults instead of invalid values: {'; '.join(problems)}."
    return Settings(SETTINGS_VERSION, **values, explicit=frozenset(values)), warning


def save_user_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the teacher's chosen settings atomically; SettingsError if the file cannot be written.

    Save what ``policy.apply_user_change`` returns, not ``EffectiveSettings.settings``:
    that one holds the policy's values too, which must not become the teacher's own.
    """
    path = settings_path() if path is None else Path(path)
    doc = {"version": SETTINGS_VERSION}
    doc.update({name: json_value(getattr(settings, name)) for name in SETTING_NAMES if name in settings.chosen})
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot save the settings to {path}: {exc.strerror or exc}") from exc
