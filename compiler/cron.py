"""pipec's schedules: the cron expressions of ``on schedule "CRON"`` (docs/language.md, "on schedule").

pipec's cron is the five POSIX fields GitHub Actions documents (minute, hour, day of the month,
month, day of the week; UTC), restricted to what EventBridge, which starts CodePipeline on a
schedule, runs identically:

- each field is ``*`` or a comma-separated list of elements; an element is a value, a range
  ``a-b`` (``a <= b``), and optionally a step: ``*/s``, ``a/s`` (from ``a`` to the field's last
  value) or ``a-b/s``;
- values are numbers in the field's range (minute 0-59, hour 0-23, day of the month 1-31, month
  1-12, day of the week 0-6 with Sunday 0), or, in the month and day-of-week fields, the names
  JAN-DEC and SUN-SAT (any case; written in capitals);
- at most one of the two day fields is other than ``*``: POSIX runs a schedule that restricts both
  on the days that match *either* (and cron implementations disagree when a field starts with
  ``*/``), while EventBridge requires ``?`` in one of them, so such a schedule has no faithful
  EventBridge equivalent.

Facts relied on (quoted in docs/language.md): GitHub, "Events that trigger workflows", schedule:
five fields, ``month (1 - 12 or JAN-DEC)``, ``day of the week (0 - 6 or SUN-SAT)``, operators
``* , - /`` (``20/15`` runs at minutes 20, 35 and 50), "The shortest interval you can run scheduled
workflows is once every 5 minutes". EventBridge, "Cron expressions reference": six fields, the last
one the year; day of the week ``1-7 or SUN-SAT`` (``3#2`` is the second Tuesday, so 1 is Sunday);
"You can't use * in both the Day-of-month and Day-of-week fields. If you use it in one, you must
use ? in the other"; the day-of-week field has no ``/``.

:func:`parse` is the checker's E313 test; :func:`canonical` is the normal form the plans compare
(:mod:`pipec.plan`); :func:`eventbridge` is the AWS target's ``ScheduleExpression`` and
:func:`from_eventbridge` the AWS reader's way back.
"""

from __future__ import annotations

import re

from pipec.lazy_regex import lazy
from pipec.node import Node, node

#: (name, first value, last value) of each POSIX field
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of the month", 1, 31), ("month", 1, 12),
          ("day of the week", 0, 6))
MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
#: GitHub: "The shortest interval you can run scheduled workflows is once every 5 minutes."
MIN_INTERVAL = 5
#: ``on schedule`` lines per pipeline (E312): each is one EventBridge rule, and an account has 300
#: rules per event bus and Region (100 in some Regions) for everything it does
MAX_SCHEDULES = 5


