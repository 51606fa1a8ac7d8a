// model.summary(): Keras 3's table (drawn as Keras draws it with rich: heavy header, a line
// between rows), with a Mask column that shows each output's mask shape or "-".
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "lamina/model/model.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina {

namespace {

struct Row {
  std::vector<std::string> cells;
};

std::string shape_text(const TensorSpec& s) { return s.shape.str(); }
std::string mask_text(const TensorSpec& s) { return s.has_mask() ? s.mask_shape().str() : "-"; }

template <class F>
std::string specs_text(const std::vector<TensorSpec>& specs, F f) {
  if (specs.size() == 1) return f(specs[0]);
  std::vector<std::string> parts;
  for (const auto& s : specs) parts.push_back(f(s));
  return "[" + fmt::format("{}", fmt::join(parts, ", ")) + "]";
}

std::string camel_case(const std::string& op) {
  std::string out;
  bool up = true;
  for (char c : op) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string readable_size(double bytes) {
  static const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  for (int i = 0; i < 5; ++i) {
    if (bytes / 1024 < 1) return fmt::format("{:.2f} {}", bytes, units[i]);
    bytes /= 1024;
  }
  return fmt::format("{:.2f} {}", bytes, units[5]);
}

struct Counted {
  std::int64_t params = 0;
  double bytes = 0;
};

Counted count(const std::vector<Variable>& vars) {
  Counted c;
  for (const auto& v : vars) {
    std::int64_t n = v.shape().numel();
    c.params += n;
    c.bytes += static_cast<double>(n) * static_cast<double>(itemsize(v.dtype()));
  }
  return c;
}

// Python's round(): halves go to the even neighbour (rich's ratio_reduce relies on it).
long round_half_even(double x) { return std::lround(std::nearbyint(x)); }

// Column widths as rich computes them for Keras's table: requested widths from the positions,
// each plus 2 of padding, then reduced evenly to fit the line between the n + 1 borders.
std::vector<int> column_widths(int line_length, const std::vector<double>& positions) {
  std::vector<int> widths;
  int current = 0;
  for (double p : positions) {
    int w = static_cast<int>(p * line_length) - current;
    widths.push_back(w + 2);
    current += w;
  }
  int n = static_cast<int>(widths.size());
  int max_width = line_length - (n + 1);
  int total = 0;
  for (int w : widths) total += w;
  if (total > max_width) {
    double remaining = total - max_width;
    double ratio_total = n;
    for (int& w : widths) {
      int cut = static_cast<int>(std::min<double>(w, static_cast<double>(round_half_even(remaining / ratio_total))));
      w -= cut;
      remaining -= cut;
      ratio_total -= 1;
    }
  }
  return widths;  // including the padding
}

// Greedy word wrap into lines of at most `width` characters (UTF-8 aware enough for our text).
std::size_t text_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word, line;
  while (words >> word) {
    while (text_width(word) > width) {  // fold a word longer than the column
      if (!line.empty()) {
        lines.push_back(line);
        line.clear();
      }
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (line.empty())
      line = word;
    else if (text_width(line) + 1 + text_width(word) <= width)
      line += " " + word;
    else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string border(const std::vector<int>& widths, const char* left, const char* fill, const char* mid,
                   const char* right) {
  std::string out = left;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    out += repeat(fill, widths[i]);
    out += i + 1 < widths.size() ? mid : right;
  }
  return out + "\n";
}

std::string render_row(const std::vector<std::string>& cells, const std::vector<int>& widths,
                       const std::vector<bool>& right_align, const char* bar) {
  std::vector<std::vector<std::string>> wrapped;
  std::size_t height = 1;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    wrapped.push_back(wrap(cells[i], static_cast<std::size_t>(widths[i] - 2)));
    height = std::max(height, wrapped.back().size());
  }
  std::string out;
  for (std::size_t line = 0; line < height; ++line) {
    out += bar;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string text = line < wrapped[i].size() ? wrapped[i][line] : "";
      int pad = widths[i] - 2 - static_cast<int>(text_width(text));
      out += " ";
      out += right_align[i] ? std::string(pad, ' ') + text : text + std::string(pad, ' ');
      out += " ";
      out += bar;
    }
    out += "\n";
  }
  return out;
}

bool is_sequential_like(const ModelLayer& m) {
  if (m.is_sequential()) return true;
  std::set<const Layer*> seen;
  for (const auto& step : m.graph().steps()) {
    int symbolic_inputs = 0;
    for (const auto& in : step.inputs) symbolic_inputs += in.step >= 0;
    if (symbolic_inputs > 1) return false;
    if (step.is_layer()) {
      auto* layer = static_cast<const Layer*>(step.node->owner.get());
      if (!seen.insert(layer).second) return false;  // a shared layer
    }
  }
  // One chain: every step but the last is read by exactly one later step.
  std::vector<int> readers(m.graph().steps().size(), 0);
  for (const auto& step : m.graph().steps())
    for (const auto& in : step.inputs)
      if (in.step >= 0) readers[in.step]++;
  int ends = 0;
  for (int r : readers) {
    if (r > 1) return false;
    ends += r == 0;
  }
  return ends == 1 && m.graph().input_steps().size() == 1;
}

void layer_rows(const ModelLayer& m, bool sequential_like, const SummaryOptions& options, int depth,
                std::vector<Row>& rows);

std::string params_cell(const Layer& l) {
  if (!l.built()) return "0 (unbuilt)";
  return with_commas(l.count_params());
}

std::string trainable_cell(const Layer& l) {
  if (l.weights().empty()) return "-";
  return l.trainable() ? "Y" : "N";
}

void nested_rows(const Layer& l, const SummaryOptions& options, int depth, std::vector<Row>& rows) {
  if (!options.expand_nested) return;
  auto* nested = dynamic_cast<const ModelLayer*>(&l);
  if (nested && nested->graph_built()) layer_rows(*nested, is_sequential_like(*nested), options, depth + 1, rows);
}

void layer_rows(const ModelLayer& m, bool sequential_like, const SummaryOptions& options, int depth,
                std::vector<Row>& rows) {
  std::string prefix = depth ? repeat("   ", depth) + "└ " : "";
  const auto& steps = m.graph().steps();
  // Names of the steps, for "Connected to": layer and input names, ops numbered as Keras names them.
  std::vector<std::string> step_names(steps.size());
  std::vector<int> call_index(steps.size(), 0);
  std::map<const void*, int> calls;
  std::map<std::string, int> op_counts;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto& node = *steps[s].node;
    if (steps[s].is_layer() || steps[s].is_input()) {
      step_names[s] = node.name;
      call_index[s] = steps[s].is_layer() ? calls[node.owner.get()]++ : 0;
    } else {
      int n = op_counts[node.op]++;
      step_names[s] = n == 0 ? node.op : fmt::format("{}_{}", node.op, n);
    }
  }
  auto connections = [&](const model::Step& step) {
    std::vector<std::string> parts;
    for (const auto& in : step.inputs)
      if (in.step >= 0) parts.push_back(fmt::format("{}[{}][{}]", step_names[in.step], call_index[in.step], in.index));
    return parts.empty() ? std::string("-") : fmt::format("{}", fmt::join(parts, ", "));
  };
  auto finish = [&](Row row, const Layer* layer) {
    if (options.show_trainable) row.cells.push_back(layer ? trainable_cell(*layer) : "-");
    rows.push_back(std::move(row));
  };
  if (m.is_sequential()) {
    // One row per layer, with the shapes of its call in the chain.
    std::size_t next = 0;
    for (const auto& l : m.layers()) {
      std::vector<TensorSpec> specs;
      for (; next < steps.size(); ++next)
        if (steps[next].is_layer() && steps[next].node->owner.get() == l.ptr().get()) {
          specs = steps[next].output_specs;
          break;
        }
      Row row{{prefix + l->name() + " (" + l->type() + ")", specs.empty() ? "?" : specs_text(specs, shape_text),
               specs.empty() ? "?" : specs_text(specs, mask_text), params_cell(*l)}};
      finish(std::move(row), l.ptr().get());
      nested_rows(*l, options, depth, rows);
    }
    return;
  }
  std::set<const void*> listed;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto& step = steps[s];
    const auto& node = *step.node;
    Row row;
    const Layer* layer = nullptr;
    if (step.is_input()) {
      row.cells = {prefix + node.name + " (InputLayer)", specs_text(step.output_specs, shape_text),
                   specs_text(step.output_specs, mask_text), "0"};
    } else if (step.is_layer()) {
      if (!listed.insert(node.owner.get()).second) continue;  // a shared layer has one row
      layer = static_cast<const Layer*>(node.owner.get());
      // The row shows the layer's last call, as Keras does; "Connected to" lists every call.
      std::vector<TensorSpec> specs = step.output_specs;
      std::string connected;
      for (std::size_t t = s; t < steps.size(); ++t)
        if (steps[t].is_layer() && steps[t].node->owner.get() == node.owner.get()) {
          specs = steps[t].output_specs;
          connected += (connected.empty() ? "" : ", ") + connections(steps[t]);
        }
      row.cells = {prefix + layer->name() + " (" + layer->type() + ")", specs_text(specs, shape_text),
                   specs_text(specs, mask_text), params_cell(*layer)};
      if (!sequential_like) row.cells.push_back(connected);
      finish(std::move(row), layer);
      nested_rows(*layer, options, depth, rows);
      continue;
    } else {
      row.cells = {prefix + step_names[s] + " (" + camel_case(node.op) + ")", specs_text(step.output_specs, shape_text),
                   specs_text(step.output_specs, mask_text), "0"};
    }
    if (!sequential_like) row.cells.push_back(connections(step));
    finish(std::move(row), layer);
  }
}

