// TSV and CSV readers (lamina::data), with their default options.
#include "fuzz_support.hpp"
#include "lamina/data/csv.hpp"
#include "lamina/data/tsv.hpp"

namespace {
void parse_both(std::string_view bytes) {
  try {
    lamina::data::parse_csv(bytes, "fuzz.csv");
  } catch (const lamina::Error&) {
  }
  lamina::data::parse_tsv(bytes, "fuzz.tsv");
}
}  // namespace

LAMINA_FUZZ_TARGET(parse_both(bytes))
