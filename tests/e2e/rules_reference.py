"""Reference model of playrouter's rule language and sync targets.

Written from /work/shared/API.md ONLY (sections "Child playlists", "Rule",
"Sync" and "Semantics in detail"), as an independent second reading of the
contract for the acceptance tests. It does not look at the C sources.

Python standard library only. Nothing here talks to a server.

Data model
----------
A *track view* is a plain dict keyed by the contract's field names:

    {"track_id": "abc", "track_name": "Song", "isrc": "USX...",
     "artist_id": ["a1", "a2"], "artist_name": ["Ann", "Bob"], "genre": ["rock"],
     "album_id": "al1", "album_name": "LP", "album_type": "album", "label": "L",
     "added_by": "user1", "track_number": 3, "disc_number": 1,
     "release_date": "1994" | "1994-05" | "1994-05-17", "release_year": 1994,
     "added_at": "2024-02-03T04:05:06Z", "duration_ms": 200000,
     "popularity": 40, "artist_popularity": 55, "album_popularity": 30,
     "explicit": False}

A key that is absent or None is a missing value; so is an empty list for the
several-valued fields (an artist without genres) and, by our reading, an empty
string (Spotify sends "" for an unknown label).  `make_track()` builds such a
view from catalogue-like metadata and fills `release_year` and
`artist_popularity` the way the contract defines them.

A *base entry* (one item of the base playlist) is a dict:

    {"kind": "track" | "episode", "is_local": bool, "track_id": str | None,
     "added_at": str | None, "added_by": str | None}

`compute_targets()` turns the base entries, the track metadata and the
children (dicts in the API's ChildPlaylist shape) into each child's target
list, the skip counters and per-track explanations.

Silent corners
--------------
Where API.md does not decide, this module picks the most natural reading,
says so in a comment marked "SILENT:", and records every time the data at
hand actually hits such a corner in `Plan.ambiguities` (and for a single
rule evaluation in `Evaluator.ambiguities`).  Acceptance tests assert that
list is empty, so no assertion depends on a reading the contract leaves open.
"""
import datetime
import re

# ---------------------------------------------------------------------------
# Fields and operators (API.md "Rule")
# ---------------------------------------------------------------------------

FIELD_TYPES = {
    "track_id": "string", "track_name": "string", "isrc": "string",
    "artist_id": "string", "artist_name": "string", "genre": "string",
    "album_id": "string", "album_name": "string", "album_type": "string",
    "label": "string", "added_by": "string",
    "track_number": "number", "disc_number": "number", "release_year": "number",
    "duration_ms": "number", "popularity": "number",
    "artist_popularity": "number", "album_popularity": "number",
    "release_date": "date", "added_at": "date",
    "explicit": "bool",
    # API.md "Metadata sources" and "Tags"
    "original_year": "number", "tag": "string",
}

# Fields that hold several values: a positive comparison holds when ANY value
# matches; neq / not_contains / not_in hold when NO value matches.
SEVERAL_VALUED = frozenset({"artist_id", "artist_name", "genre", "tag"})

# "Case folding applies to names and free text; ids (track_id, artist_id,
# album_id) compare exactly."
EXACT_CASE_FIELDS = frozenset({"track_id", "artist_id", "album_id"})

# SILENT: "String comparisons ignore case" is the general rule and only the
# three ids above are named as exact.  `isrc` (a code) and `added_by` (a user
# id) could be read either way; we fold them like free text but record an
# ambiguity whenever folding changes a result on them.
CASE_AMBIGUOUS_FIELDS = frozenset({"isrc", "added_by"})

# Fields Spotify serves only to apps in extended mode (API.md, "*").
EXTENDED_ONLY_FIELDS = frozenset(
    {"genre", "label", "popularity", "artist_popularity", "album_popularity"})
# ... of which another source provides some in every mode: MusicBrainz provides genre.
MUSICBRAINZ_FIELDS = frozenset({"genre"})
# Provided by MusicBrainz alone (API.md, "†"): refused when it is off, in every mode.
MUSICBRAINZ_ONLY_FIELDS = frozenset({"original_year"})

