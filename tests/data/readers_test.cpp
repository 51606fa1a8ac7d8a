// Readers of text, TSV and CSV files: hand-written inputs, every malformed case.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::data;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Strings = std::vector<std::string>;

namespace {

// A file in a fresh temporary folder, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char tmpl[] = "/tmp/lamina_data_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/file.txt";
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, path_;
};

}  // namespace

// ---- plain lines ----

TEST(ReadLines, SplitsAtNewlinesDroppingCarriageReturnsAndTheBom) {
  EXPECT_EQ(parse_lines("a\nb\r\n\nc"), (Strings{"a", "b", "", "c"}));
  EXPECT_EQ(parse_lines("a\n"), (Strings{"a"}));
  EXPECT_EQ(parse_lines("\n"), (Strings{""}));
  EXPECT_EQ(parse_lines(""), Strings{});
  EXPECT_EQ(parse_lines("\xEF\xBB\xBFhello\r\nx\ry"), (Strings{"hello", "x\ry"}));  // a lone CR is text
  EXPECT_EQ(parse_lines("a\n  \n\t\nb\n", "<memory>", {.skip_empty = true}), (Strings{"a", "b"}));
}

TEST(ReadLines, InvalidUtf8NamesTheFileLineAndByte) {
  EXPECT_LAMINA_ERROR(parse_lines("ok\nx\xFFy\n", "corpus.txt"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("invalid UTF-8 in line 2 of 'corpus.txt'"));
    EXPECT_THAT(msg, HasSubstr("byte 0xFF at byte offset 1 of the line"));
    EXPECT_THAT(msg, HasSubstr("never occurs in UTF-8"));
  });
  EXPECT_EQ(parse_lines("x\xFFy", "<memory>", {.invalid_utf8 = "replace"}), (Strings{"x\uFFFDy"}));
  EXPECT_LAMINA_ERROR(parse_lines("x", "<memory>", {.invalid_utf8 = "drop"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("invalid_utf8 = \"drop\"")); });
}

TEST(ReadLines, FromFilesAndMissingOrUnreadablePaths) {
  TempFile f("one\ntwo\n");
  EXPECT_EQ(read_lines(f.path()), (Strings{"one", "two"}));
  EXPECT_LAMINA_ERROR(read_lines(f.dir() + "/missing.txt"), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr("cannot open '" + f.dir() + "/missing.txt'"));
    EXPECT_THAT(msg, HasSubstr("No such file"));
  });
  EXPECT_LAMINA_ERROR(read_lines(f.dir()), lm::IOError, {
    EXPECT_THAT(msg, HasSubstr("is not a regular file"));
    EXPECT_THAT(msg, HasSubstr("a folder"));
  });
  if (geteuid() != 0) {  // root reads files whatever their permissions
    chmod(f.path().c_str(), 0);
    EXPECT_LAMINA_ERROR(read_lines(f.path()), lm::IOError, { EXPECT_THAT(msg, HasSubstr("Permission denied")); });
    chmod(f.path().c_str(), 0644);
  }
}

// ---- TSV ----

TEST(ReadTsv, LabelThenTextWithBlankLinesIgnored) {
  auto d = parse_tsv("pos\tgreat movie\nneg\tbad\tfilm\n\n  \nneu\tok \r\n");
  EXPECT_EQ(d.labels, (Strings{"pos", "neg", "neu"}));
  EXPECT_EQ(d.texts, (Strings{"great movie", "bad\tfilm", "ok "}));
  EXPECT_EQ(d.lines, (std::vector<std::int64_t>{1, 2, 5}));
  EXPECT_TRUE(d.skipped.empty());
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(parse_tsv("").size(), 0u);
}

