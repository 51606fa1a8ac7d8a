// Model files: save -> load -> predict, exact resumption, weights by name, damaged files.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace lm = lamina;
namespace fs = std::filesystem;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

std::string temp_path(const std::string& name) {
  auto dir = fs::temp_directory_path() / "lamina_model_file_test";
  fs::create_directories(dir);
  return (dir / name).string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Embedding(mask_zero) -> ops -> BiLSTM -> registered Lambda -> pooling -> Dense.
lm::Model text_model() {
  register_lambda("squash_for_saving", [](const lm::Tensor& t) { return lm::tanh(t); });
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(30, 6, {.mask_zero = true})(tokens);
  x = x * 0.5f + 1.0f;
  x = Bidirectional(LSTM(4, {.return_sequences = true}))(x);
  x = Lambda("squash_for_saving")(x);
  x = GlobalAveragePooling1D()(x);
  return lm::Model(tokens, Dense(3, {.activation = "softmax"})(x), "text");
}

lm::Tensor ids() { return lm::tensor({{1, 5, 7, 0, 0}, {2, 3, 4, 9, 11}, {8, 0, 0, 0, 0}, {3, 3, 3, 3, 0}}); }
lm::Tensor labels() { return lm::tensor({0, 1, 2, 1}); }

void expect_same_weights(const lm::TensorList& a, const lm::TensorList& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<double>(), b[i].to_vector<double>()) << i;
}

}  // namespace

TEST(ModelFile, SaveLoadPredictGivesIdenticalOutputs) {
  lm::set_seed(1);
  auto model = text_model();
  model.compile({.optimizer = lm::optimizers::Adam(0.01), .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(ids(), labels(), {.batch_size = 2, .epochs = 2, .verbose = 0});
  auto path = temp_path("text.lamina");
  model->assets()["vocabulary"] = lm::Json{{"tokens", {"", "[UNK]", "the"}}};
  model.save(path);
  auto loaded = lm::load_model(path);
  EXPECT_EQ(loaded.name(), "text");
  ASSERT_EQ(loaded->assets().count("vocabulary"), 1u);
  EXPECT_EQ(loaded->assets().at("vocabulary")["tokens"][2], "the");
  EXPECT_TRUE(loaded.compiled());
  lm::Tensor a = model.predict(ids()), b = loaded.predict(ids());
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_EQ(loaded.summary_string(), model.summary_string());
  EXPECT_EQ(loaded.optimizer()->iterations(), model.optimizer()->iterations());
  EXPECT_FLOAT_EQ(static_cast<float>(loaded.optimizer()->learning_rate()), 0.01f);  // a float32 variable
  auto la = model.evaluate(ids(), labels(), {.verbose = 0}), lb = loaded.evaluate(ids(), labels(), {.verbose = 0});
  EXPECT_EQ(la["loss"], lb["loss"]);
  EXPECT_EQ(la["accuracy"], lb["accuracy"]);
  // The file was written atomically: no temporary files are left next to it.
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(ModelFile, ResumedTrainingIsBitIdenticalToUninterrupted) {
  auto fresh = [] {
    lm::clear_session();
    lm::set_seed(21);
    auto m = text_model();
    m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    return m;
  };
  auto straight = fresh();
  straight.fit(ids(), labels(), {.batch_size = 2, .epochs = 4, .verbose = 0});

  auto first = fresh();
  first.fit(ids(), labels(), {.batch_size = 2, .epochs = 2, .verbose = 0});
  auto path = temp_path("resume.lamina");
  first.save(path);
  auto resumed = lm::load_model(path);
  resumed.fit(ids(), labels(), {.batch_size = 2, .epochs = 4, .verbose = 0, .initial_epoch = 2});
  expect_same_weights(straight.get_weights(), resumed.get_weights());
}

TEST(ModelFile, BackupAndRestoreResumesAnInterruptedFit) {
  auto fresh = [] {
    lm::clear_session();
    lm::set_seed(33);
    auto m = text_model();
    m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    return m;
  };
  auto straight = fresh();
  straight.fit(ids(), labels(), {.batch_size = 2, .epochs = 4, .verbose = 0});

  auto dir = temp_path("backup");
  fs::remove_all(dir);
  struct Crash : lm::Callback {
    void on_epoch_end(int epoch, const lm::Logs&) override {
      if (epoch == 1) throw std::runtime_error("simulated crash");
    }
  };
  auto crashing = fresh();
  // The backup callback runs first, so epoch 1 is saved before the crash.
  EXPECT_THROW(crashing.fit(ids(), labels(),
                            {.batch_size = 2, .epochs = 4, .verbose = 0,
                             .callbacks = {lm::callbacks::BackupAndRestore(dir), std::make_shared<Crash>()}}),
               std::runtime_error);
  auto restarted = fresh();  // a new process would build the model again
  auto h = restarted.fit(ids(), labels(),
                         {.batch_size = 2, .epochs = 4, .verbose = 0, .callbacks = {lm::callbacks::BackupAndRestore(dir)}});
  EXPECT_EQ(h.epochs, (std::vector<int>{2, 3}));
  expect_same_weights(straight.get_weights(), restarted.get_weights());
  EXPECT_FALSE(fs::exists(fs::path(dir) / "latest.lamina"));  // removed once training ended
}

TEST(ModelFile, WeightsAreMatchedByNameNeverByOrder) {
  lm::clear_session();
  auto in = lm::Input({2});
  auto model = lm::Model(in, Dense(1, {.name = "b"})(Dense(3, {.name = "a"})(in)));
  auto path = temp_path("weights.lamina");
  model.save_weights(path);
  auto in2 = lm::Input({2});
  auto same = lm::Model(in2, Dense(1, {.name = "b"})(Dense(3, {.name = "a"})(in2)));
  same.load_weights(path);
  expect_same_weights(model.get_weights(), same.get_weights());

  auto in3 = lm::Input({2});
  auto renamed = lm::Model(in3, Dense(1, {.name = "b"})(Dense(3, {.name = "c"})(in3)));
  auto before = renamed.get_weights();
  EXPECT_LAMINA_ERROR(renamed.load_weights(path), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("'a/kernel'"));
    EXPECT_THAT(msg, HasSubstr("hint"));
  });
  expect_same_weights(before, renamed.get_weights());  // nothing was assigned
  auto in4 = lm::Input({2});
  auto wider = lm::Model(in4, Dense(1, {.name = "b"})(Dense(4, {.name = "a"})(in4)));
  EXPECT_LAMINA_ERROR(wider.load_weights(path), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("'a/kernel'")); });
  EXPECT_LAMINA_ERROR(lm::load_model(path), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("lamina.weights")); });
}

