// What blink-train prints and draws about a trained model: held-out figures
// beside the heuristic's, a ROC curve and a reliability diagram (SVG).
#pragma once

#include <string>

#include "realbogus_training.h"

namespace blink::train {

// The figures table, several lines.
std::string figures_text(const TrainingOutcome& outcome, double alert_threshold);

// ROC curves of the model and the heuristic on the held-out candidates.
std::string roc_svg(const HeldOutScores& held_out);
// Fraction real against predicted probability, in ten bins, both scores.
std::string reliability_svg(const HeldOutScores& held_out);

}  // namespace blink::train
