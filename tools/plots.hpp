#pragma once
// Pictures for people who would rather look than read: training curves and confusion
// matrices, drawn by gnuplot (Debian's gnuplot-nox, installed by scripts/setup.sh) as PNG and
// SVG. Each picture is written to a temporary name and renamed, so a failed plot never leaves
// a broken file where a good one was.
#include <cstdint>
#include <string>
#include <vector>

#include "lamina/train/fit_options.hpp"

namespace lamina::tools {

// Writes <stem>.png and <stem>.svg: one panel per metric (loss, accuracy, ...), training and
// validation curves against the epoch.
void plot_history(const History& history, const std::string& stem, const std::string& title);

// Writes <stem>.png and <stem>.svg: rows are true labels, columns predicted ones; each cell
// shows its count, coloured by its share of the row.
void plot_confusion(const std::vector<std::vector<std::int64_t>>& counts, const std::vector<std::string>& labels,
                    const std::string& stem, const std::string& title);

// Runs a gnuplot script (IOError naming what failed; a hint to run scripts/setup.sh when gnuplot is missing).
void run_gnuplot(const std::string& script);

}  // namespace lamina::tools
