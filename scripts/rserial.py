"""A small reader for R's binary serialization format and lazy-load databases.

Reads exactly what Lamina's data extraction needs -- the XDR ("X\\n") format,
versions 2 and 3, holding character vectors, lists, pairlists, symbols and
small integer/logical/double vectors -- and refuses everything else with a
message naming the unsupported construct. Python standard library only.

Format reference: R's src/main/serialize.c (each item is a 32-bit big-endian
flags word: type in the low 8 bits, then object/attribute/tag bits, then
"levels" in the upper 20 bits, which for CHARSXP carry the encoding).
"""

import gzip
import struct
import zlib

# SEXP types this reader decodes.
NILSXP, SYMSXP, LISTSXP = 0, 1, 2
CHARSXP, LGLSXP, INTSXP, REALSXP, STRSXP, VECSXP = 9, 10, 13, 14, 16, 19
# Pseudo-types that occur only in serialized streams.
REFSXP, NILVALUE_SXP = 255, 254

# Names of the types we refuse, so the error says what was found.
_TYPE_NAMES = {
    3: "CLOSXP (function)", 4: "ENVSXP (environment)", 5: "PROMSXP (promise)",
    6: "LANGSXP (call)", 7: "SPECIALSXP", 8: "BUILTINSXP", 15: "CPLXSXP (complex)",
    17: "DOTSXP", 20: "EXPRSXP (expression)", 21: "BCODESXP (byte code)",
    22: "EXTPTRSXP", 23: "WEAKREFSXP", 24: "RAWSXP (raw)", 25: "S4SXP",
    238: "ALTREP_SXP (compact/deferred vector)", 239: "ATTRLISTSXP",
    240: "ATTRLANGSXP", 241: "BASEENV_SXP", 242: "EMPTYENV_SXP",
    243: "BCREPREF", 244: "BCREPDEF", 245: "GENERICREFSXP", 246: "CLASSREFSXP",
    247: "PERSISTSXP", 248: "PACKAGESXP", 249: "NAMESPACESXP",
    250: "BASENAMESPACE_SXP", 251: "MISSINGARG_SXP", 252: "UNBOUNDVALUE_SXP",
    253: "GLOBALENV_SXP",
}

# CHARSXP encoding bits (in the "levels" field).
_BYTES_MASK, _LATIN1_MASK, _UTF8_MASK, _ASCII_MASK = 1 << 1, 1 << 2, 1 << 3, 1 << 6

NA_INTEGER = -(2**31)


class RFormatError(ValueError):
    """The input is not an R serialization this reader supports."""


class RSymbol:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"RSymbol({self.name!r})"


class RVector:
    """An atomic vector or list. kind: character, logical, integer, double, list.

    values holds str/None (NA) for character, int/None for logical and
    integer, float for double, decoded objects for list."""

    def __init__(self, kind, values, attributes):
        self.kind = kind
        self.values = values
        self.attributes = attributes  # dict name -> object (from a tagged pairlist)

    def names(self):
        n = self.attributes.get("names")
        return None if n is None else n.values


class RPairlist:
    def __init__(self, items, attributes):
        self.items = items  # list of (tag name or None, value)
        self.attributes = attributes


