// The Keras 3 progress bar.
#include "lamina/train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace lamina {

std::string format_step_time(double t, const std::string& unit) {
  if (t >= 1 || t == 0) return fmt::format("{:.0f}s/{}", t, unit);
  if (t >= 1e-3) return fmt::format("{:.0f}ms/{}", t * 1e3, unit);
  return fmt::format("{:.0f}us/{}", t * 1e6, unit);
}

std::string format_metric(double v) {
  if (std::abs(v) > 1e-3 || !std::isfinite(v)) return fmt::format("{:.4f}", v);
  return fmt::format("{:.4e}", v);
}

namespace {

std::string format_eta(double eta) {
  auto s = static_cast<long long>(eta);
  if (eta > 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s % 3600) / 60, s % 60);
  if (eta > 60) return fmt::format("{}:{:02d}", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string repeat(const char* s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

ProgressBar::ProgressBar(std::int64_t target, ProgressOptions options)
    : target_(target),
      options_(std::move(options)),
      dynamic_(options_.dynamic.value_or(options_.out && isatty(fileno(options_.out)))),
      start_(std::chrono::steady_clock::now()) {}

double ProgressBar::step_duration(std::int64_t current, double now) {
  if (current <= 0) return 0;
  // The first step (allocations, warm-up) is left out of the estimate once there are more.
  double per = time_after_first_step_ && current > 1 ? (now - *time_after_first_step_) / double(current - 1)
                                                     : now / double(current);
  if (current == 1) time_after_first_step_ = now;
  return per;
}

std::string ProgressBar::line(std::int64_t current, const Logs& values, bool finalize, double elapsed,
                              double per_step) const {
  bool color = dynamic_;
  auto bold = [&](const std::string& s) { return color ? "\x1b[1m" + s + "\x1b[0m" : s; };
  std::string out;
  if (options_.verbose == 2) {
    // verbose 2: "40/40 - 3s - 75ms/step - loss: 0.4100"
    int digits = target_ > 0 ? static_cast<int>(std::log10(double(target_))) + 1 : 1;
    out = target_ > 0 ? fmt::format("{:>{}}/{}", current, digits, target_) : fmt::format("{}/Unknown", current);
    out += fmt::format(" - {:.0f}s - {}", elapsed, format_step_time(per_step, options_.unit_name));
  } else {
    if (target_ > 0) {
      int digits = static_cast<int>(std::log10(double(target_))) + 1;
      out = bold(fmt::format("{:>{}}/{}", current, digits, target_)) + " ";
      int done = static_cast<int>(options_.width * std::min(1.0, double(current) / double(target_)));
      std::string filled = repeat("━", done), rest = repeat("━", options_.width - done);
      out += color ? (done > 0 ? "\x1b[32m" + filled + "\x1b[0m" : "") + "\x1b[37m" + rest + "\x1b[0m" : filled + rest;
    } else {
      out = fmt::format("{:>7}/Unknown", current);
    }
    if (target_ > 0 && !finalize)
      out += " " + bold(format_eta(per_step * double(target_ - current)));
    else
      out += " " + bold(fmt::format("{:.0f}s", elapsed));
    out += " " + format_step_time(per_step, options_.unit_name);
  }
  for (const auto& [k, v] : values) out += fmt::format(" - {}: {}", k, format_metric(v));
  return out;
}

void ProgressBar::update(std::int64_t current, const Logs& values, bool finalize) {
  if (options_.verbose <= 0 || !options_.out) return;
  double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double per_step = step_duration(current, now);
  bool redraw = options_.verbose == 1 && dynamic_;
  if (!finalize && (!redraw || (last_update_ >= 0 && now - last_update_ < options_.interval))) return;
  last_update_ = now;
  std::string text = line(current, values, finalize, now, per_step);
  std::size_t width = 0;  // printed width, without escape codes
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    width += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  }
  std::string message;
  if (redraw) {
    message = "\r" + text;
    if (previous_width_ > width) message += std::string(previous_width_ - width, ' ');
    previous_width_ = width;
    if (finalize) message += "\n";
  } else {
    message = text + "\n";
  }
  std::fputs(message.c_str(), options_.out);
  std::fflush(options_.out);
}

}  // namespace lamina
