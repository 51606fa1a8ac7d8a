// The Keras 3 progress bar: line format, and one line per epoch when not on a terminal.
#include <cstdio>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

TEST(ProgressBar, LineFormatsAsKeras) {
  lm::ProgressBar bar(40, {.dynamic = false});
  // Mid-epoch: ETA = 75 ms * 28 remaining steps = 2.1 s.
  EXPECT_EQ(bar.line(12, {{"accuracy", 0.81}, {"loss", 0.41}}, false, 0.9, 0.075),
            "12/40 ━━━━━━━━━━━━━━━━━━━━ 2s 75ms/step - accuracy: 0.8100 - loss: 0.4100");
  // At the end: elapsed time, and tiny values in exponent form.
  EXPECT_EQ(bar.line(40, {{"loss", 0.00012345}}, true, 3.2, 0.075),
            "40/40 ━━━━━━━━━━━━━━━━━━━━ 3s 75ms/step - loss: 1.2345e-04");
  lm::ProgressBar two(40, {.verbose = 2, .dynamic = false});
  EXPECT_EQ(two.line(40, {{"loss", 0.41}}, true, 3.2, 0.075), "40/40 - 3s - 75ms/step - loss: 0.4100");
  EXPECT_EQ(lm::format_step_time(2.5, "step"), "2s/step");
  EXPECT_EQ(lm::format_step_time(0.0004, "step"), "400us/step");
  lm::ProgressBar eta(1000, {.dynamic = false});
  EXPECT_EQ(eta.line(1, {}, false, 1, 4.0).substr(0, 9), "   1/1000");
  EXPECT_THAT(eta.line(1, {}, false, 1, 4.0), HasSubstr(" 1:06:36 4s/step"));  // 999 * 4 s
}

TEST(ProgressBar, DrawsColouredAndInPlaceOnATerminal) {
  std::FILE* f = std::tmpfile();
  lm::ProgressBar bar(4, {.interval = 0, .out = f, .dynamic = true});
  bar.update(1, {{"loss", 1.0}});
  bar.update(4, {{"loss", 0.5}}, true);
  std::rewind(f);
  char buf[4096] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string out(buf, n);
  EXPECT_EQ(out.front(), '\r');              // redrawn in place
  EXPECT_THAT(out, HasSubstr("\x1b[32m"));   // the done part in green
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);  // one line, ended when final
}

TEST(ProgressBar, FitPrintsOneLinePerEpochWhenNotATerminal) {
  auto in = lm::Input({2});
  lm::Model model(in, Dense(1)(in));
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  ::testing::internal::CaptureStdout();
  model.fit(lm::ones({10, 2}), lm::ones({10, 1}), {.batch_size = 2, .epochs = 2, .validation_split = 0.2});
  std::string out = ::testing::internal::GetCapturedStdout();
  // "Epoch 1/2", its final bar line (with val_ metrics), "Epoch 2/2", its line.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;
  EXPECT_THAT(out, HasSubstr("Epoch 1/2\n4/4 ━━━━━━━━━━━━━━━━━━━━ "));
  EXPECT_THAT(out, HasSubstr(" - loss: "));
  EXPECT_THAT(out, HasSubstr(" - mae: "));
  EXPECT_THAT(out, HasSubstr(" - val_loss: "));
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  ::testing::internal::CaptureStdout();
  model.fit(lm::ones({10, 2}), lm::ones({10, 1}), {.batch_size = 2, .epochs = 1, .verbose = 0});
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
}
