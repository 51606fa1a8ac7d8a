#!/usr/bin/python3
"""Builds Lamina's data/ folder from two unpacked Debian packages.

Run by scripts/extract_data.sh, which downloads r-cran-janeaustenr and
python3-sklearn with apt-get and unpacks them with dpkg -x; see data/README.md
(which this script writes) for what each output holds. Standard library only;
every output is deterministic (gzip with mtime 0 and no file name, fixed
orders, no timestamps), so two runs give byte-identical files.
"""

import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rserial  # noqa: E402

NOVELS = {  # package object name -> title
    "emma": "Emma",
    "mansfieldpark": "Mansfield Park",
    "northangerabbey": "Northanger Abbey",
    "persuasion": "Persuasion",
    "prideprejudice": "Pride and Prejudice",
    "sensesensibility": "Sense and Sensibility",
}
MIN_WORDS, MAX_WORDS = 3, 60
SPLIT_SALT = "lamina-austen-split-v1"
SPLIT_BANDS = (("train", 80), ("valid", 90), ("test", 100))  # cumulative percent

# Paragraphs that are structure, not prose.
HEADING = re.compile(r"(CHAPTER|Chapter|VOLUME) ([IVXLC]+|[0-9]+)\.?|\(End of volume [a-z]+\.\)|[* ]+")
# Notes by the editors of the printed editions, not by Austen.
EDITORIAL = re.compile(r"\[(End volume|At this point) .*\]")
# A paragraph that starts the back matter: the end mark, or an editor's note.
BACK_MATTER = re.compile(r"THE END|FINIS|Finis|A NOTE ON THE TEXT")
# Words whose final period does not end a sentence.
ABBREVIATIONS = {"Mr", "Mrs", "Dr", "St", "Rev", "Hon", "Esq", "Col", "Capt", "Messrs", "Vol"}
# A sentence ends at . ! or ?, then any closing quotes/brackets, then
# whitespace, where the next sentence starts with a capital (perhaps after
# opening quotes or brackets).
BOUNDARY = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]*[A-Z])")


def fail(msg):
    print(f"extract_data: {msg}", file=sys.stderr)
    sys.exit(1)