OPERATORS = {
    "string": frozenset({"eq", "neq", "contains", "not_contains", "starts_with",
                         "ends_with", "matches", "in", "not_in"}),
    "number": frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "between",
                         "in", "not_in"}),
    "bool": frozenset({"eq"}),
    "date": frozenset({"before", "after", "between", "in_the_last"}),
}
ANY_TYPE_OPERATORS = frozenset({"exists", "missing"})

# The negative operators are the exact negation of a positive one.
NEGATIONS = {"neq": "eq", "not_contains": "contains", "not_in": "in"}


class RuleError(ValueError):
    """An invalid rule; `path` is a JSON Pointer into the rule."""

    def __init__(self, path, message):
        ValueError.__init__(self, "%s: %s" % (path or "/", message))
        self.path = path
        self.message = message


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_day(v):
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return False
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return False
    return True


def validate_rule(rule, mode="extended", path="", musicbrainz=False):
    """Raises RuleError for a malformed rule.  `mode` "development" refuses
    the extended-only fields (API.md: 400 validation_failed) unless MusicBrainz
    (musicbrainz=True) provides them; original_year needs MusicBrainz in every
    mode.  Paths are JSON Pointers relative to the rule (prefix "/filter" for a
    child's body)."""
    if not isinstance(rule, dict):
        raise RuleError(path, "a rule is an object")
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        items = rule[key]
        if not isinstance(items, list):
            raise RuleError(path + "/" + key, "must be an array")
        for i, sub in enumerate(items):
            validate_rule(sub, mode, "%s/%s/%d" % (path, key, i), musicbrainz)
        return
    if "not" in rule:
        validate_rule(rule["not"], mode, path + "/not", musicbrainz)
        return
    field = rule.get("field")
    if field not in FIELD_TYPES:
        raise RuleError(path + "/field", "unknown field %r" % (field,))
    if mode == "development" and field in EXTENDED_ONLY_FIELDS and not (
            musicbrainz and field in MUSICBRAINZ_FIELDS):
        raise RuleError(path + "/field",
                        "field %r is not available in development mode" % field)
    if field in MUSICBRAINZ_ONLY_FIELDS and not musicbrainz:
        raise RuleError(path + "/field", "field %r needs MusicBrainz" % field)
    op = rule.get("op")
    ftype = FIELD_TYPES[field]
    if op in ANY_TYPE_OPERATORS:
        return  # "exists and missing take no value (one given is ignored)"
    if op not in OPERATORS[ftype]:
        raise RuleError(path + "/op", "unknown operator %r for %s" % (op, ftype))
    if "value" not in rule:
        raise RuleError(path + "/value", "value is required")
    v = rule["value"]
    vpath = path + "/value"
    if op in ("in", "not_in"):
        if not isinstance(v, list):
            raise RuleError(vpath, "must be an array")
        for x in v:
            if (ftype == "string" and not isinstance(x, str)) or \
               (ftype == "number" and not _is_number(x)):
                raise RuleError(vpath, "wrong element type")
    elif op == "between":
        if not isinstance(v, list) or len(v) != 2:
            raise RuleError(vpath, "must be [lo, hi]")
        check = _is_number if ftype == "number" else _is_day
        if not all(check(x) for x in v):
            raise RuleError(vpath, "wrong element type")
    elif op == "in_the_last":
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise RuleError(vpath, "must be a whole number of days")
    elif ftype == "string":
        if not isinstance(v, str):
            raise RuleError(vpath, "must be a string")
        if op == "matches":
            try:
                re.compile(_ere_to_python(v))
            except re.error as e:
                raise RuleError(vpath, "bad regular expression: %s" % e)
    elif ftype == "number":
        if not _is_number(v):
            raise RuleError(vpath, "must be a number")
    elif ftype == "bool":
        if not isinstance(v, bool):
            raise RuleError(vpath, "must be a boolean")
    elif ftype == "date":
        if not _is_day(v):
            raise RuleError(vpath, "must be YYYY-MM-DD")


def rule_fields(rule, out=None):
    """The set of fields a rule uses."""
    out = set() if out is None else out
    if "all" in rule or "any" in rule:
        for sub in rule.get("all", rule.get("any")):
            rule_fields(sub, out)
    elif "not" in rule:
        rule_fields(rule["not"], out)
    else:
        out.add(rule["field"])
    return out


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

