#!/usr/bin/python3
"""Tests of scripts/rserial.py and the sentence rules of scripts/extract_data.py.

The R streams are written out by hand from the format (a 32-bit big-endian
flags word per item), so the expected values do not come from the decoder.
Run: /usr/bin/python3 scripts/test_extract_data.py
"""

import gzip
import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extract_data  # noqa: E402
import rserial  # noqa: E402


def i32(*vals):
    return b"".join(struct.pack(">i", v) for v in vals)


HEADER3 = b"X\n" + i32(3, 0x040201, 0x030500, 5) + b"UTF-8"
HEADER2 = b"X\n" + i32(2, 0x040201, 0x020300)
NIL = i32(0xFE)


def chars(s, flags=0x00040009):  # default: CHARSXP marked ASCII (levels 64)
    b = s if isinstance(s, bytes) else s.encode()
    return i32(flags, len(b)) + b


def sym(name):
    return i32(0x01) + chars(name)


class RSerialTest(unittest.TestCase):
    def test_character_vector_with_na_and_encodings(self):
        data = HEADER3 + i32(0x10, 4) + chars("a") + i32(0x09, -1) \
            + chars(b"\xc2\xa3", 0x00008009) + chars(b"caf\xe9", 0x00004009)
        v = rserial.unserialize(data)
        self.assertEqual(v.kind, "character")
        self.assertEqual(v.values, ["a", None, "\u00a3", "caf\u00e9"])  # a UTF-8 pound sign, Latin-1 e-acute
        self.assertEqual(v.attributes, {})

    def test_version2_list_with_names_attribute(self):
        # list(x = c(5L, 7L)): VECSXP with the attribute bit (1 << 9), then the
        # attribute pairlist (LISTSXP with the tag bit, 1 << 10).
        data = HEADER2 + i32(0x213, 1) + i32(0x0D, 2, 5, 7) \
            + i32(0x402) + sym("names") + i32(0x10, 1) + chars("x") + NIL
        v = rserial.unserialize(data)
        self.assertEqual(v.kind, "list")
        self.assertEqual(v.names(), ["x"])
        self.assertEqual(v.values[0].kind, "integer")
        self.assertEqual(v.values[0].values, [5, 7])

    def test_reference_to_an_earlier_symbol(self):
        # pairlist(a = TRUE, a = NA): the second tag is REFSXP 1 (index in flags >> 8).
        data = HEADER3 + i32(0x402) + sym("a") + i32(0x0A, 1, 1) \
            + i32(0x402, 0x1FF) + i32(0x0A, 1, -(2**31)) + NIL
        v = rserial.unserialize(data)
        self.assertEqual([t for t, _ in v.items], ["a", "a"])
        self.assertEqual([x.values for _, x in v.items], [[1], [None]])

    def test_double_vector(self):
        data = HEADER3 + i32(0x0E, 2) + struct.pack(">dd", 0.5, -2.0)
        self.assertEqual(rserial.unserialize(data).values, [0.5, -2.0])

    def refuses(self, data, *words):
        with self.assertRaises(rserial.RFormatError) as cm:
            rserial.unserialize(data, "test")
        for w in words:
            self.assertIn(w, str(cm.exception))

    def test_refusals(self):
        self.refuses(b"A\n3\n", "ASCII", "XDR")
        self.refuses(b"X\n" + i32(4, 0, 0), "version 4", "expected 2 or 3")
        self.refuses(HEADER3 + i32(238), "ALTREP")
        self.refuses(HEADER3 + i32(0x04), "environment")
        self.refuses(HEADER3 + i32(0x10, 1) + chars("ab")[:-1], "truncated")
        self.refuses(HEADER3 + i32(0x10, 1 << 30), "exceeds")
        self.refuses(HEADER3 + NIL + b"\0", "1 trailing bytes")
        self.refuses(HEADER3 + i32(0x1FF), "reference 1 outside the table of 0")
        self.refuses(HEADER3 + i32(0x10, 1) + chars(b"\xff", 0x00008009), "not valid utf-8")
        self.refuses(HEADER3 + i32(0x10, 1) + chars(b"x", 0x00002009), "raw bytes")
        self.refuses(HEADER3 + i32(0x02) + NIL + i32(0x10, 0), "dotted pairs")

    def write_db(self, folder, compressed):
        payload = HEADER3 + i32(0x10, 2) + chars("one") + chars("two")
        blob = struct.pack(">I", len(payload)) + zlib.compress(payload)
        # list(variables = list(v = c(0L, n)), references = list(), compressed = ...)
        index = HEADER3 + i32(0x213, 3) \
            + i32(0x213, 1) + i32(0x0D, 2, 0, len(blob)) + i32(0x402) + sym("names") \
            + i32(0x10, 1) + chars("v") + NIL \
            + i32(0x13, 0) + compressed \
            + i32(0x402, 0x1FF) + i32(0x10, 3) + chars("variables") + chars("references") \
            + chars("compressed") + NIL
        rdx, rdb = os.path.join(folder, "d.rdx"), os.path.join(folder, "d.rdb")
        with open(rdx, "wb") as f:
            f.write(gzip.compress(index, mtime=0))
        with open(rdb, "wb") as f:
            f.write(blob)
        return rdx, rdb

    def test_lazyload_db(self):
        with tempfile.TemporaryDirectory() as d:
            objs = rserial.read_lazyload_db(*self.write_db(d, i32(0x0A, 1, 1)))
            self.assertEqual(list(objs), ["v"])
            self.assertEqual(objs["v"].values, ["one", "two"])
            with self.assertRaises(rserial.RFormatError) as cm:
                rserial.read_lazyload_db(*self.write_db(d, i32(0x0D, 1, 3)))
            self.assertIn("compression [3] is unsupported", str(cm.exception))


class SentenceTest(unittest.TestCase):
    def test_split_keeps_abbreviations(self):
        para = ('"My dear Mr. Bennet," said his lady.  "Have you heard?" '
                "Oh! dear! very true. She met Dr. Grant at St. James's. It _was_ so.")
        self.assertEqual(extract_data.split_sentences(para), [
            '"My dear Mr. Bennet," said his lady.',
            '"Have you heard?"',
            "Oh! dear! very true.",
            "She met Dr. Grant at St. James's.",
            "It was so.",
        ])

    def test_body_drops_front_matter_headings_and_back_matter(self):
        lines = ["EMMA", "", "By Jane Austen", "", "CHAPTER I", "", "First line", "goes on.",
                 "", "He said,", "", '"Well--', 'no."', "", "CHAPTER II", "",
                 "[At this point in the first and second editions, Volume 1 ends.]", "",
                 "Last.", "", "FINIS", "", "After."]
        paras = extract_data.body(extract_data.paragraphs(lines))
        self.assertEqual(paras, ["First line goes on.", 'He said, "Well--no."', "Last."])

    def test_split_depends_only_on_text(self):
        self.assertEqual(extract_data.split_of("Same text."), extract_data.split_of("Same text."))
        got = {extract_data.split_of(f"sentence {i}") for i in range(200)}
        self.assertEqual(got, {"train", "valid", "test"})


if __name__ == "__main__":
    unittest.main()
