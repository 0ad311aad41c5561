"""What every ``evisynth`` command shares: the Typer app class with plain 80-column help, and output.

Imports only the standard library and typer, so that ``evisynth --help`` stays instant (see
``evisynth.cli.main``).
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption


def _argument_name(param: Any) -> str:
    """An argument as the usage line and the Arguments section show it: ``FILE``, ``[FILE]``,
    ``PATH...`` (its metavar, else its name in capitals), never a type placeholder."""
    name = param.metavar or param.name.upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if param.required else f"[{name}]"


class _WholeShortHelp:
    """In a list of commands, each command's first sentence whole (the list wraps it), where
    click would cut it at about 45 characters with '...'."""

    help: str | None
    short_help: str | None

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return self.short_help
        paragraph = inspect.cleandoc(self.help or "").split("\n\n")[0].replace("\n", " ")
        end = paragraph.find(". ")
        return paragraph if end < 0 else paragraph[: end + 1]


class Group(_WholeShortHelp, TyperGroup):
    """A sub-app's group: its commands listed with their whole first sentence."""


#: Metavars for options that name none, by the annotation's type (instead of Typer's ``<str>``).
_METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH"}


class Command(_WholeShortHelp, TyperCommand):
    """Plain help (no Rich panels): option names are never cut at 80 columns, text in square
    brackets such as ``[REML]`` is shown as written, and arguments are shown by their metavar
    (``FILE``) instead of Typer's ``{file}`` and ``<path>``. An option without a metavar of its
    own (``metavar="TEXT"``) gets one from its type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
                bare = param.bare_type().removeprefix("list[").removesuffix("]")
                param.metavar = _METAVARS.get(bare, bare.upper())

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_argument_name(p) for p in self.get_params(ctx)
                         if p.param_type_name == "argument"]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param).strip("[]"), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class App(typer.Typer):
    """``typer.Typer`` whose help is plain text (``rich_markup_mode=None``), whose group is a
    :class:`Group` and whose commands are :class:`Command` s. Use it for every app and sub-app of
    the command line."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("add_completion", False)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", Command)
        return super().command(name, **kwargs)


def emit(payload: Any, json_output: bool, render: Callable[[], None]) -> None:
    """``payload`` as JSON on stdout when ``--json`` was given, else ``render()``."""
    if json_output:
        print_json(payload)
    else:
        render()


def print_json(payload: Any) -> None:
    """JSON on stdout as every ``--json`` prints it: UTF-8 as is, indented."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def print_text(text: str) -> None:
    """One line for a person, through Rich (markup such as ``[bold]`` applies)."""
    from rich.console import Console

    Console().print(text)