_POSIX_CLASSES = {
    "[:alpha:]": "a-zA-Z", "[:digit:]": "0-9", "[:alnum:]": "a-zA-Z0-9",
    "[:upper:]": "A-Z", "[:lower:]": "a-z", "[:space:]": " \\t\\n\\r\\f\\v",
    "[:punct:]": "!-/:-@\\[-`{-~", "[:xdigit:]": "0-9A-Fa-f",
}


def _ere_to_python(pattern):
    """POSIX ERE -> Python `re` for the common subset (bracket classes).
    Backslash escapes of letters (\\d, \\w, \\b) mean nothing in ERE;
    `ere_is_portable()` tells whether a pattern stays clear of them."""
    for k, v in _POSIX_CLASSES.items():
        pattern = pattern.replace(k, v)
    return pattern


def ere_is_portable(pattern):
    """True when the pattern means the same in POSIX ERE and Python `re`."""
    return not re.search(r"\\[A-Za-z0-9]|\(\?|\*\?|\+\?|\?\?|\{,", pattern)


def _ascii_lower(s):
    return s.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _present(v):
    if v is None:
        return False
    if isinstance(v, (list, tuple)):
        return any(_present(x) for x in v)
    # SILENT: an empty string (Spotify's "" label) is read as "no value".
    if isinstance(v, str) and v == "":
        return False
    return True


def _values(track, field):
    """The list of present values of a field (empty when missing)."""
    v = track.get(field)
    if field in SEVERAL_VALUED:
        vs = list(v) if isinstance(v, (list, tuple)) else ([] if v is None else [v])
    else:
        vs = [v]
    return [x for x in vs if _present(x)]


def parse_period(value):
    """A date value as the closed period of UTC days it names:
    "1994" -> (1994-01-01, 1994-12-31); "1994-02" -> the month;
    "1994-02-03" -> that day; an RFC 3339 timestamp -> its UTC day.
    Returns None for a missing or unreadable value."""
    if not _present(value):
        return None
    s = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}", s):
            y = int(s)
            return datetime.date(y, 1, 1), datetime.date(y, 12, 31)
        if re.fullmatch(r"\d{4}-\d{2}", s):
            y, m = int(s[:4]), int(s[5:7])
            start = datetime.date(y, m, 1)
            nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
            return start, nxt - datetime.timedelta(days=1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            d = datetime.date.fromisoformat(s)
            return d, d
        # "added_at is compared by its UTC day."
        ts = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
        if ts.tzinfo is not None:
            ts = ts.astimezone(datetime.timezone.utc)
        d = ts.date()
        return d, d
    except ValueError:
        return None


def parse_timestamp(value):
    if not _present(value):
        return None
    try:
        ts = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=datetime.timezone.utc)
    return ts.astimezone(datetime.timezone.utc)


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def make_track(track_id, name=None, artists=(), album=None, isrc=None,
               track_number=None, disc_number=None, duration_ms=None,
               explicit=None, popularity=None, added_at=None, added_by=None,
               musicbrainz=None, spotify_genres=True, tags=None, tagged=None):
    """A track view from catalogue-like metadata.

    artists: [{"id", "name", "genres": [...], "popularity": N}...] in the
    order the track lists them; album: {"id", "name", "album_type",
    "release_date", "label", "popularity"}.

    "Several-valued fields cover every artist the track lists (not the
    album's artists); artist_popularity is the highest among them."
    `genre` is the artists' genres in artist order (a genre two artists
    share appears once, at its first place).

    API.md "Metadata sources": musicbrainz is None (MusicBrainz off) or what
    MusicBrainz knows of the track's ISRC: {"genres": [...], "original_year": N
    or None} ({} or None values for an ISRC it does not know).  `genre` is then
    "the union, lower-cased, of the Spotify genres of the track's artists
    (extended mode: spotify_genres=True) and the MusicBrainz genres".
    API.md "Tags": "a track's tags are its own and those of each of its
    artists": tags is the track's own list, tagged a dict {artist id: [tags]}
    (both already normalised, as the server answers them)."""
    album = album or {}
    genres = []
    for a in artists if spotify_genres else ():
        for g in a.get("genres") or []:
            if g not in genres:
                genres.append(g)
    if musicbrainz is not None:
        genres = [g.lower() for g in genres]
        for g in musicbrainz.get("genres") or []:
            if g.lower() not in genres:
                genres.append(g.lower())
    tag_values = list(tags or [])
    for a in artists:
        tag_values += (tagged or {}).get(a.get("id"), [])
    pops = [a.get("popularity") for a in artists if _is_number(a.get("popularity"))]
    rd = album.get("release_date")
    return {
        "track_id": track_id,
        "track_name": name,
        "isrc": isrc,
        "artist_id": [a.get("id") for a in artists],
        "artist_name": [a.get("name") for a in artists],
        "genre": genres,
        # For sort by genre ("several-valued fields by their first value"):
        # the genres of the FIRST artist, kept to detect the silent case
        # where the first artist has none but another has some.
        "_first_artist_genres": list((artists[0].get("genres") or []) if artists else []),
        "album_id": album.get("id"),
        "album_name": album.get("name"),
        "album_type": album.get("album_type"),
        "label": album.get("label"),
        "album_popularity": album.get("popularity"),
        "release_date": rd,
        "release_year": parse_period(rd)[0].year if parse_period(rd) else None,
        "added_by": added_by,
        "added_at": added_at,
        "track_number": track_number,
        "disc_number": disc_number,
        "duration_ms": duration_ms,
        "popularity": popularity,
        "artist_popularity": max(pops) if pops else None,
        "explicit": explicit,
        "original_year": (musicbrainz or {}).get("original_year"),
        "tag": sorted(set(tag_values)),
    }


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

