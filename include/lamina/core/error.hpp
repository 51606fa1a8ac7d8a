#pragma once
// Typed errors and the thread-local context stack that says where they happened.
//
// Every message says where (layer name and type, op), what was expected, what was
// found, and how to fix it:
//   ShapeError in layer 'weighted_sum' (Lambda): declared output_shape does not match
//     expected: (None, 100)
//     found:    (None, 10) for input (None, 10, 100)
//     hint: drop output_shape to let Lamina infer it, or fix the function.
#include <stdexcept>
#include <string>
#include <string_view>

namespace lamina {

enum class ErrorKind { Shape, DType, Mask, Gradient, Value, IO };
std::string_view error_kind_name(ErrorKind kind);  // "ShapeError", ...

struct ErrorDetails {
  std::string op;        // the op, when the error is about one ("matmul"); else taken from context
  std::string problem;   // one line saying what went wrong
  std::string expected;  // what was expected
  std::string found;     // what was found
  std::string hint;      // how to fix it
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, ErrorDetails details);
  ErrorKind kind() const { return kind_; }
  const ErrorDetails& details() const { return details_; }
  // Where the error happened, e.g. "layer 'lstm' (LSTM), op 'matmul'".
  const std::string& where() const { return where_; }

 private:
  Error(ErrorKind kind, const ErrorDetails& details, std::string where);
  ErrorKind kind_;
  ErrorDetails details_;
  std::string where_;
};

#define LAMINA_DECLARE_ERROR(Name, Kind)                                    \
  class Name : public Error {                                               \
   public:                                                                  \
    explicit Name(ErrorDetails d) : Error(ErrorKind::Kind, std::move(d)) {} \
  };
LAMINA_DECLARE_ERROR(ShapeError, Shape)
LAMINA_DECLARE_ERROR(DTypeError, DType)
LAMINA_DECLARE_ERROR(MaskError, Mask)
LAMINA_DECLARE_ERROR(GradientError, Gradient)
LAMINA_DECLARE_ERROR(ValueError, Value)
LAMINA_DECLARE_ERROR(IOError, IO)
#undef LAMINA_DECLARE_ERROR

// Throws an error of the same type as `e` with `note` added to its problem line.
[[noreturn]] void rethrow_with_note(const Error& e, const std::string& note);

// ---- context stack ------------------------------------------------------------------
// RAII frames pushed by Layer::operator(), by ops and by the training loop. Errors
// capture the stack when they are constructed.

// A layer call: "layer 'lstm' (LSTM)".
class LayerScope {
 public:
  LayerScope(std::string_view name, std::string_view type);
  ~LayerScope();
  LayerScope(const LayerScope&) = delete;
  LayerScope& operator=(const LayerScope&) = delete;
};

// An op. Only the outermost op inside the innermost layer is named in messages, so an
// op implemented with other ops reports the name the user called. `op` must be a literal.
class OpScope {
 public:
  explicit OpScope(const char* op);
  ~OpScope();
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;
};

// Free text, e.g. "fit: epoch 2, batch 17".
class NoteScope {
 public:
  explicit NoteScope(std::string text);
  ~NoteScope();
  NoteScope(const NoteScope&) = delete;
  NoteScope& operator=(const NoteScope&) = delete;
};

// The current "where": layer and note frames joined by " > ", then the op.
std::string current_where();
// The current op name (outermost op in the innermost layer), or "" outside ops.
std::string_view current_op();
// The innermost layer frame's text ("layer 'lstm' (LSTM)"), or "".
std::string current_layer();

}  // namespace lamina