class CronError(ValueError):
    """A cron expression pipec refuses: ``message`` says what, ``hint`` how to write it."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message = message
        self.hint = hint


@node
class Schedule(Node):
    """A parsed schedule: the set of values of each of the five fields, and ``text``, the
    expression as written with single spaces and names in capitals."""

    minutes: frozenset
    hours: frozenset
    days: frozenset
    months: frozenset
    weekdays: frozenset
    text: str

    @property
    def sets(self) -> tuple:
        return (self.minutes, self.hours, self.days, self.months, self.weekdays)


def _number(word: str, field: int, names: dict | None, lo: int, hi: int, what: str) -> int:
    up = word.upper()
    if names and up in names:
        return names[up]
    if not word.isdigit():
        named = " or a name (" + ", ".join(names) + ")" if names else ""
        raise CronError(f"'{word}' is not a value of the {what} field",
                        f"The {what} field takes numbers from {lo} to {hi}{named}.")
    n = int(word)
    if not lo <= n <= hi:
        if field == 4 and n == 7:
            raise CronError("7 is not a day of the week in pipec's cron",
                            "Days of the week are 0 (Sunday) to 6 (Saturday), as GitHub documents them: "
                            "write 0 or SUN for Sunday.")
        raise CronError(f"{n} is out of range for the {what} field",
                        f"The {what} field takes values from {lo} to {hi}.")
    return n


def _field(text: str, field: int, lo: int, hi: int, names: dict | None, what: str) -> frozenset:
    """The values one field selects (POSIX reading; EventBridge's reader passes its own ranges)."""
    if text == "*":
        return frozenset(range(lo, hi + 1))
    out: set[int] = set()
    for element in text.split(","):
        if not element:
            raise CronError(f"the {what} field '{text}' has an empty list element",
                            "Separate values with single commas, without spaces: 1,15.")
        base, slash, step_text = element.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not 1 <= int(step_text) <= hi - lo:
                raise CronError(f"'{element}' has an invalid step",
                                f"A step is a whole number from 1 to {hi - lo} after '/': */15 is every "
                                "15th value from the first.")
            step = int(step_text)
        if base == "*":
            first, last = lo, hi
        elif "-" in base:
            a, _, b = base.partition("-")
            first = _number(a, field, names, lo, hi, what)
            last = _number(b, field, names, lo, hi, what)
            if first > last:
                raise CronError(f"the range '{base}' runs backwards",
                                f"Write ranges from low to high; to wrap around, write two: {a}-{hi},{lo}-{b} "
                                "(with the numbers or names of this field).")
        else:
            first = _number(base, field, names, lo, hi, what)
            last = hi if slash else first  # a/s: from a to the field's last value
        out.update(range(first, last + 1, step))
    return frozenset(out)


_LAST_OR_WEEKDAY = lazy(r"\d*L|\d+W|LW", re.IGNORECASE)


def _unsupported(word: str) -> str | None:
    """Why ``word`` uses an EventBridge (Quartz) operator that GitHub's cron does not have."""
    if "?" in word:
        return "'?' is EventBridge's 'no specific value'; pipec's cron writes '*' there"
    if "#" in word:
        return "'#' (the nth weekday of the month) is not in GitHub's cron"
    if any(_LAST_OR_WEEKDAY.fullmatch(e.partition("/")[0]) for e in word.split(",")):
        return "'L' (last day) and 'W' (nearest weekday) are not in GitHub's cron"
    return None


def parse(text: str) -> Schedule:
    """Parse and check a pipec cron expression; raises :class:`CronError` (E313)."""
    words = text.split()
    if text.strip().startswith("@"):
        raise CronError(f"'{text.strip()}' is not a cron expression",
                        "GitHub does not accept @daily, @hourly and the like: write the five fields, for "
                        "example \"0 0 * * *\" for every day at midnight UTC.")
    if len(words) != 5:
        hint = ("A schedule has five fields: minute, hour, day of the month, month, day of the week "
                "(UTC), for example \"30 5 * * 1-5\".")
        if len(words) == 6:
            hint += " An EventBridge expression has a sixth field, the year: leave it out, and write '*' " \
                    "instead of '?'."
        raise CronError(f"'{text}' has {len(words)} field{'s' if len(words) != 1 else ''}, not 5", hint)
    for w in words:
        why = _unsupported(w)
        if why:
            raise CronError(f"'{w}': {why}", "pipec's cron has the operators GitHub documents: * , - and /.")
    sets = []
    for i, (w, (what, lo, hi)) in enumerate(zip(words, FIELDS)):
        names = MONTHS if i == 3 else DAYS if i == 4 else None
        sets.append(_field(w, i, lo, hi, names, what))
    if words[2] != "*" and words[4] != "*":
        raise CronError(f"'{text}' restricts both the day of the month and the day of the week",
                        "In POSIX cron such a schedule runs on the days that match either field, and "
                        "EventBridge (which starts CodePipeline) cannot express it: one of the two day fields "
                        "must be '*'. Write two schedules instead, one for each day field (on a day that "
                        "matches both, both start a run).")
    normal = " ".join(w.upper() for w in words)
    return Schedule(*sets, text=normal)


def normalize(text: str) -> str:
    """The expression as written, with single spaces and names in capitals (what the targets emit
    to GitHub)."""
    return parse(text).text


def _runs(values) -> str:
    """Sorted values as ranges and single values: 1-5,7,9-10."""
    vals = sorted(values)
    parts = []
    i = 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
            j += 1
        parts.append(str(vals[i]) if i == j else f"{vals[i]}-{vals[j]}")
        i = j + 1
    return ",".join(parts)


def _canonical_sets(sets) -> str:
    out = []
    for values, (_what, lo, hi) in zip(sets, FIELDS):
        out.append("*" if values == frozenset(range(lo, hi + 1)) else _runs(values))
    return " ".join(out)


def canonical(text: str) -> str:
    """The normal form of a schedule (:mod:`pipec.plan`): each field ``*`` when it selects every
    value, else its values as sorted numbers and ranges (names become numbers, steps are written
    out). Two schedules that run at the same times have the same normal form."""
    return _canonical_sets(parse(text).sets)


def _progression(values, hi: int) -> tuple[int, int] | None:
    """(a, s) when ``values`` are exactly a, a+s, ... up to ``hi`` (at least 3 of them)."""
    vals = sorted(values)
    if len(vals) < 3:
        return None
    s = vals[1] - vals[0]
    if s < 2 or any(b - a != s for a, b in zip(vals, vals[1:])) or vals[-1] + s <= hi:
        return None
    return vals[0], s


def eventbridge(text: str) -> str:
    """The EventBridge schedule expression that runs at the same times (UTC):
    ``cron(M H DOM MON DOW YEAR)`` with day-of-week numbers 1-7 (Sunday 1), ``?`` in the day field
    that is not restricted, the year ``*``; ``a/s`` for steps of minutes and hours, lists and
    ranges elsewhere (EventBridge's day-of-week field has no ``/``)."""
    s = parse(text)
    out = []
    for i, (values, (_what, lo, hi)) in enumerate(zip(s.sets[:4], FIELDS)):
        if values == frozenset(range(lo, hi + 1)):
            out.append("*")
            continue
        prog = _progression(values, hi) if i < 2 else None
        out.append(f"{prog[0]}/{prog[1]}" if prog else _runs(values))
    every_weekday = s.weekdays == frozenset(range(0, 7))
    if every_weekday:
        dow = "?"
    else:
        dow = _runs(d + 1 for d in s.weekdays)
        out[2] = "?"
    return f"cron({' '.join(out)} {dow} *)"


#: EventBridge's fields: (name, first, last) and names
_EB_FIELDS = (("minute", 0, 59, None), ("hour", 0, 23, None), ("day of the month", 1, 31, None),
              ("month", 1, 12, MONTHS), ("day of the week", 1, 7, {d: i + 1 for d, i in DAYS.items()}))


def from_eventbridge(expression: str) -> str:
    """The canonical pipec schedule of an EventBridge ``cron(...)`` expression; raises
    :class:`ValueError` for one pipec cannot express (``L``, ``W``, ``#``, a year other than
    ``*``, both or neither day field ``?``, a ``rate(...)``)."""
    expr = expression.strip()
    if not (expr.startswith("cron(") and expr.endswith(")")):
        raise ValueError(f"{expression!r} is not a cron(...) expression")
    words = expr[5:-1].split()
    if len(words) != 6:
        raise ValueError(f"{expression!r} does not have six fields")
    if words[5] != "*":
        raise ValueError(f"{expression!r} names years, which pipec's schedules cannot")
    if (words[2] == "?") == (words[4] == "?"):
        raise ValueError(f"{expression!r} must have '?' in exactly one day field")
    sets = []
    for i, (w, (what, lo, hi, names)) in enumerate(zip(words[:5], _EB_FIELDS)):
        if w == "?":
            sets.append(frozenset(range(lo, hi + 1)))
            continue
        if _unsupported(w):
            raise ValueError(f"{expression!r}: '{w}' is not in pipec's cron")
        try:
            sets.append(_field(w, i, lo, hi, names, what))
        except CronError as exc:
            raise ValueError(f"{expression!r}: {exc.message}") from None
    sets[4] = frozenset(d - 1 for d in sets[4])
    return _canonical_sets(sets)


def interval(text: str) -> int:
    """The shortest time, in minutes, between two consecutive runs of the schedule (1440 for one
    run a day; a day's last run and the next day's first count when two consecutive days can both
    run, which is assumed across month ends)."""
    s = parse(text)
    times = sorted(h * 60 + m for h in s.hours for m in s.minutes)
    gaps = [b - a for a, b in zip(times, times[1:])]
    if s.weekdays != frozenset(range(7)):
        consecutive = any((d + 1) % 7 in s.weekdays for d in s.weekdays)
    elif s.days != frozenset(range(1, 32)):
        consecutive = any(d + 1 in s.days for d in s.days) or (1 in s.days and bool(s.days & {28, 29, 30, 31}))
    else:
        consecutive = True
    if consecutive:
        gaps.append(times[0] + 1440 - times[-1])
    return min(gaps) if gaps else 1440 * 7
