"""Labels of audio files from their paths: one set of rules for the library and the command line.

A *label rule* says where the labels of an utterance come from:

``'folder'``
    The name of the folder holding the file is the label ``folder``
    (``spk/alice/001.wav`` → ``{'folder': 'alice'}``), the layout of
    ``read_corpus`` for documents.
``'regex:PATTERN'``
    The named groups of ``PATTERN``, searched in the file *name*
    (``(?P<speaker>[a-z]+)_\\d+`` → ``{'speaker': ...}``). A file whose name
    does not match is a failure.
``'auto'``
    FSDD's groups ``digit``, ``speaker``, ``take`` when *every* file name is
    ``{digit}_{speaker}_{take}.{ext}`` (for example ``3_theo_12.wav``), else
    ``'folder'``. Never fails. The default of every ``vqtoolkit`` command.
``None``
    No labels.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError, ParameterError

__all__ = ["LabelRule", "label_rule", "FSDD_PATTERN", "FOLDER_LABEL", "RULES"]

#: FSDD file names, ``{digit}_{speaker}_{take}.{ext}``; what ``'auto'`` recognises.
FSDD_PATTERN = r"^(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)\.[A-Za-z0-9]+$"

#: Name of the label made by the ``'folder'`` rule.
FOLDER_LABEL = "folder"

#: The rule names (``regex:`` takes a pattern after the colon).
RULES = ("auto", "folder", "regex:PATTERN")


@dataclass(frozen=True)
class LabelRule:
    """Where the labels of a file come from (see the module docstring).

    Attributes
    ----------
    kind : {'auto', 'folder', 'regex', 'none'}
    pattern : re.Pattern or None
        The compiled pattern of a ``'regex'`` rule.
    """

    kind: str
    pattern: re.Pattern | None = None

    def __str__(self) -> str:
        return f"regex:{self.pattern.pattern}" if self.kind == "regex" else self.kind

    def resolve(self, files) -> LabelRule:
        """The rule applied to ``files``: ``'auto'`` becomes FSDD's regex or ``'folder'``."""
        if self.kind != "auto":
            return self
        fsdd = re.compile(FSDD_PATTERN)
        names = [Path(f).name for f in files]
        if names and all(fsdd.match(n) for n in names):
            return LabelRule("regex", fsdd)
        return LabelRule("folder")

    def apply(self, files, *, strict: bool = False):
        """Labels of every file.

        Parameters
        ----------
        files : sequence of str
        strict : bool
            Raise :class:`FileFormatError` at the first file the rule cannot label.

        Returns
        -------
        labels : dict of int to dict
            ``{position: {name: value}}`` for the files that could be labelled.
        failures : dict of int to str
            ``{position: reason}`` for the others (a file name a regex does not match).
        todo : list of int
            Positions of the labelled files, in order.
        """
        rule = self.resolve(files)
        labels: dict[int, dict] = {}
        failures: dict[int, str] = {}
        todo = []
        for i, f in enumerate(files):
            if rule.kind == "none":
                labels[i] = {}
            elif rule.kind == "folder":
                labels[i] = {FOLDER_LABEL: _folder_name(f)}
            else:
                m = rule.pattern.search(Path(f).name)
                if m is None:
                    failures[i] = f"file name does not match the label regex {rule.pattern.pattern!r}"
                    if strict:
                        raise FileFormatError(f"{f}: {failures[i]}")
                    continue
                labels[i] = {k: ("" if v is None else v) for k, v in m.groupdict().items()}
            todo.append(i)
        return labels, failures, todo


def label_rule(rule=None, *, label_regex=None) -> LabelRule:
    """Parse a label rule.

    Parameters
    ----------
    rule : {None, 'auto', 'folder', 'regex:PATTERN'} or LabelRule
        See the module docstring; ``None`` is no labels (unless ``label_regex``).
    label_regex : str, optional
        The same as ``rule='regex:' + label_regex`` (give one or the other).

    Returns
    -------
    LabelRule

    Raises
    ------
    ParameterError
        An unknown rule, a pattern that does not compile or has no named group,
        or both arguments given.
    """
    if rule is not None and label_regex is not None:
        raise ParameterError(
            f"give a label rule ({rule!r}) or label_regex ({label_regex!r}), not both"
        )
    if isinstance(rule, LabelRule):
        return rule
    if label_regex is not None:
        return LabelRule("regex", _compile(label_regex, f"label_regex={label_regex!r}"))
    if rule is None:
        return LabelRule("none")
    if not isinstance(rule, str):
        raise ParameterError(f"labels={rule!r} must be a string: one of {', '.join(RULES)}")
    if rule in ("auto", "folder"):
        return LabelRule(rule)
    if rule.startswith("regex:"):
        return LabelRule("regex", _compile(rule[len("regex:"):], f"labels={rule!r}"))
    raise ParameterError(f"labels={rule!r} is unknown; use one of {', '.join(RULES)}")


def _compile(pattern, given):
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ParameterError(f"{given} is not a regular expression ({exc})") from None
    if not compiled.groupindex:
        raise ParameterError(f"{given} has no named groups; write e.g. (?P<speaker>[a-z]+)")
    return compiled


def _folder_name(path) -> str:
    parent = Path(path).parent
    return parent.name or Path(os.path.abspath(path)).parent.name