TEST(ReadTsv, MalformedLinesNameTheLine) {
  struct Case {
    std::string text;
    std::string expect;
  };
  const Case cases[] = {
      {"a\tx\nno tab here\n", "malformed line 2 of 'train.tsv': no TAB between label and text"},
      {"a\tx\nb\tx\n\tx\n", "malformed line 3 of 'train.tsv': the label before the TAB is empty"},
      {"pos\t\n", "malformed line 1 of 'train.tsv': the text after the TAB is empty"},
      {"pos\t \t \n", "malformed line 1 of 'train.tsv': the text after the TAB is empty"},
  };
  for (const auto& c : cases) {
    EXPECT_LAMINA_ERROR(parse_tsv(c.text, "train.tsv"), lm::ValueError, {
      EXPECT_THAT(msg, HasSubstr(c.expect));
      EXPECT_THAT(msg, HasSubstr("skip_bad_lines"));
    });
  }
  EXPECT_LAMINA_ERROR(parse_tsv("a\tfine\nb\tcaf\xE9\n", "train.tsv"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("invalid UTF-8 in line 2 of 'train.tsv'"));
    EXPECT_THAT(msg, HasSubstr("byte offset 5"));
  });
}

TEST(ReadTsv, SkippingBadLinesCountsThem) {
  auto d = parse_tsv("a\tone\nbroken\nb\ttwo\n\tx\nc\t\xC3\x28\nd\t\n", "t.tsv", {.skip_bad_lines = true});
  EXPECT_EQ(d.labels, (Strings{"a", "b"}));
  EXPECT_EQ(d.lines, (std::vector<std::int64_t>{1, 3}));
  ASSERT_EQ(d.skipped.size(), 4u);
  EXPECT_EQ(d.skipped[0].line, 2);
  EXPECT_EQ(d.skipped[0].reason, "no TAB between label and text");
  EXPECT_EQ(d.skipped[1].line, 4);
  EXPECT_EQ(d.skipped[2].line, 5);
  EXPECT_EQ(d.skipped[2].reason, "invalid UTF-8 at byte offset 2");
  EXPECT_EQ(d.skipped[3].line, 6);
  // With "replace", the invalid line is kept, repaired.
  auto r = parse_tsv("c\t\xC3\x28\n", "t.tsv", {.invalid_utf8 = "replace"});
  EXPECT_EQ(r.texts, (Strings{"\uFFFD("}));
}

TEST(ReadTsv, FromFiles) {
  TempFile f("x\thello\ny\tworld");
  auto d = read_tsv(f.path());
  EXPECT_EQ(d.texts, (Strings{"hello", "world"}));
  EXPECT_LAMINA_ERROR(read_tsv(f.dir() + "/nope.tsv"), lm::IOError, { EXPECT_THAT(msg, HasSubstr("nope.tsv")); });
  TempFile bad("x\thello\nbroken");
  EXPECT_LAMINA_ERROR(read_tsv(bad.path()), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("malformed line 2 of '" + bad.path() + "'")); });
}

// ---- CSV ----

TEST(ReadCsv, Rfc4180QuotingEmbeddedNewlinesAndCrlf) {
  const std::string text =
      "id,text,score\r\n"
      "1,plain,0.5\r\n"
      "2,\"with, comma\",1\r\n"
      "3,\"two\r\nlines\",\r\n"
      "4,\"say \"\"hi\"\"\",\"\"\r\n"
      "\r\n"
      "5,,last";
  auto t = parse_csv(text, "data.csv");
  EXPECT_EQ(t.header, (Strings{"id", "text", "score"}));
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.rows[0], (Strings{"1", "plain", "0.5"}));
  EXPECT_EQ(t.rows[1], (Strings{"2", "with, comma", "1"}));
  EXPECT_EQ(t.rows[2], (Strings{"3", "two\r\nlines", ""}));  // line breaks inside quotes are kept as written
  EXPECT_EQ(t.rows[3], (Strings{"4", "say \"hi\"", ""}));
  EXPECT_EQ(t.rows[4], (Strings{"5", "", "last"}));
  EXPECT_EQ(t.row_lines, (std::vector<std::int64_t>{2, 3, 4, 6, 8}));
  EXPECT_EQ(t.column("text")[1], "with, comma");
  EXPECT_EQ(t.column_index("score"), 2u);
}

