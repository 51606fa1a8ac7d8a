#include "lamina/core/error.hpp"

#include <fmt/format.h>

#include <vector>

namespace lamina {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Shape:
      return "ShapeError";
    case ErrorKind::DType:
      return "DTypeError";
    case ErrorKind::Mask:
      return "MaskError";
    case ErrorKind::Gradient:
      return "GradientError";
    case ErrorKind::Value:
      return "ValueError";
    case ErrorKind::IO:
      return "IOError";
  }
  return "Error";
}

namespace {

enum class FrameKind { Layer, Op, Note };
struct Frame {
  FrameKind kind;
  const char* op;    // Op frames
  std::string text;  // Layer and Note frames
};

std::vector<Frame>& frames() {
  thread_local std::vector<Frame> stack;
  return stack;
}

// Index of the outermost op frame after the innermost layer frame, or -1.
long op_frame_index() {
  const auto& st = frames();
  long first_op = -1;
  for (long i = static_cast<long>(st.size()) - 1; i >= 0; --i) {
    if (st[static_cast<std::size_t>(i)].kind == FrameKind::Layer) break;
    if (st[static_cast<std::size_t>(i)].kind == FrameKind::Op) first_op = i;
  }
  return first_op;
}

std::string compose_where(std::string_view op_override) {
  std::string where;
  for (const auto& f : frames()) {
    if (f.kind == FrameKind::Op) continue;
    if (!where.empty()) where += " > ";
    where += f.text;
  }
  std::string_view op = op_override.empty() ? current_op() : op_override;
  if (!op.empty()) {
    if (!where.empty()) where += ", ";
    where += fmt::format("op '{}'", op);
  }
  return where;
}

std::string compose_message(ErrorKind kind, const ErrorDetails& d, const std::string& where) {
  std::string msg(error_kind_name(kind));
  if (!where.empty()) msg += " in " + where;
  msg += ": ";
  msg += d.problem.empty() ? std::string("invalid input") : d.problem;
  if (!d.expected.empty()) msg += "\n  expected: " + d.expected;
  if (!d.found.empty()) msg += "\n  found:    " + d.found;
  if (!d.hint.empty()) msg += "\n  hint: " + d.hint;
  return msg;
}

}  // namespace

Error::Error(ErrorKind kind, ErrorDetails details) : Error(kind, details, compose_where(details.op)) {}

Error::Error(ErrorKind kind, const ErrorDetails& details, std::string where)
    : std::runtime_error(compose_message(kind, details, where)),
      kind_(kind),
      details_(details),
      where_(std::move(where)) {}

void rethrow_with_note(const Error& e, const std::string& note) {
  ErrorDetails d = e.details();
  d.problem += " (" + note + ")";
  switch (e.kind()) {
    case ErrorKind::Shape:
      throw ShapeError(d);
    case ErrorKind::DType:
      throw DTypeError(d);
    case ErrorKind::Mask:
      throw MaskError(d);
    case ErrorKind::Gradient:
      throw GradientError(d);
    case ErrorKind::Value:
      throw ValueError(d);
    case ErrorKind::IO:
      throw IOError(d);
  }
  throw ValueError(d);
}

LayerScope::LayerScope(std::string_view name, std::string_view type) {
  frames().push_back({FrameKind::Layer, nullptr, fmt::format("layer '{}' ({})", name, type)});
}
LayerScope::~LayerScope() { frames().pop_back(); }

OpScope::OpScope(const char* op) { frames().push_back({FrameKind::Op, op, {}}); }
OpScope::~OpScope() { frames().pop_back(); }

NoteScope::NoteScope(std::string text) { frames().push_back({FrameKind::Note, nullptr, std::move(text)}); }
NoteScope::~NoteScope() { frames().pop_back(); }

std::string current_where() { return compose_where({}); }

std::string_view current_op() {
  long i = op_frame_index();
  return i < 0 ? std::string_view() : std::string_view(frames()[static_cast<std::size_t>(i)].op);
}

std::string current_layer() {
  const auto& st = frames();
  for (auto it = st.rbegin(); it != st.rend(); ++it)
    if (it->kind == FrameKind::Layer) return it->text;
  return {};
}

}  // namespace lamina
