// A strict checker of the HTML pages interdict writes (the public register, the notice page):
// the HTML5 doctype, every element closed in order (void elements excepted), attribute values
// quoted, and text and attribute values escaped: no raw '<' or '>' and no '&' that does not start
// an entity. Stricter than HTML5 needs, so that a value interpolated without escaping shows.
#pragma once

#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace interdict::api::htmltest {

// "" when `html` passes, else what is wrong and where.
inline std::string HtmlProblem(std::string_view html) {
  static const std::set<std::string, std::less<>> kVoid = {"meta", "br",  "input",
                                                           "link", "img", "hr"};
  const std::string_view doctype = "<!DOCTYPE html>";
  if (!html.starts_with(doctype)) return "no <!DOCTYPE html> first";
  std::vector<std::string> open;
  std::size_t i = doctype.size();
  auto where = [&](std::size_t at) {
    return " at byte " + std::to_string(at) + ": ..." + std::string(html.substr(at, 40));
  };
  auto entity_ok = [&](std::size_t at) {
    std::size_t j = at + 1;
    if (j < html.size() && html[j] == '#') {
      ++j;
      const std::size_t digits = j;
      while (j < html.size() && std::isdigit(static_cast<unsigned char>(html[j]))) ++j;
      return j > digits && j < html.size() && html[j] == ';';
    }
    const std::size_t letters = j;
    while (j < html.size() && std::isalpha(static_cast<unsigned char>(html[j]))) ++j;
    return j > letters && j < html.size() && html[j] == ';';
  };
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      if (!entity_ok(i)) return "an unescaped '&'" + where(i);
      ++i;
      continue;
    }
    if (c == '>') return "an unescaped '>'" + where(i);
    if (c != '<') {
      ++i;
      continue;
    }
    const bool closing = i + 1 < html.size() && html[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    std::string name;
    while (j < html.size() && std::isalnum(static_cast<unsigned char>(html[j]))) {
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(html[j]))));
      ++j;
    }
    if (name.empty()) return "an unescaped '<'" + where(i);
    if (closing) {
      if (j >= html.size() || html[j] != '>') return "a malformed end tag" + where(i);
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">") +
               where(i);
      }
      open.pop_back();
      i = j + 1;
      continue;
    }
    // Attributes: name, or name="value" with an escaped value.
    for (;;) {
      while (j < html.size() && html[j] == ' ') ++j;
      if (j >= html.size()) return "an unterminated tag" + where(i);
      if (html[j] == '>') break;
      const std::size_t attr = j;
      while (j < html.size() &&
             (std::isalnum(static_cast<unsigned char>(html[j])) || html[j] == '-')) {
        ++j;
      }
      if (j == attr) return "a malformed attribute" + where(j);
      if (html[j] != '=') continue;
      if (j + 1 >= html.size() || html[j + 1] != '"') return "an unquoted attribute" + where(j);
      j += 2;
      while (j < html.size() && html[j] != '"') {
        if (html[j] == '<' || html[j] == '>') return "an unescaped attribute value" + where(j);
        if (html[j] == '&' && !entity_ok(j)) return "an unescaped '&' in an attribute" + where(j);
        ++j;
      }
      if (j >= html.size()) return "an unterminated attribute value" + where(attr);
      ++j;
    }
    i = j + 1;
    if (name == "style") {  // raw text up to </style>
      const std::size_t end = html.find("</style>", i);
      if (end == std::string_view::npos) return "an unclosed <style>";
      if (html.substr(i, end - i).find('<') != std::string_view::npos) return "'<' in <style>";
      i = end + 8;
      continue;
    }
    if (!kVoid.contains(name)) open.push_back(name);
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

}  // namespace interdict::api::htmltest