TEST(ModelFile, UnsavableModelsAreRefusedAtSaveTime) {
  auto in = lm::Input({2});
  auto model = lm::Model(in, Lambda([](const lm::Tensor& t) { return t * 3; }, {.name = "anonymous"})(in));
  EXPECT_LAMINA_ERROR(model.save(temp_path("anon.lamina")), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("'anonymous'"));
    EXPECT_THAT(msg, HasSubstr("register_lambda"));
  });
}

TEST(ModelFile, UnregisteredLambdaNameIsAClearErrorAtLoad) {
  register_lambda("temporary_fn", [](const lm::Tensor& t) { return t + 1; });
  auto in = lm::Input({2});
  auto model = lm::Model(in, Lambda("temporary_fn")(in));
  // The same file as another program (or an older build) would write it, naming a function
  // this process never registered.
  lm::Json config = model->get_config();
  std::string text = config.dump();
  text.replace(text.find("temporary_fn"), 12, "never_registered_fn");
  auto path = temp_path("unregistered.lamina");
  lm::io::save_safetensors(path, {{"weights/unused", lm::zeros({1})}},
                           {{"lamina.format", "lamina.model"}, {"lamina.model_config", text}});
  EXPECT_LAMINA_ERROR(lm::load_model(path), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("never_registered_fn"));
    EXPECT_THAT(msg, HasSubstr("register_lambda"));
  });
}

TEST(ModelFile, TruncatedAndBitFlippedFilesRaiseTypedErrors) {
  lm::clear_session();
  lm::set_seed(4);
  auto model = text_model();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  model.train_on_batch(ids(), labels());
  auto path = temp_path("damage.lamina");
  model.save(path);
  const std::string good = read_bytes(path);
  const std::size_t header_end = 8 + static_cast<std::size_t>(*reinterpret_cast<const std::uint64_t*>(good.data()));
  auto expect_typed_error = [&](const std::string& bytes, const std::string& what) {
    auto bad = temp_path("damaged_copy.lamina");
    write_bytes(bad, bytes);
    try {
      lm::load_model(bad);
      ADD_FAILURE() << what << ": loaded a damaged file";
    } catch (const lm::IOError&) {
    } catch (const lm::ValueError&) {
    } catch (const lm::Error& e) {
      // ShapeError/DTypeError from mismatched weights are typed errors too.
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": untyped exception " << e.what();
    }
  };
  for (int k = 0; k < 16; ++k) expect_typed_error(good.substr(0, good.size() * k / 16), fmt::format("truncated at {}/16", k));
  for (std::size_t pos = 0; pos < header_end; pos += std::max<std::size_t>(1, header_end / 64)) {
    std::string bytes = good;
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x10);
    expect_typed_error(bytes, fmt::format("header byte {} flipped", pos));
  }
  for (std::size_t pos = header_end; pos < good.size(); pos += std::max<std::size_t>(1, (good.size() - header_end) / 64)) {
    std::string bytes = good;
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x01);
    expect_typed_error(bytes, fmt::format("data byte {} flipped", pos));
  }
  EXPECT_LAMINA_ERROR(lm::load_model(temp_path("does_not_exist.lamina")), lm::IOError, {});
}