class _Reader:
    def __init__(self, data, where):
        self.data = data
        self.pos = 0
        self.where = where
        self.refs = []
        self.native_encoding = None

    def fail(self, problem, hint=""):
        msg = f"{self.where}: {problem} (at byte {self.pos} of the decompressed stream)"
        raise RFormatError(msg + (f"; {hint}" if hint else ""))

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            self.fail(f"truncated: wanted {n} more bytes, {len(self.data) - self.pos} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def length(self, elem_size):
        n = self.int()
        if n == -1:  # long vector: two words, upper then lower
            hi, lo = struct.unpack(">II", self.take(8))
            n = (hi << 32) | lo
        elif n < 0:
            self.fail(f"negative vector length {n}")
        # Refuse lengths the remaining bytes cannot hold (a corrupt length
        # must not make us allocate gigabytes).
        if n * elem_size > len(self.data) - self.pos:
            self.fail(f"vector length {n} exceeds the {len(self.data) - self.pos} bytes left")
        return n

    def header(self):
        fmt = self.take(2)
        if fmt != b"X\n":
            kinds = {b"A\n": "ASCII", b"B\n": "native binary", b"RD": "an .RData save file"}
            self.fail(f"format {kinds.get(fmt, repr(fmt))} is not the XDR binary format 'X\\n'",
                      "only XDR serializations (R's default) are supported")
        version = self.int()
        self.int()  # R version that wrote it
        self.int()  # minimal R version to read it
        if version == 3:
            n = self.int()
            self.native_encoding = self.take(n).decode("ascii", "replace")
        elif version != 2:
            self.fail(f"serialization version {version}; expected 2 or 3")

    def attributes(self):
        """Reads an attribute pairlist and returns it as a dict."""
        pl = self.item()
        if not isinstance(pl, RPairlist):
            self.fail("attributes are not a pairlist")
        out = {}
        for tag, value in pl.items:
            if tag is None:
                self.fail("an attribute has no name")
            out[tag] = value
        return out

    def charsxp(self, flags):
        levels = flags >> 12
        n = self.int()
        if n == -1:
            return None  # NA_character_
        if n < 0:
            self.fail(f"negative string length {n}")
        raw = self.take(n)
        if levels & _BYTES_MASK:
            self.fail("a string is marked as raw bytes", "byte strings have no text encoding")
        if levels & _LATIN1_MASK:
            return raw.decode("latin-1")
        encoding = "ascii" if levels & _ASCII_MASK else "utf-8"
        if not levels & (_UTF8_MASK | _ASCII_MASK):
            # Native encoding: version 3 records it; version 2 does not, so insist on UTF-8.
            native = (self.native_encoding or "UTF-8").upper().replace("_", "-")
            if native not in ("UTF-8", "UTF8"):
                self.fail(f"a string is in the native encoding {native}", "only UTF-8 is supported")
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as e:
            self.fail(f"a string is not valid {encoding}: {e}")

    def item(self):
        flags = self.int()
        t = flags & 0xFF
        has_attr = bool(flags & (1 << 9))
        has_tag = bool(flags & (1 << 10))
        if t == NILVALUE_SXP:
            return None
        if t == REFSXP:
            i = flags >> 8
            if i == 0:
                i = self.int()
            if not 1 <= i <= len(self.refs):
                self.fail(f"reference {i} outside the table of {len(self.refs)}")
            return self.refs[i - 1]
        if t == SYMSXP:
            name = self.item()
            if not isinstance(name, str):
                self.fail("a symbol's name is not a string")
            sym = RSymbol(name)
            self.refs.append(sym)
            return sym
        if t == CHARSXP:
            return self.charsxp(flags)
        if t == LISTSXP:
            return self.pairlist(flags)
        if t in (LGLSXP, INTSXP):
            n = self.length(4)
            vals = list(struct.unpack(f">{n}i", self.take(4 * n)))
            vals = [None if v == NA_INTEGER else v for v in vals]
            kind = "logical" if t == LGLSXP else "integer"
        elif t == REALSXP:
            n = self.length(8)
            vals = list(struct.unpack(f">{n}d", self.take(8 * n)))
            kind = "double"
        elif t == STRSXP:
            n = self.length(4)
            vals = []
            for _ in range(n):
                f = self.int()
                if f & 0xFF != CHARSXP:
                    self.fail(f"element of a character vector has type {f & 0xFF}, not CHARSXP")
                vals.append(self.charsxp(f))
            kind = "character"
        elif t == VECSXP:
            n = self.length(4)
            vals = [self.item() for _ in range(n)]
            kind = "list"
        else:
            name = _TYPE_NAMES.get(t, f"unknown type {t}")
            self.fail(f"unsupported R object {name}",
                      "this reader handles character/integer/logical/double vectors, lists, "
                      "pairlists and symbols only")
        attrs = self.attributes() if has_attr else {}
        return RVector(kind, vals, attrs)

    def pairlist(self, flags):
        # Iterative over the CDR chain so long pairlists do not recurse.
        items = []
        attrs = {}
        while True:
            if flags & (1 << 9):
                a = self.attributes()
                if not items:
                    attrs = a
            tag = None
            if flags & (1 << 10):
                sym = self.item()
                if not isinstance(sym, RSymbol):
                    self.fail("a pairlist tag is not a symbol")
                tag = sym.name
            items.append((tag, self.item()))
            flags = self.int()
            t = flags & 0xFF
            if t == NILVALUE_SXP:
                return RPairlist(items, attrs)
            if t != LISTSXP:
                self.fail(f"a pairlist ends in type {t}, not NULL", "dotted pairs are unsupported")


def unserialize(data, where="R serialization"):
    """Decodes one serialized R object from bytes (already decompressed)."""
    r = _Reader(data, where)
    r.header()
    obj = r.item()
    if r.pos != len(data):
        r.fail(f"{len(data) - r.pos} trailing bytes after the object")
    return obj


def read_rds(path):
    """Reads an .rds / lazy-load index file: gzip-compressed or plain XDR."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:2] != b"X\n":
        raise RFormatError(f"{path}: neither gzip-compressed nor an XDR serialization "
                           f"(starts with {data[:4]!r}); bzip2/xz .rds files are unsupported")
    return unserialize(data, str(path))


def read_lazyload_db(rdx_path, rdb_path):
    """Returns {name: object} for every variable of an R lazy-load database.

    The .rdx index is a list(variables, references, compressed) where each
    variable maps to c(offset, length) in the .rdb; each .rdb entry is a
    4-byte big-endian uncompressed length followed by a zlib stream."""
    index = read_rds(rdx_path)
    if not isinstance(index, RVector) or index.kind != "list" or not index.names():
        raise RFormatError(f"{rdx_path}: the index is not a named list")
    fields = dict(zip(index.names(), index.values))
    for key in ("variables", "compressed"):
        if key not in fields:
            raise RFormatError(f"{rdx_path}: the index has no '{key}' entry; "
                               f"found {sorted(fields)}")
    comp = fields["compressed"]
    if not (isinstance(comp, RVector) and comp.kind in ("logical", "integer")
            and comp.values == [1]):
        found = comp.values if isinstance(comp, RVector) else comp
        raise RFormatError(f"{rdx_path}: compression {found} is unsupported; "
                           "expected TRUE (zlib), the default of R's lazy-load databases")
    variables = fields["variables"]
    if not isinstance(variables, RVector) or variables.kind != "list":
        raise RFormatError(f"{rdx_path}: 'variables' is not a list")
    with open(rdb_path, "rb") as f:
        rdb = f.read()
    out = {}
    for name, loc in zip(variables.names() or [], variables.values):
        if not (isinstance(loc, RVector) and loc.kind == "integer" and len(loc.values) == 2):
            raise RFormatError(f"{rdx_path}: entry '{name}' is not c(offset, length)")
        off, n = loc.values
        if off is None or n is None or off < 0 or n < 4 or off + n > len(rdb):
            raise RFormatError(f"{rdb_path}: entry '{name}' at {off}+{n} lies outside "
                               f"the {len(rdb)}-byte file")
        blob = rdb[off:off + n]
        expect = struct.unpack(">I", blob[:4])[0]
        try:
            data = zlib.decompress(blob[4:])
        except zlib.error as e:
            raise RFormatError(f"{rdb_path}: entry '{name}' is not a zlib stream: {e}") from None
        if len(data) != expect:
            raise RFormatError(f"{rdb_path}: entry '{name}' decompressed to {len(data)} bytes, "
                               f"its header says {expect}")
        out[name] = unserialize(data, f"{rdb_path} entry '{name}'")
    return out
