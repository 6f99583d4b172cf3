// HTML output of the public register and the notice page: escaping, and one small,
// self-contained HTML5 page (no scripts, no external assets, an inline style only).
//
// Every value interpolated into a page goes through AppendHtml; page bodies are assembled from
// literal markup and escaped values, never from unescaped input.
//
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace interdict::api {

// Appends `text` escaped for HTML text and attribute values: & < > " ' become entities, bytes
// that are not well-formed UTF-8 become U+FFFD, and control characters but tab and newline are
// dropped.
void AppendHtml(std::string& out, std::string_view text);
std::string Html(std::string_view text);

// Escapes `text` for a URL query component (RFC 3986 unreserved characters kept, the rest
// percent-encoded), for links such as "?q=" + UrlComponent(value).
std::string UrlComponent(std::string_view text);

// A whole page: the doctype, <html lang>, the charset, a viewport, the (escaped) title as <title>,
// a small inline style sheet, and `body` (markup, already escaped where it holds values).
std::string HtmlPage(std::string_view lang, std::string_view title, std::string_view body);

// `page` as a response: text/html; charset=utf-8, with a Content-Security-Policy that allows
// nothing but the inline style, and X-Content-Type-Options: nosniff.
http::HttpResponse HtmlResponse(int status, std::string page);

}  // namespace interdict::api