class Evaluator:
    """Evaluates rules on track views.  `today` (a date, UTC) anchors
    `in_the_last`.  Silent corners met on the way go to `ambiguities`."""

    def __init__(self, today=None):
        self.today = today or utc_today()
        self.ambiguities = []

    def _note(self, what, track):
        msg = "%s (track %s)" % (what, track.get("track_id"))
        if msg not in self.ambiguities:
            self.ambiguities.append(msg)

    # -- public -----------------------------------------------------------

    def matches(self, rule, track):
        return self.explain(rule, track)[0]

    def explain(self, rule, track, path=""):
        """(result, path of the deciding node, path_is_certain).

        For a failing `all` the deciding node is its first false member;
        for a holding `any` its first true member; a leaf decides itself.
        SILENT: for a holding `all`, a failing `any` and a `not`, which node
        "decided" is open; we name the node itself and mark the path
        uncertain (as we do for any path below such a node)."""
        if "all" in rule:
            for i, sub in enumerate(rule["all"]):
                r, p, sure = self.explain(sub, track, "%s/all/%d" % (path, i))
                if not r:
                    return False, p, sure
            return True, path, False
        if "any" in rule:
            for i, sub in enumerate(rule["any"]):
                r, p, sure = self.explain(sub, track, "%s/any/%d" % (path, i))
                if r:
                    return True, p, sure
            return False, path, False
        if "not" in rule:
            r, _, _ = self.explain(rule["not"], track, path + "/not")
            return (not r), path, False
        return self.leaf(rule, track), path, True

    def leaf(self, rule, track):
        field, op, value = rule["field"], rule["op"], rule.get("value")
        vals = _values(track, field)
        if op == "exists":
            return bool(vals)
        if op == "missing":
            return not vals
        if op in NEGATIONS:
            # Exact negation of the positive operator; holds on a missing
            # value and, for several values, when NO value matches.
            return not self._positive(field, NEGATIONS[op], value, vals, track)
        return self._positive(field, op, value, vals, track)

    # -- internals --------------------------------------------------------

    def _positive(self, field, op, value, vals, track):
        ftype = FIELD_TYPES[field]
        if not vals:
            return False  # "matches no comparison on it except missing"
        if ftype == "string":
            return self._string_any(field, op, value, vals, track)
        if ftype == "number":
            return any(self._number(op, value, v) for v in vals)
        if ftype == "bool":
            return any(v is value for v in vals)
        if ftype == "date":
            return any(self._date(op, value, v, field, track) for v in vals)
        raise AssertionError(ftype)

    def _string_any(self, field, op, value, vals, track):
        vals = [str(v) for v in vals]
        if field in EXACT_CASE_FIELDS:
            if op == "matches" and re.search(r"[A-Za-z]", value):
                # SILENT: `matches` "ignores case", ids "compare exactly".
                r1 = any(self._string(op, value, v, False) for v in vals)
                r2 = any(self._string(op, value, v, True) for v in vals)
                if r1 != r2:
                    self._note("matches on id field %s: case folding decides" % field, track)
            return any(self._string(op, value, v, False) for v in vals)
        res = any(self._string(op, value, v, True) for v in vals)
        # The C side may fold ASCII only; note when Unicode folding matters.
        alt = any(self._string(op, value, v, True, ascii_only=True) for v in vals)
        if alt != res:
            self._note("non-ASCII case folding decides %s %s" % (field, op), track)
        if field in CASE_AMBIGUOUS_FIELDS:
            exact = any(self._string(op, value, v, False) for v in vals)
            if exact != res:
                self._note("case folding of %s decides" % field, track)
        if op == "matches" and not ere_is_portable(value):
            self._note("regex %r is not portable ERE" % value, track)
        return res

    @staticmethod
    def _string(op, value, v, fold, ascii_only=False):
        if fold:
            f = _ascii_lower if ascii_only else str.lower
        else:
            def f(s):
                return s
        if op == "matches":
            flags = re.IGNORECASE if fold else 0
            return re.search(_ere_to_python(value), v, flags) is not None
        if op == "in":
            return any(f(v) == f(x) for x in value)
        a, b = f(v), f(value)
        if op == "eq":
            return a == b
        if op == "contains":
            return b in a
        if op == "starts_with":
            return a.startswith(b)
        if op == "ends_with":
            return a.endswith(b)
        raise AssertionError(op)

    @staticmethod
    def _number(op, value, v):
        if op == "eq":
            return v == value
        if op == "gt":
            return v > value
        if op == "gte":
            return v >= value
        if op == "lt":
            return v < value
        if op == "lte":
            return v <= value
        if op == "between":
            return value[0] <= v <= value[1]
        if op == "in":
            return any(v == x for x in value)
        raise AssertionError(op)

    def _date(self, op, value, v, field, track):
        period = parse_period(v)
        if period is None:
            return False
        start, end = period
        if op == "before":       # the whole period ends before D
            return end < datetime.date.fromisoformat(value)
        if op == "after":        # the whole period starts after D
            return start > datetime.date.fromisoformat(value)
        if op == "between":      # lies inside [a, b], inclusive
            a = datetime.date.fromisoformat(value[0])
            b = datetime.date.fromisoformat(value[1])
            return a <= start and end <= b
        if op == "in_the_last":
            # SILENT: "within the last N days": we read [today - N, today].
            # Whether today - N itself is in, and what a future date or a
            # partial period does, are open: such cases are noted.
            lo = self.today - datetime.timedelta(days=value)
            if start != end:
                self._note("in_the_last on a partial date", track)
            for d in (start, end):
                if abs((d - lo).days) <= 1 or d > self.today:
                    self._note("in_the_last near its window's edge", track)
            return lo <= start and end <= self.today
        raise AssertionError(op)


