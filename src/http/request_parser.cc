#include "http/request_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace interdict::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

std::string_view View(beast::string_view s) {
  return {s.data(), s.size()};
}

void AssignLower(std::string& out, std::string_view in) {
  out.resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

RequestParser::RequestParser(HttpRequest& request, const ParserLimits& limits) : request_(request) {
  header_limit(static_cast<std::uint32_t>(limits.max_header));
  body_limit(static_cast<std::uint64_t>(limits.max_body));
  request_.body.clear();
  request_.path_params.clear();
}

void RequestParser::on_request_impl(bhttp::verb, string_view method_str, string_view target,
                                    int version, error_code& ec) {
  if (version != 10 && version != 11) {
    ec = bhttp::error::bad_version;
    return;
  }
  version_ = version;
  request_.method.assign(method_str.data(), method_str.size());
  if (!ParseTarget(View(target), request_).ok()) {
    bad_target_ = true;
    ec = bhttp::error::bad_target;
  }
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
  ec = bhttp::error::bad_method;  // never called for a request parser
}

void RequestParser::on_field_impl(bhttp::field, string_view name, string_view value, error_code&) {
  if (headers_ < request_.headers.size()) {
    auto& [n, v] = request_.headers[headers_];
    AssignLower(n, View(name));
    v.assign(value.data(), value.size());
  } else {
    auto& [n, v] = request_.headers.emplace_back();
    AssignLower(n, View(name));
    v.assign(value.data(), value.size());
  }
  ++headers_;
  if (EqualsIgnoreCase(View(name), "expect") && EqualsIgnoreCase(View(value), "100-continue")) {
    expect_continue_ = true;
  }
}

void RequestParser::on_header_impl(error_code&) {
  request_.headers.resize(headers_);
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
  if (content_length) request_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t RequestParser::on_body_impl(string_view body, error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_finish_impl(error_code&) {}

Status ParseHttpRequest(std::string_view bytes, const ParserLimits& limits, HttpRequest& out) {
  RequestParser parser(out, limits);
  parser.eager(true);
  beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done()) {
    const std::size_t n =
        parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) ec = {};
    if (ec) return Status::InvalidArgument(ec.message());
    if (n == 0) {  // no progress: the input ends inside the message
      parser.put_eof(ec);
      if (ec) return Status::InvalidArgument("incomplete request: " + ec.message());
      break;
    }
  }
  return Status::Ok();
}

}  // namespace interdict::http
