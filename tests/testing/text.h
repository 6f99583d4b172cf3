// Deliberately plain text helpers for tests that compute expected figures independently of the
// code under test: split on one character, strip spaces and tabs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace interdict::testing {

inline std::vector<std::string> SplitOn(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

inline std::string Strip(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace interdict::testing