def write_gzip(path, text):
    """UTF-8 text to a reproducible .gz (no name, mtime 0, level 9)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as g:
        g.write(text.encode("utf-8"))
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def load_novels(root):
    data = os.path.join(root, "usr/lib/R/site-library/janeaustenr/data")
    try:
        objs = rserial.read_lazyload_db(os.path.join(data, "Rdata.rdx"),
                                        os.path.join(data, "Rdata.rdb"))
    except (OSError, rserial.RFormatError) as e:
        fail(f"cannot read the janeaustenr data: {e}")
    if sorted(objs) != sorted(NOVELS):
        fail(f"expected the objects {sorted(NOVELS)} in Rdata.rdb, found {sorted(objs)}")
    novels = {}
    for name in sorted(objs):
        v = objs[name]
        if not isinstance(v, rserial.RVector) or v.kind != "character":
            fail(f"object '{name}' is not a character vector")
        for i, line in enumerate(v.values, 1):
            if line is None or "\n" in line or "\r" in line:
                fail(f"object '{name}' line {i} is NA or holds a line break")
        novels[name] = v.values
    return novels


def paragraphs(lines):
    """Lines -> paragraphs (runs of non-blank lines), each joined into one string."""
    out, cur = [], []
    for line in lines + [""]:
        line = line.strip()
        if line:
            cur.append(line)
        elif cur:
            text = cur[0]
            for nxt in cur[1:]:
                # Dashes ("--") are printed without spaces; keep them so across line ends.
                text += nxt if text.endswith("--") or nxt.startswith("--") else " " + nxt
            out.append(text)
            cur = []
    return out


def body(paras, name="text"):
    """Drops front matter (before the first chapter), headings and back matter."""
    first = next((i for i, p in enumerate(paras) if re.fullmatch(r"(CHAPTER|Chapter) (I|1)", p)), None)
    if first is None:
        fail(f"{name}: no 'CHAPTER I' / 'Chapter 1' heading found")
    kept = []
    for p in paras[first:]:
        if BACK_MATTER.fullmatch(p):
            break
        if HEADING.fullmatch(p) or EDITORIAL.fullmatch(p):
            continue
        # A paragraph ending mid-sentence ("Emma laughed, and replied,") leads
        # into the next one, usually a speech: join them.
        if kept and kept[-1].endswith((",", ":", "--")):
            kept[-1] += p if kept[-1].endswith("--") else " " + p
        else:
            kept.append(p)
    return kept


def split_sentences(para):
    para = re.sub(r"\s+", " ", para.replace("_", "")).strip()  # _italics_ marks go
    out, start = [], 0
    for m in BOUNDARY.finditer(para):
        if para[m.start()] == ".":
            word = re.search(r"(\w+)$", para[start:m.start()])
            if word and word.group(1) in ABBREVIATIONS:
                continue
        out.append(para[start:m.end()].strip())
        start = m.end()
    tail = para[start:].strip()
    if tail:
        out.append(tail)
    return out


def split_of(sentence):
    h = int.from_bytes(hashlib.sha256(f"{SPLIT_SALT}\t{sentence}".encode()).digest()[:8], "big")
    pct = h % 100
    return next(name for name, upto in SPLIT_BANDS if pct < upto)


def load_digits(root):
    path = os.path.join(root, "usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz")
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            rows = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read {path}: {e}")
    counts = [0] * 10
    for i, row in enumerate(rows, 1):
        cells = row.split(",")
        if len(cells) != 65 or not all(c.isdigit() for c in cells):
            fail(f"{path} row {i}: expected 65 comma-separated integers")
        vals = [int(c) for c in cells]
        if max(vals[:64]) > 16 or vals[64] > 9:
            fail(f"{path} row {i}: a pixel is above 16 or the label above 9")
        counts[vals[64]] += 1
    if len(rows) != 1797:
        fail(f"{path}: expected 1797 rows, found {len(rows)}")
    return path, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--janeaustenr-root", required=True, help="dpkg -x of r-cran-janeaustenr")
    ap.add_argument("--sklearn-root", required=True, help="dpkg -x of python3-sklearn")
    ap.add_argument("--janeaustenr-deb", required=True, help="'version sha256' of the .deb")
    ap.add_argument("--sklearn-deb", required=True, help="'version sha256' of the .deb")
    ap.add_argument("--out", required=True, help="the data/ folder to (re)write")
    args = ap.parse_args()

    austen_dir = os.path.join(args.out, "austen")
    digits_dir = os.path.join(args.out, "digits")
    os.makedirs(austen_dir, exist_ok=True)
    os.makedirs(digits_dir, exist_ok=True)

    novels = load_novels(args.janeaustenr_root)
    stats = {}
    tsv, splits = [], []
    for name, lines in novels.items():  # sorted by name
        write_gzip(os.path.join(austen_dir, f"{name}.txt.gz"), "".join(l + "\n" for l in lines))
        paras = body(paragraphs(lines), name)
        sents = [s for p in paras for s in split_sentences(p)]
        kept = [s for s in sents if MIN_WORDS <= len(s.split()) <= MAX_WORDS]
        per_split = {n: 0 for n, _ in SPLIT_BANDS}
        for s in kept:
            sp = split_of(s)
            per_split[sp] += 1
            tsv.append(f"{name}\t{s}\n")
            splits.append(sp + "\n")
        stats[name] = dict(lines=len(lines), paragraphs=len(paras), split=len(sents),
                           short=sum(len(s.split()) < MIN_WORDS for s in sents),
                           long=sum(len(s.split()) > MAX_WORDS for s in sents),
                           kept=len(kept), words=sum(len(s.split()) for s in kept),
                           chars=sum(len(s) for s in kept), **per_split)
    write_gzip(os.path.join(austen_dir, "sentences.tsv.gz"), "".join(tsv))
    write_gzip(os.path.join(austen_dir, "split.txt.gz"), "".join(splits))

    # Identical sentences (short stock phrases) share a split by construction;
    # count those that occur under more than one label.
    labels_of = {}
    for row in tsv:
        label, s = row.rstrip("\n").split("\t")
        labels_of.setdefault(s, set()).add(label)
    dup_rows = len(tsv) - len(labels_of)
    cross = sum(1 for v in labels_of.values() if len(v) > 1)

    digits_src, digit_counts = load_digits(args.sklearn_root)
    # Copied byte for byte: it is already gzip and fixed for a package version.
    shutil.copyfile(digits_src, os.path.join(digits_dir, "digits.csv.gz"))

    sizes = {}
    for d, _, files in os.walk(args.out):
        for f in files:
            p = os.path.join(d, f)
            sizes[os.path.relpath(p, args.out)] = os.path.getsize(p)
    write_readme(args, stats, len(tsv), dup_rows, cross, digit_counts, sizes)
    print_summary(stats, len(tsv), dup_rows, cross, digit_counts, sizes)


def print_summary(stats, total, dup_rows, cross, digit_counts, sizes):
    print(f"{'novel':<17} {'lines':>6} {'sentences':>9} {'train':>6} {'valid':>6} {'test':>6}")
    for name, s in stats.items():
        print(f"{name:<17} {s['lines']:>6} {s['kept']:>9} {s['train']:>6} {s['valid']:>6} {s['test']:>6}")
    t = {k: sum(s[k] for s in stats.values()) for k in ("lines", "kept", "train", "valid", "test")}
    print(f"{'total':<17} {t['lines']:>6} {t['kept']:>9} {t['train']:>6} {t['valid']:>6} {t['test']:>6}")
    print(f"repeated sentences: {dup_rows} rows; texts under more than one label: {cross}")
    print("digits per class 0..9:", " ".join(str(c) for c in digit_counts), f"(total {sum(digit_counts)})")
    for f in sorted(f for f in sizes if f != "README.md"):
        print(f"  {sizes[f]:>8}  data/{f}")


def write_readme(args, stats, total, dup_rows, cross, digit_counts, sizes):
    jv, jsha = args.janeaustenr_deb.split()
    sv, ssha = args.sklearn_deb.split()
    rows = []
    for name, s in stats.items():
        rows.append(f"| `{name}` | {NOVELS[name]} | {s['lines']:,} | {s['kept']:,} | "
                    f"{s['train']:,} / {s['valid']:,} / {s['test']:,} | {s['words'] / s['kept']:.1f} |")
    t = {k: sum(s[k] for s in stats.values()) for k in ("lines", "kept", "train", "valid", "test", "words")}
    rows.append(f"| **total** | | {t['lines']:,} | {t['kept']:,} | "
                f"{t['train']:,} / {t['valid']:,} / {t['test']:,} | {t['words'] / t['kept']:.1f} |")
    majority = max(stats, key=lambda n: (stats[n]["kept"], n))
    shares = " ".join(f"{n} {100 * stats[n]['kept'] / total:.1f}%," for n in stats).rstrip(",")
    files = "\n".join(f"| `{f}` | {sizes[f]:,} |" for f in sorted(sizes) if f != "README.md")
    text = README.format(
        jv=jv, jsha=jsha, sv=sv, ssha=ssha, table="\n".join(rows), total=total, shares=shares,
        dup_rows=dup_rows, cross=cross, files=files, total_size=sum(v for k, v in sizes.items() if k != "README.md"),
        digit_counts=" | ".join(str(c) for c in digit_counts), min_words=MIN_WORDS,
        max_words=MAX_WORDS, salt=SPLIT_SALT, abbrevs=" ".join(f"`{a}.`" for a in sorted(ABBREVIATIONS)),
        emma_lines=stats["emma"]["lines"], majority=majority,
        majority_valid=100 * stats[majority]["valid"] / t["valid"],
        majority_test=100 * stats[majority]["test"] / t["test"],
        split_total=sum(s["split"] for s in stats.values()),
        short_total=sum(s["short"] for s in stats.values()),
        long_total=sum(s["long"] for s in stats.values()))
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


README = """\
# Lamina's data

