// Reading candidate rows, shared by the stores: the column lists and the
// functions that turn a result row into structs must agree, so they live together.
#pragma once

#include "sqlite_util.h"
#include "store.h"

namespace blink {

// The columns of `candidates c`, in the order read_candidate reads them.
extern const char* const kCandidateColumns;
extern const int kCandidateColumnCount;
RoutedCandidate read_candidate(const Stmt& q, int first_column);

// Those columns, then the facts of `exposures e` joined on exposure_id.
extern const char* const kCandidateRowColumns;
extern const int kCandidateRowColumnCount;
CandidateRow read_candidate_row(const Stmt& q, int first_column);

}  // namespace blink
