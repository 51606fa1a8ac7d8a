// The `lamina` program, run as a user runs it: training on a TSV the test writes, evaluate,
// predict (agreeing with the library), summary, and every kind of bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <zlib.h>

#include <cmath>
#include <map>
#include <set>
#include <filesystem>
#include <fstream>

#include "lamina/data/text_vectorization.hpp"
#include "test_util.hpp"

#ifndef LAMINA_CLI
#error "LAMINA_CLI must name the lamina program (tests/CMakeLists.txt)"
#endif

namespace lm = lamina;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

struct CliRun {
  int code;
  std::string out, err;
};

// Per process: CTest runs the tests of this file in parallel, each in its own process, and
// they must not share the files run_lamina captures output in.
fs::path scratch() {
  auto dir = fs::temp_directory_path() / ("lamina_cli_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs `lamina ARGS` (stdin from `input` when given), capturing stdout, stderr and the exit code.
CliRun run_lamina(const std::string& args, const std::string& input = "") {
  auto dir = scratch();
  auto out = dir / "stdout.txt", err = dir / "stderr.txt", in = dir / "stdin.txt";
  std::ofstream(in) << input;
  std::string cmd = std::string(LAMINA_CLI) + " " + args + " <" + in.string() + " >" + out.string() + " 2>" + err.string();
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Two classes that only word order separates: "a" before "b" or after it, among filler words.
std::string order_task(int n, std::uint64_t seed) {
  lm::Generator g(seed);
  const char* filler[] = {"the", "cat", "sat", "on", "mat", "dog", "ran", "far", "big", "red", "sun", "sky"};
  std::string out;
  for (int i = 0; i < n; ++i) {
    int len = 5 + static_cast<int>(g.uniform() * 8);
    std::vector<std::string> words;
    for (int k = 0; k < len; ++k) words.push_back(filler[static_cast<int>(g.uniform() * 12)]);
    int pa = static_cast<int>(g.uniform() * (len + 1));
    words.insert(words.begin() + pa, "alpha");
    int pb = static_cast<int>(g.uniform() * (len + 2));
    words.insert(words.begin() + pb, "beta");
    bool before = pb > pa;
    out += before ? "before\t" : "after\t";
    for (std::size_t k = 0; k < words.size(); ++k) out += (k ? " " : "") + words[k];
    out += "\n";
  }
  return out;
}

// A PNG's size (from IHDR) and its decompressed scanlines (filter bytes included).
struct Png {
  std::uint32_t width = 0, height = 0;
  std::string pixels;
};

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

Png read_png(const std::string& bytes) {
  Png png;
  if (bytes.size() < 8 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return png;
  std::string idat;
  for (std::size_t at = 8; at + 8 <= bytes.size();) {
    std::uint32_t length = be32(bytes, at);
    std::string type = bytes.substr(at + 4, 4);
    if (at + 12 + length > bytes.size()) break;
    if (type == "IHDR") png.width = be32(bytes, at + 8), png.height = be32(bytes, at + 12);
    if (type == "IDAT") idat += bytes.substr(at + 8, length);
    at += 12 + length;
  }
  uLongf size = uLongf(png.width) * png.height * 8 + png.height;  // room for 16-bit RGBA
  png.pixels.resize(size);
  if (uncompress(reinterpret_cast<Bytef*>(png.pixels.data()), &size, reinterpret_cast<const Bytef*>(idat.data()),
                 idat.size()) != Z_OK)
    png.pixels.clear();
  else
    png.pixels.resize(size);
  return png;
}

double accuracy_from(const std::string& out) {
  auto pos = out.find("accuracy: ");
  return pos == std::string::npos ? -1 : std::stod(out.substr(pos + 10));
}

}  // namespace

TEST(Cli, TrainsABidirectionalLstmOnWordOrderAndBagOfWordsCannot) {
  auto dir = scratch();
  write(dir / "order.tsv", order_task(1600, 1));
  write(dir / "order_valid.tsv", order_task(300, 2));
  auto bilstm = run_lamina("train " + (dir / "order.tsv").string() + " --valid " + (dir / "order_valid.tsv").string() +
                       " --arch bilstm --epochs 12 --verbose 0 --seed 3 --out " + (dir / "bilstm.lamina").string());
  ASSERT_EQ(bilstm.code, 0) << bilstm.err;
  auto eval = run_lamina("evaluate " + (dir / "bilstm.lamina").string() + " " + (dir / "order_valid.tsv").string());
  ASSERT_EQ(eval.code, 0) << eval.err;
  EXPECT_GE(accuracy_from(eval.out), 0.90) << eval.out;

  auto bow = run_lamina("train " + (dir / "order.tsv").string() + " --valid " + (dir / "order_valid.tsv").string() +
                    " --arch bow --epochs 8 --verbose 0 --out " + (dir / "bow.lamina").string());
  ASSERT_EQ(bow.code, 0) << bow.err;
  auto bow_eval = run_lamina("evaluate " + (dir / "bow.lamina").string() + " " + (dir / "order_valid.tsv").string());
  EXPECT_LT(accuracy_from(bow_eval.out), 0.65) << bow_eval.out;  // near chance: the words are the same

  // predict agrees with the library's predict on the same model file.
  std::string lines = "the cat alpha sat beta\nbeta on the mat alpha\n";
  auto pred = run_lamina("predict " + (dir / "bilstm.lamina").string() + " -", lines);
  ASSERT_EQ(pred.code, 0) << pred.err;
  lm::Model model = lm::load_model((dir / "bilstm.lamina").string());
  auto v = lm::data::TextVectorization::from_config(model->assets().at("text_vectorization"));
  auto labels = model->assets().at("labels");
  std::istringstream cli(pred.out);
  for (const char* text : {"the cat alpha sat beta", "beta on the mat alpha"}) {
    lm::Tensor probs = model.predict_on_batch(v.vectorize({text}));
    auto p = probs.to_vector<double>();
    std::size_t best = p[0] >= p[1] ? 0 : 1;
    std::string label, prob;
    std::getline(cli, label, '\t');
    std::getline(cli, prob);
    EXPECT_EQ(label, labels[best].get<std::string>());
    EXPECT_NEAR(std::stod(prob), p[best], 1e-4);
  }
  auto json = run_lamina("predict --json --top-k 2 " + (dir / "bilstm.lamina").string() + " -", "alpha beta\n");
  EXPECT_THAT(json.out, HasSubstr("\"top_k\":["));
  EXPECT_THAT(json.out, HasSubstr("\"line\":1"));
  auto summary = run_lamina("summary " + (dir / "bilstm.lamina").string());
  EXPECT_EQ(summary.code, 0);
  EXPECT_THAT(summary.out, HasSubstr("Bidirectional"));
  EXPECT_THAT(summary.out, HasSubstr("Labels (2)"));
  auto eval_json = run_lamina("evaluate --json " + (dir / "bilstm.lamina").string() + " " + (dir / "order_valid.tsv").string());
  auto j = lm::Json::parse(eval_json.out);
  EXPECT_EQ(j["confusion_matrix"].size(), 2u);
  EXPECT_GE(j["metrics"]["accuracy"].get<double>(), 0.90);
}

TEST(Cli, DrawsTrainingCurvesAsPngAndSvg) {
  auto dir = scratch() / "plots";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string train;
  for (int i = 0; i < 60; ++i) train += std::string(i % 2 ? "pos\tgood fine nice day\n" : "neg\tbad awful poor day\n");
  write(dir / "train.tsv", train);
  auto r = run_lamina("train " + (dir / "train.tsv").string() + " --validation-split 0.2 --arch bow --epochs 3 --verbose 0 --out " +
                      (dir / "m.lamina").string() + " --plot " + (dir / "curves.png").string());
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir / "curves.svg"));
  EXPECT_THAT(slurp(dir / "curves.svg"), HasSubstr("<svg"));
  Png png = read_png(slurp(dir / "curves.png"));
  // Two panels (loss, accuracy) of 420 pixels plus a margin of 80, 400 high (tools/plots.cpp).
  EXPECT_EQ(png.width, 920u);
  EXPECT_EQ(png.height, 400u);
  ASSERT_FALSE(png.pixels.empty()) << "the PNG's image data does not decompress";
  // Not blank: a white picture's scanlines hold one or two byte values; curves, axes and
  // text anti-aliased by cairo hold many, and a good share of bytes differ from the background.
  std::set<unsigned char> values(png.pixels.begin(), png.pixels.end());
  EXPECT_GT(values.size(), 32u);
  std::map<unsigned char, std::size_t> counts;
  for (unsigned char c : png.pixels) ++counts[c];
  std::size_t background = 0;
  for (const auto& [value, n] : counts) background = std::max(background, n);
  EXPECT_GT(png.pixels.size() - background, png.pixels.size() / 100);
}

TEST(Cli, ConvertsBetweenLaminaAndKerasFiles) {
  auto dir = scratch() / "convert";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string train;
  for (int i = 0; i < 40; ++i) train += std::string(i % 2 ? "pos\tgood fine nice\n" : "neg\tbad awful poor\n");
  write(dir / "train.tsv", train);
  auto r = run_lamina("train " + (dir / "train.tsv").string() + " --arch bow --epochs 2 --verbose 0 --out " +
                      (dir / "m.lamina").string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_lamina("convert " + (dir / "m.lamina").string() + " " + (dir / "m.keras").string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_lamina("summary " + (dir / "m.keras").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Embedding"));
  EXPECT_THAT(r.out, HasSubstr("GlobalAveragePooling1D"));
  // Back to Lamina's format: the same weights as the original.
  r = run_lamina("convert " + (dir / "m.keras").string() + " " + (dir / "back.lamina").string());
  ASSERT_EQ(r.code, 0) << r.err;
  auto a = lm::load_model((dir / "m.lamina").string()).get_weights();
  auto b = lm::load_model((dir / "back.lamina").string()).get_weights();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>()) << i;
  // A file that is no model: one line, exit 1, nothing written.
  write(dir / "junk.keras", "not a zip");
  r = run_lamina("convert " + (dir / "junk.keras").string() + " " + (dir / "out.lamina").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(fs::exists(dir / "out.lamina"));
}

TEST(Cli, BadInputIsOneLineAndAnExitCode) {
  auto dir = scratch();
  auto one_line = [](const CliRun& r) {
    std::string e = r.err;
    while (!e.empty() && e.back() == '\n') e.pop_back();
    return e.find('\n') == std::string::npos && !e.empty();
  };
  // Usage errors: exit 2.
  auto r = run_lamina("train");
  EXPECT_EQ(r.code, 2);
  r = run_lamina("train x.tsv --arch transformer");
  EXPECT_EQ(r.code, 2);
  r = run_lamina("frobnicate");
  EXPECT_EQ(r.code, 2);
  // Data errors: exit 1, one line, naming what is wrong.
  r = run_lamina("train " + (dir / "missing.tsv").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;
  EXPECT_THAT(r.err, HasSubstr("missing.tsv"));
  write(dir / "empty.tsv", "");
  r = run_lamina("train " + (dir / "empty.tsv").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no examples"));
  write(dir / "bad.tsv", "pos\tgood text\nthis line has no tab\nneg\tother text\n");
  r = run_lamina("train " + (dir / "bad.tsv").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;
  EXPECT_THAT(r.err, HasSubstr("line 2"));
  write(dir / "utf8.tsv", "pos\tgood\nneg\tbad \xC3\x28 byte\n");
  r = run_lamina("train " + (dir / "utf8.tsv").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("line 2"));
  EXPECT_THAT(r.err, HasSubstr("UTF-8"));
  write(dir / "not_a_model.lamina", "hello");
  r = run_lamina("summary " + (dir / "not_a_model.lamina").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;
  r = run_lamina("predict " + (dir / "not_a_model.lamina").string() + " -", "text\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");  // nothing partly written
  // A label the model never saw, at evaluate time: named, with its line.
  std::string train;
  for (int i = 0; i < 40; ++i) train += std::string(i % 2 ? "pos\tgood fine nice\n" : "neg\tbad awful poor\n");
  write(dir / "tiny.tsv", train);
  r = run_lamina("train " + (dir / "tiny.tsv").string() + " --arch bow --epochs 1 --verbose 0 --out " +
             (dir / "tiny.lamina").string());
  ASSERT_EQ(r.code, 0) << r.err;
  write(dir / "unseen.tsv", "pos\tgood\nmaybe\tsomething\n");
  r = run_lamina("evaluate " + (dir / "tiny.lamina").string() + " " + (dir / "unseen.tsv").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("'maybe'"));
  EXPECT_THAT(r.err, HasSubstr(":2"));
  // Empty texts are skipped and counted (documented), not an error.
  r = run_lamina("predict " + (dir / "tiny.lamina").string() + " -", "good fine\n\n   \nbad poor\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_THAT(r.err, HasSubstr("skipped 2 empty line(s)"));
  // The model file was written atomically: no temporary files left.
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);
}

TEST(Cli, PredictsArraysWithAnyModelAndMasks) {
  auto dir = scratch() / "predict_arrays";
  fs::remove_all(dir);
  fs::create_directories(dir);
  using namespace lm::layers;
  // Two inputs, two outputs: token ids (masked by Embedding(mask_zero)) and a float sequence
  // whose mask comes from --mask.
  lm::set_seed(5);
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto series = lm::Input({lm::None, 2}, lm::Float32, "series");
  auto probs = Dense(3, {.activation = "softmax", .name = "probs"})(
      GlobalAveragePooling1D()(Embedding(10, 4, {.mask_zero = true})(tokens)));
  auto score = Dense(1, {.name = "score"})(GlobalAveragePooling1D()(series));
  lm::Model model({tokens, series}, {probs, score});
  model.save((dir / "m.lamina").string());
  model.save((dir / "m.keras").string());
  auto ids = lm::tensor(std::vector<int>{3, 4, 0, 0, 5, 6, 7, 8}, lm::Shape{2, 4});
  auto x = lm::random_normal({2, 4, 2}, {.seed = 9});
  auto m = lm::tensor(std::vector<bool>{true, true, false, false, true, true, true, false}, lm::Shape{2, 4}, lm::Bool);
  lm::io::save_npy((dir / "ids.npy").string(), ids);
  lm::io::save_npy((dir / "x.npy").string(), x);
  lm::io::save_npy((dir / "m.npy").string(), m);
  lm::set_num_threads(1);
  auto expected = model.predict(lm::Data(lm::TensorList{ids, x.with_mask(m)}));
  for (const char* file : {"m.lamina", "m.keras"}) {
    auto r = run_lamina(fmt::format("predict {} --input {} --input {} --mask {} --output {} --threads 1",
                                    (dir / file).string(), (dir / "ids.npy").string(), (dir / "x.npy").string(),
                                    (dir / "none.npy").string(), (dir / "y.npy").string()));
    // A mask file that does not exist: exit 1, naming it.
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("none.npy"));
    // Masks go to the inputs in order: the ids' own (ids != 0, what mask_zero computes), then x's.
    lm::io::save_npy((dir / "ids_mask.npy").string(), lm::not_equal(ids, 0));
    r = run_lamina(fmt::format("predict {} --input {} --input {} --mask {} --mask {} --output {} --threads 1",
                               (dir / file).string(), (dir / "ids.npy").string(), (dir / "x.npy").string(),
                               (dir / "ids_mask.npy").string(), (dir / "m.npy").string(), (dir / "y.npy").string()));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("y.npy: probs float32 (2, 3)"));
    EXPECT_THAT(r.out, HasSubstr("y_1.npy: score float32 (2, 1)"));
    auto y0 = lm::io::load_npy((dir / "y.npy").string());
    auto y1 = lm::io::load_npy((dir / "y_1.npy").string());
    EXPECT_EQ(y0.to_vector<float>(), expected[0].to_vector<float>()) << file;
    EXPECT_EQ(y1.to_vector<float>(), expected[1].to_vector<float>()) << file;
  }
  // The mask matters: x's average over all 4 steps differs from the masked one.
  auto unmasked = model.predict(lm::Data(lm::TensorList{ids, x}));
  EXPECT_NE(unmasked[1].to_vector<float>(), expected[1].to_vector<float>());
  // Bad uses: exit 1, one line, naming the problem.
  auto m_lamina = (dir / "m.lamina").string();
  auto r = run_lamina("predict " + m_lamina + " --input " + (dir / "ids.npy").string() + " --output " +
                      (dir / "z.npy").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("takes 2 input(s)"));
  EXPECT_THAT(r.err, HasSubstr("tokens, series"));
  r = run_lamina("predict " + m_lamina + " --input " + (dir / "ids.npy").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--output"));
  r = run_lamina(fmt::format("predict {} --input {} --input {} --mask {} --output {}", m_lamina,
                             (dir / "ids.npy").string(), (dir / "x.npy").string(), (dir / "x.npy").string(),
                             (dir / "z.npy").string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not a mask"));
  EXPECT_FALSE(fs::exists(dir / "z.npy"));
  write(dir / "junk.npy", "\x93NUMPY junk");
  r = run_lamina(fmt::format("predict {} --input {} --input {} --output {}", m_lamina, (dir / "junk.npy").string(),
                             (dir / "x.npy").string(), (dir / "z.npy").string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("junk.npy"));
  EXPECT_FALSE(fs::exists(dir / "z.npy"));
}