def matches(rule, track, today=None):
    """Convenience: does `rule` hold for the track view?"""
    return Evaluator(today).matches(rule, track)


# ---------------------------------------------------------------------------
# Sorting (API.md "Semantics in detail": sort)
# ---------------------------------------------------------------------------

def _sort_value(track, field, variant):
    """The sort key of one track, or None when missing.

    Variants let us detect silent corners: the order must not depend on
    them for an assertion to be safe.
      "main":  strings lower-cased, dates by period start / full timestamp
      "upper": strings upper-cased (C's strcasecmp may fold either way;
               it matters for [\\]^_` against letters)
      "alt":   dates by period end / UTC day; genre by the first artist's
               first genre instead of the first genre of any artist
    """
    ftype = FIELD_TYPES[field]
    if field == "genre" and variant == "alt":
        vals = [g for g in track.get("_first_artist_genres", track.get("genre") or []) if _present(g)]
    else:
        vals = _values(track, field)
    if not vals:
        return None
    v = vals[0]  # "several-valued fields by their first value"
    if ftype == "string":
        v = str(v)
        if field in EXACT_CASE_FIELDS and variant == "main":
            # SILENT: sort says "strings ignoring case", ids compare exactly;
            # "main" folds (the sort sentence is about sorting), "upper"/"alt"
            # compare raw so a difference is noticed.
            return v.lower()
        if field in EXACT_CASE_FIELDS:
            return v
        return v.upper() if variant == "upper" else v.lower()
    if ftype == "date":
        if field == "added_at":
            # SILENT: rules compare added_at by UTC day; for sorting we use
            # the full timestamp (the "alt" variant uses the day).
            if variant == "alt":
                p = parse_period(v)
                return p[0] if p else None
            return parse_timestamp(v)
        p = parse_period(v)
        if p is None:
            return None
        # SILENT: a partial release date sorts by the start of its period
        # ("alt": by its end).
        return p[1] if variant == "alt" else p[0]
    if ftype == "bool":
        return 1 if v else 0
    return v


