"""``classwatch policy show``: the settings in force and where each came from.

It is how an admin checks a policy file. An invalid policy is printed like a
valid one (the fallback settings in force), then reported as the command's
error, so the exit status is 2 and a deployment script notices.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import PolicyError
from ..policy import POLICY_ENV, EffectiveSettings, load_effective, system_policy_paths
from ..settings import SETTING_NAMES, json_value, settings_path
from ..sources import Region


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``policy show [--json]``."""
    policy = subparsers.add_parser("policy", help="the admin policy and the settings in force")
    actions = policy.add_subparsers(dest="policy_action", metavar="ACTION", required=True)
    p = actions.add_parser("show", help="the settings in force and where each came from (default, user, policy)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_policy_show)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Region):
        return str(value)
    return "-" if value is None else str(value)


def _policy_line(effective: EffectiveSettings) -> str:
    if effective.policy_error:
        return "INVALID (see the error below); the safest settings are in force"
    if effective.policy_path:
        return str(effective.policy_path)
    looked = " or ".join(str(path) for path in system_policy_paths())
    return f"none (no file at {looked}, and {POLICY_ENV} is not set)"


def cmd_policy_show(args: argparse.Namespace) -> int:
    effective = load_effective()
    data_folder = str(effective.data_path())

    def shown(name: str) -> object:
        # "-" would hide where sessions go: show the folder the default resolves to.
        return data_folder if name == "data_dir" else getattr(effective.settings, name)

    if args.json:
        doc = {
            "policy": {"path": effective.policy_path and str(effective.policy_path), "error": effective.policy_error,
                       "lock_reason": effective.lock_reason},
            "settings_file": str(settings_path()),
            "settings_warning": effective.settings_warning,
            "settings": {
                name: {"value": json_value(shown(name)), "origin": effective.origin[name], "locked": effective.is_locked(name)}
                for name in SETTING_NAMES
            },
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(f"Admin policy   {_policy_line(effective)}")
        if effective.lock_reason:
            print(f"Lock reason    {effective.lock_reason}")
        print(f"User settings  {settings_path()}")
        print()
        rows = [("SETTING", "VALUE", "ORIGIN", "LOCKED")]
        rows += [(name, _text(shown(name)), effective.origin[name], "yes" if effective.is_locked(name) else "no")
                 for name in SETTING_NAMES]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if effective.settings_warning:
        print(f"classwatch: warning: {effective.settings_warning}", file=sys.stderr)
    if effective.policy_error:
        raise PolicyError(effective.policy_error)
    return 0
