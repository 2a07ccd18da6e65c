"""``classwatch sessions list|show|delete|import``: the recorded sessions.

Bad input raises SessionError, which the CLI prints as one line (exit status 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..session.exporting import info_to_dict, read_json
from ..session.model import (
    SessionData,
    TimeBase,
    attention_text,
    cameras_off_text,
    describe_settings,
    format_duration,
    format_utc_offset,
    local_datetime,
    to_iso,
)
from ..session.store import SessionStore
from ..session.summary import LEVEL_RANGE, Segment, SessionSummary, summarize


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sessions list|show|delete|import``.

    Each takes ``--db PATH``; without it the database in the data folder of
    the settings in force is used.
    """
    sessions = subparsers.add_parser("sessions", help="list, show, delete or import recorded sessions")
    actions = sessions.add_subparsers(dest="sessions_action", metavar="ACTION", required=True)

    p = actions.add_parser("list", help="the recorded sessions, oldest first")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    common_args(p, cmd_sessions_list)

    p = actions.add_parser("show", help="the summary of one session")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    common_args(p, cmd_sessions_show)

    p = actions.add_parser("delete", help="delete a session and everything recorded in it")
    p.add_argument("name", metavar="NAME")
    common_args(p, cmd_sessions_delete)

    p = actions.add_parser("import", help="add a session from a JSON export")
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument("--name", help="store it under this name (default: its name in the file)")
    common_args(p, cmd_sessions_import)


def common_args(parser: argparse.ArgumentParser, handler) -> None:
    parser.add_argument("--db", type=Path, metavar="PATH", help="session database (default: the one in the user data folder)")
    parser.set_defaults(func=handler)


def _db_path(args: argparse.Namespace) -> Path:
    from ..policy import load_effective  # here: the policy loads the pipeline, which most commands do not need

    return load_effective().db_path(args.db)


def _print_json(doc) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


# --- handlers -------------------------------------------------------------


def cmd_sessions_list(args: argparse.Namespace) -> int:
    db = _db_path(args)
    if db.exists():
        with SessionStore(db, create=False) as store:
            infos = store.list_sessions()
    else:
        infos = []  # nothing recorded yet: an empty list, not an error
    if args.json:
        _print_json({"database": str(db), "sessions": [info_to_dict(info) for info in infos]})
        return 0
    if not infos:
        print(f"No sessions in {db}.")
        return 0
    rows = [("NAME", "STARTED", "DURATION", "SAMPLES", "STATUS")]
    for info in infos:
        started = local_datetime(info.started_at).strftime("%Y-%m-%d %H:%M")
        rows.append((info.name, started, info.duration_text(), str(info.sample_count), info.status.value))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def load_session(args: argparse.Namespace) -> SessionData:
    with SessionStore(_db_path(args), create=False) as store:
        return store.load(args.name)


def _segment_line(segment: Segment, summary: SessionSummary, data: SessionData) -> str:
    span = f"{data.info.format_time(segment.start)}-{data.info.format_time(segment.end)}"
    mood = "   n/a" if segment.mood_index is None else f"{segment.mood_index:+.2f}"
    mark = "  <- lowest" if segment is summary.lowest else "  <- highest" if segment is summary.highest else ""
    label = f"  {segment.label}" if segment.label else ""
    # An attention column only where the session measured it: older sessions read as before.
    attention = ""
    if summary.mean_attention is not None:
        attention = "   n/a" if segment.attention is None else f"  {segment.attention:>4.0%}"
    return f"    {span}  {mood}{attention}{label}{mark}"


def cmd_sessions_show(args: argparse.Namespace) -> int:
    data = load_session(args)
    summary = summarize(data)
    if args.json:
        _print_json({
            "session": info_to_dict(data.info),
            "summary": summary.to_dict(),
            "bookmarks": [{"time": to_iso(b.wall_time), "text": b.text} for b in data.bookmarks],
        })
        return 0
    info = data.info
    print(f"Session {info.name} ({info.status.value})")
    print(f"  Started      {local_datetime(info.started_at):%a %d %b %Y %H:%M} ({format_utc_offset(info.started_at)})")
    if info.time_base is TimeBase.MEDIA:
        print(f"  Duration     {info.duration_text()} analysed (times below are positions in the video)")
    else:
        print(f"  Duration     {info.duration_text()}")
    print(f"  Source       {info.source or '-'}; detector {info.detector or '-'}; model {info.model_name or '-'} {info.model_version}".rstrip())
    print(f"  Settings     {describe_settings(info.settings) or '-'}")
    print(f"  Samples      {summary.samples} ({summary.readings} with a mood index)")
    print(f"  Faces        {summary.mean_faces:.1f} analysed on average, of {summary.mean_tiles:.1f} tiles "
          f"({cameras_off_text(summary.mean_camera_off)})")
    why = ("switched off, too few faces, or recorded before attention existed" if summary.mean_attention is None
           else "head orientation, not concentration")
    print(f"  Attention    {attention_text(summary.mean_attention)} ({why})")
    if summary.mean_mood_index is None:
        print("  Mood index   not available (too few faces, or expression analysis was off)")
    else:
        print(f"  Mood index   {summary.mean_mood_index:+.2f} on average (-1 negative ... +1 positive)")
        shares = sorted(summary.expression_share.items(), key=lambda kv: -kv[1])
        print("  Expressions  " + ", ".join(f"{name} {share:.0%}" for name, share in shares if share >= 0.005))
    if summary.mean_mood_index is None and summary.mean_attention is None:
        return 0
    kind = "between bookmarks" if summary.segment_kind == "bookmarks" else f"in {format_duration(summary.window_s)} windows"
    what = "Mood" if summary.mean_attention is None else "Mood and attention (share facing the screen)"
    print(f"  {what} {kind}:")
    for segment in summary.segments:
        print(_segment_line(segment, summary, data))
    if summary.level:
        print(f"  The mood stayed level: every stretch within {LEVEL_RANGE:.2f} of the others.")
    return 0


def cmd_sessions_delete(args: argparse.Namespace) -> int:
    with SessionStore(_db_path(args), create=False) as store:
        info = store.delete(args.name)
    print(f"Deleted session {info.name} ({info.sample_count} samples).")
    return 0


def cmd_sessions_import(args: argparse.Namespace) -> int:
    data = read_json(args.path)
    db = _db_path(args)
    with SessionStore(db) as store:
        info = store.import_session(data, args.name)
    print(f"Imported session {info.name} ({info.sample_count} samples) into {db}.")
    return 0