def sort_tracks(tracks, sort, variant="main"):
    """Stable sort; missing values last whatever the order."""
    if not sort:
        return list(tracks)
    field, desc = sort["by"], sort.get("order", "asc") == "desc"
    keyed = [(t, _sort_value(t, field, variant)) for t in tracks]
    present = [(t, k) for t, k in keyed if k is not None]
    missing = [t for t, k in keyed if k is None]
    # Python's sort is stable, and with reverse=True equal keys still keep
    # their original (base) order: exactly "ties keep base order".
    present.sort(key=lambda tk: tk[1], reverse=desc)
    return [t for t, _ in present] + missing


# ---------------------------------------------------------------------------
# Targets (API.md "Sync" and "Semantics in detail")
# ---------------------------------------------------------------------------

class Plan:
    """What a sync should produce.

    processed:     base entries read (tracks_processed)
    skipped_local, skipped_episode, skipped_duplicate; skipped = their sum
    tracks:        the base's distinct tracks, in base order (track views)
    targets:       {child_id: [track_id, ...]} in target order
    ambiguities:   silent corners the data hit (should be empty for asserts)
    """

    def __init__(self):
        self.processed = 0
        self.skipped_local = 0
        self.skipped_episode = 0
        self.skipped_duplicate = 0
        self.tracks = []
        self.targets = {}
        self.ambiguities = []
        self._explain = {}
        self._base_ids = set()

    @property
    def skipped(self):
        return self.skipped_local + self.skipped_episode + self.skipped_duplicate

    def explain(self, track_id):
        """{child_id: {"matched", "reason", "path"?, "silent": [keys]}}.

        `silent` lists the keys whose value depends on a reading the
        contract leaves open; a test should assert only the other keys.
        Reasons: "pinned", "banned", "limit", "matched_earlier_child",
        "not_in_base", and "rule" when the filter decided (API.md does not
        name that reason, so "rule" is always silent)."""
        if track_id not in self._base_ids:
            return {cid: {"matched": False, "reason": "not_in_base", "silent": []}
                    for cid in self.targets}
        return {cid: dict(per[track_id]) for cid, per in self._explain.items()}


def _note(plan, msg):
    if msg not in plan.ambiguities:
        plan.ambiguities.append(msg)


def distinct_base_tracks(entries, catalogue, plan):
    """Base entries -> distinct track views in base order, counting skips.

    Local files and episodes are skipped; a track met again is a duplicate.
    SILENT: a duplicate keeps its FIRST occurrence (place in base order,
    added_at and added_by of that entry)."""
    seen = {}
    out = []
    for e in entries:
        plan.processed += 1
        if e.get("kind", "track") == "episode":
            plan.skipped_episode += 1
            continue
        if e.get("is_local"):
            plan.skipped_local += 1
            continue
        tid = e["track_id"]
        if tid in seen:
            plan.skipped_duplicate += 1
            first = seen[tid]
            if first.get("added_at") != e.get("added_at") or first.get("added_by") != e.get("added_by"):
                first["_dup_differs"] = True
                first.setdefault("_dup_entries", []).append(
                    {"added_at": e.get("added_at"), "added_by": e.get("added_by")})
            continue
        meta = catalogue[tid]
        view = dict(meta)
        view["track_id"] = tid
        view["added_at"] = e.get("added_at")
        view["added_by"] = e.get("added_by")
        seen[tid] = view
        out.append(view)
    return out


