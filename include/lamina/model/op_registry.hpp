#pragma once
// Rebuilding ops from their names and saved arguments, so that a saved model whose graph has
// ops between layers (`x * 0.5f + 1.0f`, `lm::mean(x, 1)`) loads without any code.
//
// Ops record their arguments besides the inputs as a JSON object in the symbolic node
// (`SymbolicNode::attrs`); op_from_config turns the name and those arguments back into a
// function of the op's inputs. Nothing from a file is ever executed: only known ops are built.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {

using OpReplay = std::function<TensorList(const TensorList&)>;

// ValueError for an op that cannot be rebuilt (naming it and listing what can).
OpReplay op_from_config(const std::string& op, const nlohmann::json& attrs);
bool op_rebuildable(const std::string& op);
std::vector<std::string> rebuildable_ops();

}  // namespace lamina
