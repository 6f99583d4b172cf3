// Internal to src/http (includes Beast): a Beast parser that reads an HTTP/1.x request straight
// into an HttpRequest, reusing its strings' storage from one request to the next on a
// connection. Used by the server and the fuzz target; handlers never see it.
//
// Thread-safety: one parser per request, on one thread at a time.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <string_view>

#include "http/message.h"

namespace interdict::http {

struct ParserLimits {
  std::size_t max_header = std::size_t{16} * 1024;
  std::size_t max_body = 1 << 20;
};

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // Parses into `request`; its previous contents are overwritten (storage is reused).
  RequestParser(HttpRequest& request, const ParserLimits& limits);

  // After the header: the request had "Expect: 100-continue".
  bool expect_continue() const { return expect_continue_; }
  // True when the request-target was malformed (the parse stopped with bad_target).
  bool bad_target() const { return bad_target_; }
  // 10 or 11, once the request line is parsed.
  int http_version() const { return version_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  HttpRequest& request_;
  std::size_t headers_ = 0;  // headers of this request so far (request_.headers may be longer)
  bool expect_continue_ = false;
  bool bad_target_ = false;
  int version_ = 11;
};

// Parses one complete request from `bytes` with these limits (the fuzz target; tests). The
// Status says why a request was refused.
Status ParseHttpRequest(std::string_view bytes, const ParserLimits& limits, HttpRequest& out);

}  // namespace interdict::http
