#include "api/html.h"

#include <cstdint>

#include "core/utf8.h"

namespace interdict::api {
namespace {

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#111}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;"
    "border-bottom:1px solid #ccc;vertical-align:top}"
    "code{background:#f3f3f3;padding:0 .2rem;overflow-wrap:anywhere}"
    "dt{font-weight:bold}dd{margin:0 0 .5rem 0}.note{color:#555}";

}  // namespace

void AppendHtml(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const char ch = text.front();
    const std::size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    if (n > 1) {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
      continue;
    }
    text.remove_prefix(1);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n': out.push_back(ch); break;
      default:
        if (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f) out.push_back(ch);
        break;
    }
  }
}

std::string Html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendHtml(out, text);
  return out;
}

std::string UrlComponent(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string HtmlPage(std::string_view lang, std::string_view title, std::string_view body) {
  std::string page;
  page.reserve(body.size() + 1024);
  page += "<!DOCTYPE html>\n<html lang=\"";
  AppendHtml(page, lang);
  page +=
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  AppendHtml(page, title);
  page += "</title>\n<style>";
  page += kStyle;
  page += "</style>\n</head>\n<body>\n";
  page += body;
  page += "</body>\n</html>\n";
  return page;
}

http::HttpResponse HtmlResponse(int status, std::string page) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(page);
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                         "form-action 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace interdict::api