def _apply_order_and_limit(plan, child, members, pinned):
    """members: track views the child holds before limit (base order).
    Returns (kept views in target order, views cut by the limit)."""
    sort = child.get("sort")
    ordered = sort_tracks(members, sort)
    if sort:
        for variant in ("upper", "alt"):
            alt = sort_tracks(members, sort, variant)
            if [t["track_id"] for t in alt] != [t["track_id"] for t in ordered]:
                _note(plan, "child %s: order depends on a silent sort reading (%s)"
                      % (child["id"], variant))
        if sort["by"] in ("added_at", "added_by") and any(t.get("_dup_differs") for t in members):
            _note(plan, "child %s: sorts by a duplicated entry's %s" % (child["id"], sort["by"]))
    limit = child.get("limit")
    if limit is None or len(ordered) <= limit:
        return ordered, []
    pinned_in = [t for t in ordered if t["track_id"] in pinned]
    if len(pinned_in) > limit:
        # SILENT: more pins than the limit: we keep the first pins in order.
        _note(plan, "child %s: more pinned tracks than its limit" % child["id"])
    keep = set(t["track_id"] for t in pinned_in[:limit])
    for t in ordered:
        if len(keep) >= limit:
            break
        keep.add(t["track_id"])
    kept = [t for t in ordered if t["track_id"] in keep]
    cut = [t for t in ordered if t["track_id"] not in keep]
    return kept, cut


