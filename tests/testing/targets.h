// Targets spelled as in the CLI ("domain:x.example", "cidr:10.0.0.0/8"), for tests.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "model/target.h"

namespace interdict::testing {

// The target `spelled` names; a spelling that does not parse fails the test and gives an empty
// target.
inline Target T(std::string_view spelled) {
  Result<Target> t = ParseTarget(spelled);
  if (!t.ok()) ADD_FAILURE() << spelled << ": " << t.status().ToString();
  return t.ok() ? *t : Target{};
}

}  // namespace interdict::testing