Real data nobody here wrote, free to redistribute, extracted from two Debian
packages by `scripts/extract_data.sh`. **This file is generated by that script**
(the figures below are computed while extracting); edit the template in
`scripts/extract_data.py`, not this file.

Regenerate everything (needs `apt-get` with Debian bookworm's package lists,
network access to the Debian archive, and `/usr/bin/python3`; installs nothing):

    bash scripts/extract_data.sh

Check that the committed files are intact (used by the tests):

    bash scripts/check_data.sh

`SHA256SUMS` lists the SHA-256 of every data file (not this README). Two runs
give byte-identical files: gzip members carry no file name and mtime 0, orders
are fixed, nothing records the time. A different zlib could compress to
different bytes; the decompressed contents would still be identical.

## Provenance and licences

| package (Debian bookworm) | version | SHA-256 of the .deb | file used |
|---|---|---|---|
| `r-cran-janeaustenr` | {jv} | `{jsha}` | `usr/lib/R/site-library/janeaustenr/data/Rdata.rdb` + `Rdata.rdx` |
| `python3-sklearn` | {sv} | `{ssha}` | `usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz` |

- **Jane Austen's six completed novels.** The texts are in the public domain
  (Austen died in 1817; the package's help says "The UTF-8 plain text was
  sourced from Project Gutenberg").
  The R package janeaustenr (Julia Silge, <https://github.com/juliasilge/janeaustenr>,
  CRAN) and its Debian packaging (Andreas Tille) are MIT-licensed
  (`/usr/share/doc/r-cran-janeaustenr/copyright`). The novels are stored in
  the package as R objects in a lazy-load database; `scripts/rserial.py`
  decodes R's XDR serialization (versions 2 and 3: character vectors, lists,
  pairlists, symbols, references) without R, and refuses anything else.
