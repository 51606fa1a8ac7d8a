#include "plots.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lamina/core/error.hpp"

namespace lamina::tools {

namespace {

// gnuplot's strings are single-quoted; a quote inside is doubled.
std::string gp_string(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Gnuplot's enhanced-text markup treats _ and ^ as sub/superscripts.
std::string plain(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '^' || c == '@' || c == '&' || c == '{' || c == '}') out += '\\';
    out += c;
  }
  return out;
}

struct Output {
  std::string terminal, extension;
};
const Output kOutputs[] = {{"pngcairo size %d,%d font 'DejaVu Sans,10'", ".png"},
                           {"svg size %d,%d dynamic font 'DejaVu Sans,10'", ".svg"}};

// The script once per format, each writing a temporary file renamed into place afterwards.
void render(const std::string& body, const std::string& stem, int width, int height) {
  std::vector<std::pair<std::string, std::string>> renames;
  std::string script;
  for (const auto& o : kOutputs) {
    std::string final_path = stem + o.extension;
    std::string tmp = final_path + fmt::format(".tmp-{}", ::getpid());
    char terminal[128];
    std::snprintf(terminal, sizeof terminal, o.terminal.c_str(), width, height);
    script += fmt::format("set terminal {}\nset output {}\n{}\nunset output\n", terminal, gp_string(tmp), body);
    renames.push_back({tmp, final_path});
  }
  try {
    run_gnuplot(script);
  } catch (...) {
    for (const auto& [tmp, final_path] : renames) std::remove(tmp.c_str());
    throw;
  }
  for (const auto& [tmp, final_path] : renames) {
    std::error_code ec;
    std::filesystem::rename(tmp, final_path, ec);
    if (ec)
      throw IOError({.problem = fmt::format("cannot write the picture '{}'", final_path),
                     .expected = "a writable folder",
                     .found = ec.message(),
                     .hint = "choose another output folder"});
  }
}

}  // namespace

void run_gnuplot(const std::string& script) {
  int in[2];
  if (::pipe(in) != 0)
    throw IOError({.problem = "cannot start gnuplot", .expected = "a pipe", .found = std::strerror(errno)});
  pid_t pid = ::fork();
  if (pid < 0)
    throw IOError({.problem = "cannot start gnuplot", .expected = "a new process", .found = std::strerror(errno)});
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::close(in[0]);
    ::close(in[1]);
    ::execlp("gnuplot", "gnuplot", "-", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  const char* p = script.data();
  std::size_t left = script.size();
  while (left > 0) {
    ssize_t n = ::write(in[1], p, left);
    if (n <= 0) break;  // gnuplot exited early; its status says why
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(in[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    throw IOError({.problem = "gnuplot is not installed",
                   .expected = "the gnuplot program (Debian package gnuplot-nox)",
                   .found = "no gnuplot on PATH",
                   .hint = "run: bash scripts/setup.sh"});
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw IOError({.problem = "gnuplot failed to draw a picture",
                   .expected = "gnuplot exiting with status 0",
                   .found = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                              : std::string("killed by a signal"),
                   .hint = "its messages are on stderr above"});
}

void plot_history(const History& history, const std::string& stem, const std::string& title) {
  std::vector<std::string> metrics;
  for (const auto& [key, values] : history.history)
    if (key.rfind("val_", 0) != 0) metrics.push_back(key);
  if (metrics.empty() || history.epochs.empty())
    throw ValueError({.problem = "there is no training history to plot",
                      .expected = "at least one epoch with a metric",
                      .found = "an empty History",
                      .hint = "plot after fit() ran"});
  std::string body;
  // One data block per series: epoch (1-based) and value.
  auto block = [&](const std::string& name, const std::vector<double>& values, std::size_t offset) {
    body += fmt::format("${} << EOD\n", name);
    for (std::size_t i = 0; i < values.size(); ++i) body += fmt::format("{} {:.9g}\n", offset + i + 1, values[i]);
    body += "EOD\n";
  };
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    const auto& train = history.history.at(metrics[m]);
    block(fmt::format("train{}", m), train, static_cast<std::size_t>(history.epochs.front()));
    auto val = history.history.find("val_" + metrics[m]);
    if (val != history.history.end())
      block(fmt::format("val{}", m), val->second,
            static_cast<std::size_t>(history.epochs.front() + history.epochs.size() - val->second.size()));
  }
  body += fmt::format("set multiplot layout 1,{} title {}\n", metrics.size(), gp_string(plain(title)));
  body += "set grid\nset key bottom left\nset xlabel 'epoch'\nset xtics 1\n";
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    body += fmt::format("set title {}\n", gp_string(plain(metrics[m])));
    std::string plot = fmt::format("plot $train{} with linespoints lw 2 pt 7 title 'training'", m);
    if (history.history.count("val_" + metrics[m]))
      plot += fmt::format(", $val{} with linespoints lw 2 pt 5 title 'validation'", m);
    body += plot + "\n";
  }
  body += "unset multiplot\n";
  render(body, stem, 420 * static_cast<int>(metrics.size()) + 80, 400);
}

void plot_confusion(const std::vector<std::vector<std::int64_t>>& counts, const std::vector<std::string>& labels,
                    const std::string& stem, const std::string& title) {
  const std::size_t n = labels.size();
  if (n == 0 || counts.size() != n)
    throw ValueError({.problem = "the confusion matrix does not match its labels",
                      .expected = fmt::format("{} rows", n),
                      .found = fmt::format("{} rows", counts.size()),
                      .hint = "one row and one column per label"});
  std::string body = "$m << EOD\n";
  for (std::size_t i = 0; i < n; ++i) {
    if (counts[i].size() != n)
      throw ValueError({.problem = "a confusion-matrix row has the wrong length",
                        .expected = fmt::format("{} columns", n),
                        .found = fmt::format("{} in row {}", counts[i].size(), i),
                        .hint = "one column per label"});
    std::int64_t total = 0;
    for (auto c : counts[i]) total += c;
    for (std::size_t j = 0; j < n; ++j)  // x = predicted, y = true (row 0 at the top), share, count
      body += fmt::format("{} {} {:.6f} {}\n", j, n - 1 - i, total ? double(counts[i][j]) / double(total) : 0.0,
                          counts[i][j]);
  }
  body += "EOD\n";
  std::string xtics, ytics;
  for (std::size_t i = 0; i < n; ++i) {
    xtics += fmt::format("{}{} {}", i ? ", " : "", gp_string(plain(labels[i])), i);
    ytics += fmt::format("{}{} {}", i ? ", " : "", gp_string(plain(labels[i])), n - 1 - i);
  }
  body += fmt::format("set title {}\n", gp_string(plain(title)));
  body += fmt::format("set xtics ({}) rotate by 30 right\nset ytics ({})\n", xtics, ytics);
  body += fmt::format("set xrange [-0.5:{}.5]\nset yrange [-0.5:{}.5]\n", n - 1, n - 1);
  body += "set xlabel 'predicted'\nset ylabel 'true'\nset cblabel 'share of the row'\nset cbrange [0:1]\n";
  body += "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\nset size square\n";
  body += "plot $m using 1:2:3 with image notitle, $m using 1:2:(sprintf('%d', $4)) with labels notitle\n";
  render(body, stem, 640, 600);
}

}  // namespace lamina::tools
