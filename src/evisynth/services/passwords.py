"""The password policy of web accounts and the rules that keep account names apart.

Passwords (NIST SP 800-63B §5.1.1.2): at least ``MIN_PASSWORD`` characters, at most
``MAX_PASSWORD`` (Argon2 hashes whatever it is given: a megabyte "password" would cost the
server, not the attacker), and not one that is guessed first: a published common password
(``data/common-passwords.txt``), digits only, one character or a short pattern repeated, a
run such as ``abcdefghij``, or the account's own name.

Names: NFKC-normalised (the full-width ``ｏｌｇａ`` is stored as ``olga``) and compared by
their *skeleton* (casefolded, with the Latin look-alikes of Cyrillic and Greek letters and
``0``/``1``/``|`` folded, after UTS #39's confusables), so ``Olga``, ``оlga`` (Cyrillic о)
and ``o1ga`` cannot sit beside ``olga``.
"""

from __future__ import annotations

import itertools
import unicodedata
from functools import cache
from importlib import resources

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_NAME = 64

# Look-alikes of Latin letters (UTS #39 confusables.txt, the letters used in names), applied
# before casefolding so that 'I' and 'l' meet; the result is then casefolded.
_LOOK_ALIKES = str.maketrans({
    **dict(zip("АВЕЗІЈКМНОРСТУХЅаеіјорсухѕһԁԛԝ", "ABE3lJKMHOPCTYXSaeijopcyxshdqw", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαικνορτυχ", "ABEZHlKMNOPTYXaikvoptux", strict=True)),
    "0": "o", "1": "l", "I": "l", "|": "l", "ı": "i", "ɡ": "g", "ɑ": "a",
})


def normalise_name(name: str) -> str:
    """The name as stored and looked up: NFKC, without surrounding spaces."""
    return unicodedata.normalize("NFKC", name).strip()


def skeleton(name: str) -> str:
    """What ``name`` looks like: two names with one skeleton are confusable."""
    return normalise_name(name).translate(_LOOK_ALIKES).casefold()


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("evisynth.services").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problem(password: str, name: str) -> str | None:
    """Why ``password`` may not protect the account ``name``; None when it may."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters; a few words make a good one"
    if len(password) > MAX_PASSWORD:
        return f"the password is longer than {MAX_PASSWORD} characters"
    folded = password.casefold()
    if folded.isdigit():
        return "a password of digits only is guessed quickly; use a few words instead"
    if any(folded == folded[:k] * (len(folded) // k) for k in range(1, len(folded) // 2 + 1)):
        return "a password that repeats one character or pattern is guessed quickly; use a few words"
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
    if steps in ({1}, {-1}):
        return "a run of consecutive characters (like abcdefghij) is guessed quickly; use a few words"
    if folded in common_passwords():
        return "this password is on the lists of the most common passwords; choose another"
    # a short name (li, wu) is inside many good passphrases: only a long one is searched for
    own, folded_skeleton = skeleton(name), skeleton(password)
    if own and (own == folded_skeleton or (len(own) >= 4 and own in folded_skeleton)):
        return "the password must not contain the account name"
    return None
