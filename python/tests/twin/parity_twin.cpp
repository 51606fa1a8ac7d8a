// The C++ twin of python/tests/test_parity.py (issue 13, acceptance 2): the same masked
// Embedding -> Bidirectional(LSTM) -> GlobalAveragePooling1D -> Dense model, built in the same
// order with the same seed, trained on the arrays the test wrote (DIR/x.npy, DIR/y.npy).
// Writes DIR/cpp_weight_<i>.npy (the trained weights), DIR/cpp_losses.txt (the loss per epoch,
// %.17g), DIR/cpp_eval.txt (evaluate's loss and accuracy), and saves DIR/cpp_model.lamina.
// Usage: lamina_python_twin DIR
//        lamina_python_twin predict MODEL X.npy OUT.npy   (acceptance 3: load a model, predict)
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "predict") {
    try {
      lm::Model model = lm::load_model(argv[2]);
      lm::Tensor p = model.predict(lm::io::load_npy(argv[3]));
      lm::io::save_npy(argv[4], p.without_mask());
      return 0;
    } catch (const lm::Error& e) {
      std::cerr << e.what() << "\n";
      return 1;
    }
  }
  if (argc != 2) {
    std::cerr << "usage: lamina_python_twin DIR | predict MODEL X.npy OUT.npy\n";
    return 2;
  }
  std::string dir = argv[1];
  try {
    lm::Tensor x = lm::io::load_npy(dir + "/x.npy"), y = lm::io::load_npy(dir + "/y.npy");
    lm::set_seed(13);
    auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
    auto h = Embedding(50, 8, {.mask_zero = true})(tokens);
    h = Bidirectional(LSTM(6, {.return_sequences = true}))(h);
    h = GlobalAveragePooling1D()(h);
    auto out = Dense(3, {.activation = "softmax"})(h);
    lm::Model model(tokens, out, "parity");
    model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    auto history = model.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .validation_split = 0.25});
    std::ofstream losses(dir + "/cpp_losses.txt");
    losses << std::setprecision(17);
    for (double v : history["loss"]) losses << v << "\n";
    for (double v : history["val_loss"]) losses << v << "\n";
    auto logs = model.evaluate(x, y, {.verbose = 0});
    std::ofstream eval(dir + "/cpp_eval.txt");
    eval << std::setprecision(17) << logs.at("loss") << "\n" << logs.at("accuracy") << "\n";
    auto weights = model.get_weights();
    for (std::size_t i = 0; i < weights.size(); ++i)
      lm::io::save_npy(dir + "/cpp_weight_" + std::to_string(i) + ".npy", weights[i]);
    model.save(dir + "/cpp_model.lamina");
    lm::Tensor p = model.predict(x);
    lm::io::save_npy(dir + "/cpp_pred.npy", p.without_mask());
  } catch (const lm::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