def compute_targets(entries, catalogue, children, routing="all", today=None):
    """The target list of every child (API.md "Sync").

    entries:   base entries in playlist order (see module doc)
    catalogue: {track_id: track view without added_at/added_by}
    children:  ChildPlaylist-shaped dicts: id, filter, sort, limit, position,
               catch_all, pinned_track_ids, banned_track_ids
    routing:   "all" | "first_match"
    """
    plan = Plan()
    ev = Evaluator(today)
    tracks = distinct_base_tracks(entries, catalogue, plan)
    plan.tracks = tracks
    plan._base_ids = set(t["track_id"] for t in tracks)
    order = sorted(children, key=lambda c: c.get("position", 0))
    regular = [c for c in order if not c.get("catch_all")]
    catch = [c for c in order if c.get("catch_all")]
    if len(catch) > 1:
        raise ValueError("at most one catch-all child per base playlist")
    if catch and routing == "first_match" and order[-1] is not catch[0]:
        # SILENT: the catch-all is computed after every other child (it takes
        # what none holds) and does not take part in first_match claiming,
        # wherever its position.  Only when it is last do both readings agree.
        _note(plan, "catch-all child is not the last by position under first_match")

    def pins(c):
        return set(c.get("pinned_track_ids") or [])

    def bans(c):
        return set(c.get("banned_track_ids") or [])

    # Rule results and deciding paths, per child and track.
    verdict = {}
    for c in order:
        uses = rule_fields(c["filter"])
        per = {}
        for t in tracks:
            per[t["track_id"]] = ev.explain(c["filter"], t)
            if t.get("_dup_differs") and uses & {"added_at", "added_by"}:
                for alt in t["_dup_entries"]:
                    other = dict(t, **alt)
                    if ev.matches(c["filter"], other) != per[t["track_id"]][0]:
                        _note(plan, "child %s: the result depends on which duplicate "
                                    "entry of %s counts" % (c["id"], t["track_id"]))
        verdict[c["id"]] = per

    # first_match: a track goes to the first child (by position) whose RULE
    # matches; a later child sees it only when pinned there.
    first = {}
    if routing == "first_match":
        for t in tracks:
            tid = t["track_id"]
            for c in regular:
                if verdict[c["id"]][tid][0]:
                    first[tid] = c["id"]
                    break

    held = {}      # child id -> [views] kept
    cut = {}       # child id -> set of ids cut by the limit
    explain = {}
    for c in regular:
        cid, P, B = c["id"], pins(c), bans(c)
        members, ex = [], {}
        for t in tracks:
            tid = t["track_id"]
            ok, path, sure = verdict[cid][tid]
            if routing == "first_match":
                claims = first.get(tid) == cid
                if tid in B and claims:
                    later = regular[regular.index(c) + 1:]
                    if any(verdict[d["id"]][tid][0] and tid not in bans(d) for d in later):
                        # SILENT: a matched-but-banned track could fall through
                        # to the next matching child, or stay routed here.
                        _note(plan, "first_match: track %s banned in the child it routes to "
                                    "while a later child matches it" % tid)
                if tid in P and not ok and tid not in B and first.get(tid) and \
                        [d["id"] for d in regular].index(first[tid]) > regular.index(c):
                    # SILENT: does a pin here take the track from the later
                    # child whose rule matches it?  We say no.
                    _note(plan, "first_match: track %s pinned in %s but routed to a later child"
                          % (tid, cid))
            else:
                claims = ok
            if tid in B:
                ex[tid] = {"matched": False, "reason": "banned", "silent": []}
                continue
            if tid in P:
                members.append(t)
                ex[tid] = {"matched": True, "reason": "pinned", "silent": []}
                continue
            if claims:
                members.append(t)
                ex[tid] = {"matched": True, "reason": "rule", "path": path,
                           "silent": ["reason"] + ([] if sure else ["path"])}
            elif routing == "first_match" and tid in first and first[tid] != cid \
                    and [d["id"] for d in regular].index(first[tid]) < regular.index(c):
                # An earlier child's rule took it.  SILENT when our own rule
                # does not match either: then the rule node could be named.
                ex[tid] = {"matched": False, "reason": "matched_earlier_child",
                           "silent": [] if ok else ["reason", "path"]}
            else:
                ex[tid] = {"matched": False, "reason": "rule", "path": path,
                           "silent": ["reason"] + ([] if sure else ["path"])}
        kept, dropped = _apply_order_and_limit(plan, c, members, P)
        for t in dropped:
            # SILENT: `matched` for a limit-cut track (its rule matched, the
            # child does not hold it): we say False, i.e. "not held".
            ex[t["track_id"]] = {"matched": False, "reason": "limit", "silent": ["matched"]}
        held[cid] = kept
        cut[cid] = set(t["track_id"] for t in dropped)
        explain[cid] = ex

    if catch:
        c = catch[0]
        cid, P, B = c["id"], pins(c), bans(c)
        taken = set(t["track_id"] for views in held.values() for t in views)
        members, ex = [], {}
        for t in tracks:
            tid = t["track_id"]
            ok, path, sure = verdict[cid][tid]
            if tid in B:
                ex[tid] = {"matched": False, "reason": "banned", "silent": []}
            elif tid in P:
                members.append(t)
                ex[tid] = {"matched": True, "reason": "pinned", "silent": []}
            elif tid in taken:
                # SILENT: the reason API.md gives a catch-all for a track
                # another child holds is not named.
                ex[tid] = {"matched": False, "reason": "matched_earlier_child",
                           "silent": ["reason"]}
            elif ok:
                members.append(t)
                ex[tid] = {"matched": True, "reason": "rule", "path": path,
                           "silent": ["reason"] + ([] if sure else ["path"])}
            else:
                ex[tid] = {"matched": False, "reason": "rule", "path": path,
                           "silent": ["reason"] + ([] if sure else ["path"])}
        kept, dropped = _apply_order_and_limit(plan, c, members, P)
        for t in dropped:
            ex[t["track_id"]] = {"matched": False, "reason": "limit", "silent": ["matched"]}
        held[cid] = kept
        explain[cid] = ex

    for c in order:
        plan.targets[c["id"]] = [t["track_id"] for t in held[c["id"]]]
    plan._explain = explain
    for a in ev.ambiguities:
        _note(plan, a)
    return plan


def diff(current, target):
    """(add, remove) as sets of track ids: what a playlist holding `current`
    gains and loses to hold `target` (API.md: added/removed, preview)."""
    cur, tgt = set(current), set(target)
    return tgt - cur, cur - tgt