TEST(ReadCsv, OptionsHeaderlessDelimiterAndBom) {
  auto t = parse_csv(
      "\xEF\xBB\xBF"
      "1;2\n3;4\n",
      "d.csv", {.header = false, .delimiter = ';'});
  EXPECT_TRUE(t.header.empty());
  EXPECT_EQ(t.rows, (std::vector<Strings>{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(t.row_lines, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(parse_csv("", "d.csv", {.header = false}).size(), 0u);
  EXPECT_EQ(parse_csv("a,b\n", "d.csv").size(), 0u);                                              // a header alone
  EXPECT_EQ(parse_csv("\"\"\n", "d.csv", {.header = false}).rows, (std::vector<Strings>{{""}}));  // not a blank line
  EXPECT_EQ(parse_csv("a\r\n1\r", "d.csv").rows, (std::vector<Strings>{{"1"}}));      // a final CR ends the line
  EXPECT_EQ(parse_csv("a\n1\r2\n", "d.csv").rows, (std::vector<Strings>{{"1\r2"}}));  // a lone CR is data
  EXPECT_LAMINA_ERROR(parse_csv("a\n", "d.csv", {.delimiter = '"'}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("delimiter 0x22")); });
  EXPECT_LAMINA_ERROR(t.column("x"), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("header = false")); });
}

TEST(ReadCsv, MalformedInputsNameTheRowAndLine) {
  auto expect_error = [](const std::string& text, std::vector<std::string> parts) {
    SCOPED_TRACE(text);
    EXPECT_LAMINA_ERROR(parse_csv(text, "d.csv"), lm::ValueError, {
      for (const auto& p : parts) EXPECT_THAT(msg, HasSubstr(p));
    });
  };
  expect_error("a,b,c\n1,2,3\n4,5\n", {"ragged CSV in 'd.csv': row 2 (line 3) has 2 fields",
                                       "3 fields, as the header has (\"a\", \"b\", \"c\")"});
  expect_error("a,b\n1,\"x\ny\"\n1,2,3\n", {"row 2 (line 4) has 3 fields"});
  expect_error("a,b\n1,x\"y\n", {"row 1 (line 2): a quote inside an unquoted field", "byte offset 3"});
  expect_error("a,b\n1,\"x\"y\n", {"row 1 (line 2): text after the closing quote"});
  expect_error("a,b\n1,2\n3,\"open\nstill open\n", {"row 2 (line 3)", "opened on line 3 is never closed"});
  expect_error("a,\"b\n", {"the header (line 1)", "never closed"});
  expect_error("", {"'d.csv' has no header: it is empty"});
  expect_error("\n\n", {"has no header"});
  expect_error("a,b,a\n", {"names a column twice", "\"a\" repeated"});
  // Invalid UTF-8: the physical line, also inside a quoted field that spans lines.
  expect_error("a,b\n1,\"x\nca\xE9\"\n", {"invalid UTF-8 in line 3 of 'd.csv'", "byte offset 2"});
  auto t = parse_csv("a\n\xE9\n", "d.csv", {.invalid_utf8 = "replace"});
  EXPECT_EQ(t.rows[0][0], "\uFFFD");
  EXPECT_LAMINA_ERROR(parse_csv("a,b\n1,2\n", "d.csv").column("c"), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("one of the columns \"a\", \"b\"")); });
}

TEST(ReadCsv, FromFiles) {
  TempFile f("x,y\n1,2\n");
  auto t = read_csv(f.path());
  EXPECT_EQ(t.column("y"), (Strings{"2"}));
  EXPECT_EQ(t.source, f.path());
  EXPECT_LAMINA_ERROR(read_csv(f.dir() + "/none.csv"), lm::IOError, { EXPECT_THAT(msg, HasSubstr("none.csv")); });
}
