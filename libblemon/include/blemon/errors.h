#pragma once

#include <stdexcept>
#include <string>

namespace blemon {

// Ports report failure by exception. Callers tell three kinds apart:

// The outside system is away (database down, bus gone). Nothing was changed; retry later.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The outside system answered but refuses for a reason retrying will not fix (schema too new,
// access denied, interval length disagrees). The message says what to do.
class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A processing transaction was rolled back because this monitor no longer holds the processor
// lease under the epoch it presented (fencing).
class LeaseLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace blemon