- **Handwritten digits.** The test set of the UCI ML "Optical Recognition of
  Handwritten Digits" data set (E. Alpaydin and C. Kaynak, Bogazici
  University, 1998; <https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits>),
  as shipped by scikit-learn under the BSD-3-Clause licence
  (`/usr/share/doc/python3-sklearn/copyright`: "Copyright 2007-2019
  Scikit-Learn Developers"). The UCI repository's own page for the data set
  gives the CC BY 4.0 licence, which asks for the attribution given here.

## Files

| file | bytes |
|---|---|
{files}

Total: {total_size:,} bytes.

### `austen/<novel>.txt.gz` -- the novels as in the package

One file per R object of the package: `emma`, `mansfieldpark`,
`northangerabbey`, `persuasion`, `prideprejudice`, `sensesensibility`. Each
line is one string of the character vector, unchanged (UTF-8, `\\n` after every
line, blank lines kept; e.g. `emma.txt.gz` has {emma_lines:,} lines). They
include the title page, chapter headings, the end mark, and for
`northangerabbey` the author's advertisement and an editor's "A NOTE ON THE
TEXT". `_underscores_` mark italics in emma, mansfieldpark and prideprejudice;
sensesensibility uses capitals for emphasis instead.

### `austen/sentences.tsv.gz` -- the novel-attribution task

{total:,} lines, each `label<TAB>sentence\\n`, UTF-8, no header; the label is the
novel's object name. Lines are grouped by novel (in the order of the table
below) and in reading order within a novel: **shuffle before training**.
How sentences are made from the lines:

1. Paragraphs are runs of non-blank lines; their lines are joined with one
   space (none next to a `--` dash).
2. Everything before the first `CHAPTER I` / `Chapter 1` is dropped (title
   page, and Northanger Abbey's advertisement), as is everything from `THE END`
   / `FINIS` / `Finis` / `A NOTE ON THE TEXT` on. Paragraphs that are only a
   heading (`CHAPTER XII`, `Chapter 3`, `VOLUME II`, `(End of volume one.)`),
   only asterisks, or an editor's note (`[End volume one of this edition. ...]`,
   `[At this point in the first and second editions, ...]`) are dropped.
   A paragraph ending in `,`, `:` or `--` runs on into the next one (it is a
   lead-in such as `Emma laughed, and replied,` before a speech), so the two
   are joined.
3. Underscores (italic marks) are removed and runs of whitespace become one
   space (persuasion and sensesensibility put two spaces after a full stop),
   so these differences between the editions give no clue to the label. One
   remains: sensesensibility writes emphasis in capitals (`ONE hour`).
4. A paragraph is split after `.`, `!` or `?` (and any closing quotes or
   brackets) when whitespace and then a capital letter (perhaps after opening
   quotes or brackets) follow, except after the abbreviations
   {abbrevs}
   (so `Mr. Knightley` stays whole; `?` or `!` before a lower-case word, as in
   `"Oh! dear! very true."`, does not split). The end of a (joined) paragraph
   always ends a sentence.
5. Sentences of {min_words} to {max_words} words (whitespace-separated, inclusive)
   are kept: of {split_total:,} sentences, {short_total:,} shorter ones (such as
   `"Yes."`, or `"Oh!` split off before a capital) and {long_total:,} longer ones
   are dropped.

The sentence text keeps its punctuation, quotation marks (straight `"` and
`'`), capitals and `--` dashes. Quotation marks of a speech spanning several
sentences stay where they are, so some sentences have an unmatched `"`.
{dup_rows:,} lines repeat an earlier line's sentence (stock phrases such as
"I do not know."); {cross} such sentence texts occur under more than one label.

### `austen/split.txt.gz` -- the fixed held-out split

{total:,} lines, one word per line: `train`, `valid` or `test`; line *i* is
the split of line *i* of `sentences.tsv.gz`. The split depends only on the
sentence text: take the first 8 bytes of the SHA-256 of the UTF-8 string
`{salt}<TAB>sentence` as a big-endian integer, modulo 100;
below 80 is train, below 90 valid, else test.
So identical sentences always fall in the same split (no train/test leak
through repeats), and the split does not change when other sentences do.

| label | novel | lines in package | sentences | train / valid / test | words per sentence |
|---|---|---|---|---|---|
{table}

Class shares: {shares}. Always guessing the
majority class, `{majority}`, is the baseline to beat: {majority_valid:.1f}% of
the valid split, {majority_test:.1f}% of the test split.

### `digits/digits.csv.gz` -- handwritten digits

Byte-identical to the package's file. 1,797 lines, no header, each 65
comma-separated integers: 64 pixel values 0..16 (an 8x8 image in row-major
order: 32x32 bitmaps, each pixel counting the set bits of a 4x4 block), then
the label 0..9. No fixed split; take a seeded one.

| digit | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |
|---|---|---|---|---|---|---|---|---|---|---|
| images | {digit_counts} |
"""

if __name__ == "__main__":
    main()