int terminal_columns() {
  winsize ws{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

std::string render(const ModelLayer& m, const optimizers::Optimizer* optimizer, const SummaryOptions& options,
                   int terminal) {
  bool sequential_like = !m.graph_built() || is_sequential_like(m);
  std::vector<std::string> header;
  std::vector<double> positions;
  std::vector<bool> right;
  int default_length;
  if (sequential_like) {
    header = {"Layer (type)", "Output Shape", "Mask", "Param #"};
    positions = {0.38, 0.64, 0.84, 1.0};
    right = {false, false, false, true};
    default_length = 100;
  } else {
    header = {"Layer (type)", "Output Shape", "Mask", "Param #", "Connected to"};
    positions = {0.24, 0.42, 0.58, 0.69, 1.0};
    right = {false, false, false, true, false};
    default_length = 124;
  }
  if (options.show_trainable) {
    default_length += 12;
    for (auto& p : positions) p *= 0.90;
    positions.push_back(1.0);
    header.push_back("Trainable");
    right.push_back(false);
  }
  int line_length = options.line_length > 0 ? options.line_length : default_length;
  if (options.line_length <= 0 && terminal > 0) line_length = std::min(line_length, terminal - 4);
  std::vector<int> widths = column_widths(line_length, positions);

  std::vector<Row> rows;
  if (m.graph_built()) {
    layer_rows(m, sequential_like, options, 0, rows);
  } else {
    for (const auto& l : m.layers()) {
      Row row{{l->name() + " (" + l->type() + ")", "?", "?", params_cell(*l)}};
      if (options.show_trainable) row.cells.push_back(trainable_cell(*l));
      rows.push_back(std::move(row));
    }
  }

  std::string out = fmt::format("Model: \"{}\"\n", m.name());
  out += border(widths, "┏", "━", "┳", "┓");
  out += render_row(header, widths, std::vector<bool>(header.size(), false), "┃");
  out += border(widths, "┡", "━", "╇", "┩");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i) out += border(widths, "├", "─", "┼", "┤");
    out += render_row(rows[i].cells, widths, right, "│");
  }
  out += border(widths, "└", "─", "┴", "┘");

  Counted trainable = count(m.trainable_weights());
  Counted frozen = count(m.non_trainable_weights());
  Counted opt;
  bool optimizer_built = false;
  if (optimizer && optimizer->built()) {
    opt = count(optimizer->variables());
    optimizer_built = true;
  }
  out += fmt::format(" Total params: {} ({})\n", with_commas(trainable.params + frozen.params + opt.params),
                     readable_size(trainable.bytes + frozen.bytes + opt.bytes));
  out += fmt::format(" Trainable params: {} ({})\n", with_commas(trainable.params), readable_size(trainable.bytes));
  out += fmt::format(" Non-trainable params: {} ({})\n", with_commas(frozen.params), readable_size(frozen.bytes));
  if (optimizer_built)
    out += fmt::format(" Optimizer params: {} ({})\n", with_commas(opt.params), readable_size(opt.bytes));
  return out;
}

}  // namespace

std::string Model::summary_string(const SummaryOptions& options) const {
  return render(layer(), optimizer().get(), options, 0);
}

void Model::summary(const SummaryOptions& options) const {
  std::fputs(render(layer(), optimizer().get(), options, terminal_columns()).c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace lamina
