// The RKN `dump.xml` reader, on libxml2's streaming xmlTextReader.
//
// The text reader keeps only the current branch of the tree, so memory stays constant whatever
// the dump size. The parser never touches the network and neither loads a DTD nor substitutes
// entities; libxml2's messages go to a handler that keeps them for our Status instead of stderr.
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlversion.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "io/byte_source.h"
#include "io/register_reader.h"

namespace interdict {
namespace {

// Longest value (text of one <url>, <domain>, ...) kept; longer ones make the record malformed.
constexpr std::size_t kMaxValue = std::size_t{1} << 20;

// NONET: no network. No NOENT (entities stay references), no DTDLOAD/DTDATTR/DTDVALID (no
// external DTD), no HUGE (libxml2 keeps its limits on text size and entity amplification).
constexpr int kParseOptions = XML_PARSE_NONET;

#if LIBXML_VERSION >= 21200
using XmlErrorArg = const xmlError*;
#else
using XmlErrorArg = xmlErrorPtr;
#endif

struct TextReaderDeleter {
  void operator()(xmlTextReaderPtr r) const { xmlFreeTextReader(r); }
};
using TextReaderPtr = std::unique_ptr<xmlTextReader, TextReaderDeleter>;

struct XmlCharDeleter {
  void operator()(xmlChar* p) const { xmlFree(p); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;

std::string_view View(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

const xmlChar* XmlStr(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

std::string_view TrimXmlSpace(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// At most max bytes of the UTF-8 string s, cut at a character boundary.
std::string Utf8Prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

std::string Number(std::uint64_t n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  return std::string(buf, r.ptr);
}

void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

// libxml2's input: the source, and the error that made a read fail (libxml2 only sees -1).
struct XmlInput {
  std::unique_ptr<ByteSource> source;
  Status error;
};

int ReadCallback(void* context, char* buffer, int len) {
  auto* input = static_cast<XmlInput*>(context);
  if (len <= 0) return 0;
  Result<std::size_t> got = input->source->Read(buffer, static_cast<std::size_t>(len));
  if (!got.ok()) {
    input->error = got.status();
    return -1;
  }
  return static_cast<int>(*got);
}

int CloseCallback(void* /*context*/) {
  return 0;
}  // the reader object owns the source

// Keeps libxml2's first error and first fatal error.
struct ErrorSink {
  std::string first_error;
  int first_error_line = 0;
  std::string first_fatal;
  int first_fatal_line = 0;

  void Take(XmlErrorArg error) {
    if (error == nullptr || error->level < XML_ERR_ERROR) return;
    std::string msg = error->message != nullptr ? error->message : "unknown error";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (error->level == XML_ERR_FATAL && first_fatal.empty()) {
      first_fatal = std::move(msg);
      first_fatal_line = error->line;
    } else if (first_error.empty()) {
      first_error = std::move(msg);
      first_error_line = error->line;
    }
  }
};

void StructuredErrorHandler(void* context, XmlErrorArg error) {
  static_cast<ErrorSink*>(context)->Take(error);
}

void SilentGenericErrorHandler(void* /*context*/, const char* /*msg*/, ...) {}

// Routes libxml2's thread-wide error handlers to sink for the scope. Some libxml2 messages (e.g.
// encoding conversion failures) are raised without a parser context and would otherwise be
// printed to stderr.
class ScopedErrorHandlers {
 public:
  explicit ScopedErrorHandlers(ErrorSink* sink)
      : old_structured_(xmlStructuredError),
        old_structured_context_(xmlStructuredErrorContext),
        old_generic_(xmlGenericError),
        old_generic_context_(xmlGenericErrorContext) {
    xmlSetStructuredErrorFunc(sink, StructuredErrorHandler);
    xmlSetGenericErrorFunc(nullptr, SilentGenericErrorHandler);
  }
  ~ScopedErrorHandlers() {
    xmlSetStructuredErrorFunc(old_structured_context_, old_structured_);
    xmlSetGenericErrorFunc(old_generic_context_, old_generic_);
  }
  ScopedErrorHandlers(const ScopedErrorHandlers&) = delete;
  ScopedErrorHandlers& operator=(const ScopedErrorHandlers&) = delete;

 private:
  xmlStructuredErrorFunc old_structured_;
  void* old_structured_context_;
  xmlGenericErrorFunc old_generic_;
  void* old_generic_context_;
};

enum class ValueKind { kNone, kUrl, kDomain, kIp, kSubnet };

ValueKind KindOf(std::string_view element) {
  if (element == "url") return ValueKind::kUrl;
  if (element == "domain") return ValueKind::kDomain;
  if (element == "ip" || element == "ipv6") return ValueKind::kIp;
  if (element == "ipSubnet" || element == "ipv6Subnet") return ValueKind::kSubnet;
  return ValueKind::kNone;
}

class DumpXmlReader final : public RegisterReader {
 public:
  DumpXmlReader(std::unique_ptr<ByteSource> source, std::string name)
      : input_{std::move(source), Status::Ok()}, name_(std::move(name)) {}

  // Creates the libxml2 reader; separate from the constructor so that it can fail.
  Status Init();

  Result<bool> Next(RegisterRecord* record) override;
  std::uint64_t bytes_read() const override { return input_.source->consumed(); }
  std::uint64_t bytes_total() const override { return input_.source->total(); }

 private:
  // The input-level error after xmlTextReaderRead failed.
  Status ParseFailure();
  // Handles the start tag of a <content>: fills line, location, id, block type.
  void StartContent(RegisterRecord* record);
  void ReadDecision(RegisterRecord* record);
  // Stores the collected text of the value element that just ended.
  void FinishValue(RegisterRecord* record);
  // The line of the current node's start: the node's own line when libxml2 could store it (it
  // saturates at 65535), else the parser's current line, which may be a few lines ahead.
  std::uint64_t CurrentLine();

  static void SetError(RegisterRecord* record, std::string error) {
    if (record->error.empty()) record->error = std::move(error);
  }

  // Declaration order matters: reader_ reads from input_ and reports to sink_, so it is
  // destroyed first.
  XmlInput input_;
  std::string name_;
  ErrorSink sink_;
  TextReaderPtr reader_;

  bool saw_root_ = false;
  bool done_ = false;
  Status failed_;  // sticky input-level error

  // State within one <content>.
  int content_depth_ = -1;  // depth of the open <content>, -1 outside one
  bool have_decision_ = false;
  int value_depth_ = -1;  // depth of the open value element, -1 outside one
  ValueKind value_kind_ = ValueKind::kNone;
  std::string value_name_;
  std::string value_;
  bool value_too_long_ = false;
};

Status DumpXmlReader::Init() {
  InitLibxml();
  ScopedErrorHandlers handlers(&sink_);
  reader_.reset(
      xmlReaderForIO(ReadCallback, CloseCallback, &input_, name_.c_str(), nullptr, kParseOptions));
  if (reader_ == nullptr) {
    if (!input_.error.ok()) return input_.error;
    return Status::Internal(name_ + ": cannot create an XML reader");
  }
  xmlTextReaderSetStructuredErrorHandler(reader_.get(), StructuredErrorHandler, &sink_);
  return Status::Ok();
}

Status DumpXmlReader::ParseFailure() {
  if (!input_.error.ok()) return input_.error;
  if (input_.source->consumed() == 0)
    return Status::Corruption(name_ + ": XML error: the input is empty");
  const bool fatal = !sink_.first_fatal.empty();
  const std::string& msg = fatal ? sink_.first_fatal : sink_.first_error;
  int line = fatal ? sink_.first_fatal_line : sink_.first_error_line;
  if (msg.empty()) return Status::Corruption(name_ + ": XML error: the parser failed");
  if (line <= 0 && reader_ != nullptr) line = xmlTextReaderGetParserLineNumber(reader_.get());
  return Status::Corruption(name_ + ":" + Number(static_cast<std::uint64_t>(std::max(line, 0))) +
                            ": XML error: " + msg);
}

std::uint64_t DumpXmlReader::CurrentLine() {
  const xmlNodePtr node = xmlTextReaderCurrentNode(reader_.get());
  if (node != nullptr) {
    const long line = xmlGetLineNo(node);
    if (line > 0 && line < USHRT_MAX) return static_cast<std::uint64_t>(line);
  }
  const int line = xmlTextReaderGetParserLineNumber(reader_.get());
  return line > 0 ? static_cast<std::uint64_t>(line) : 0;
}

void DumpXmlReader::StartContent(RegisterRecord* record) {
  record->line = CurrentLine();
  if (XmlCharPtr id{xmlTextReaderGetAttribute(reader_.get(), XmlStr("id"))}) {
    record->id = TrimXmlSpace(View(id.get()));
  }
  if (XmlCharPtr type{xmlTextReaderGetAttribute(reader_.get(), XmlStr("blockType"))}) {
    record->block_type = TrimXmlSpace(View(type.get()));
  }
  record->location = name_ + ":" + Number(record->line) + ": content id=" + record->id;
}

void DumpXmlReader::ReadDecision(RegisterRecord* record) {
  if (have_decision_) {
    SetError(record, "content has more than one <decision>");
    return;
  }
  have_decision_ = true;
  struct Attr {
    const char* name;
    std::string* out;
  };
  const Attr attrs[] = {
      {"date", &record->date}, {"number", &record->number}, {"org", &record->body}};
  for (const Attr& a : attrs) {
    XmlCharPtr value{xmlTextReaderGetAttribute(reader_.get(), XmlStr(a.name))};
    if (value == nullptr) {
      SetError(record, std::string("<decision> has no '") + a.name + "' attribute");
      continue;
    }
    a.out->assign(TrimXmlSpace(View(value.get())));
    if (a.out->empty()) {
      SetError(record, std::string("<decision> attribute '") + a.name + "' is empty");
    }
  }
  if (!record->date.empty() && !ParseDate(record->date).ok()) {
    SetError(record, "<decision> attribute 'date' is not YYYY-MM-DD: '" +
                         Utf8Prefix(record->date, 32) + "'");
  }
}

void DumpXmlReader::FinishValue(RegisterRecord* record) {
  const std::string_view value = TrimXmlSpace(value_);
  if (value_too_long_) {
    SetError(record, "<" + value_name_ + "> value is longer than " + Number(kMaxValue) + " bytes");
  } else if (!value.empty()) {
    std::vector<std::string>* out = nullptr;
    switch (value_kind_) {
      case ValueKind::kUrl: out = &record->urls; break;
      case ValueKind::kDomain: out = &record->domains; break;
      case ValueKind::kIp: out = &record->ips; break;
      case ValueKind::kSubnet: out = &record->subnets; break;
      case ValueKind::kNone: break;
    }
    if (out != nullptr) out->emplace_back(value);
  }
  value_depth_ = -1;
  value_kind_ = ValueKind::kNone;
  value_.clear();
  value_too_long_ = false;
}

Result<bool> DumpXmlReader::Next(RegisterRecord* record) {
  *record = RegisterRecord{};
  if (!failed_.ok()) return failed_;
  if (done_) return false;

  ScopedErrorHandlers handlers(&sink_);
  content_depth_ = -1;
  value_depth_ = -1;
  for (;;) {
    const int ret = xmlTextReaderRead(reader_.get());
    if (ret < 0) {
      failed_ = ParseFailure();
      return failed_;
    }
    if (ret == 0) {
      done_ = true;
      if (!saw_root_) {
        failed_ = Status::Corruption(name_ + ": XML error: no root element");
        return failed_;
      }
      return false;
    }

    const int type = xmlTextReaderNodeType(reader_.get());
    const int depth = xmlTextReaderDepth(reader_.get());
    switch (type) {
      case XML_READER_TYPE_ELEMENT: {
        const std::string_view local = View(xmlTextReaderConstLocalName(reader_.get()));
        const bool empty = xmlTextReaderIsEmptyElement(reader_.get()) == 1;
        if (!saw_root_) {
          saw_root_ = true;
          if (local != "register") {
            failed_ = Status::Corruption(
                name_ + ":" + Number(CurrentLine()) + ": not an RKN register dump: root element <" +
                Utf8Prefix(View(xmlTextReaderConstName(reader_.get())), 64) +
                "> is not <reg:register>");
            return failed_;
          }
          break;
        }
        if (content_depth_ < 0) {
          if (local != "content") break;  // anything else outside a <content> is ignored
          StartContent(record);
          have_decision_ = false;
          if (empty) {
            SetError(record, "content has no <decision>");
            return true;
          }
          content_depth_ = depth;
          break;
        }
        if (value_depth_ >= 0 || depth != content_depth_ + 1) break;  // nested: ignored
        if (local == "decision") {
          ReadDecision(record);
          break;
        }
        const ValueKind kind = KindOf(local);
        if (kind == ValueKind::kNone || empty) break;  // unknown element, or empty value
        value_depth_ = depth;
        value_kind_ = kind;
        value_name_ = local;
        value_.clear();
        value_too_long_ = false;
        break;
      }
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA:
      case XML_READER_TYPE_WHITESPACE:
      case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
        if (value_depth_ < 0 || depth != value_depth_ + 1) break;
        const std::string_view text = View(xmlTextReaderConstValue(reader_.get()));
        if (value_too_long_ || text.size() > kMaxValue - value_.size()) {
          value_too_long_ = true;
          value_.clear();
        } else {
          value_.append(text);
        }
        break;
      }
      case XML_READER_TYPE_ENTITY_REFERENCE: {
        if (value_depth_ < 0) break;
        SetError(record, "<" + value_name_ + "> holds the entity reference &" +
                             Utf8Prefix(View(xmlTextReaderConstName(reader_.get())), 64) +
                             "; which is not expanded");
        break;
      }
      case XML_READER_TYPE_END_ELEMENT: {
        if (value_depth_ >= 0 && depth == value_depth_) {
          FinishValue(record);
        } else if (content_depth_ >= 0 && depth == content_depth_) {
          content_depth_ = -1;
          if (!have_decision_) SetError(record, "content has no <decision>");
          return true;
        }
        break;
      }
      default: break;
    }
  }
}

Result<std::unique_ptr<RegisterReader>> MakeReader(std::unique_ptr<ByteSource> source,
                                                   std::string name) {
  auto reader = std::make_unique<DumpXmlReader>(std::move(source), std::move(name));
  RETURN_IF_ERROR(reader->Init());
  std::unique_ptr<RegisterReader> base = std::move(reader);
  return base;
}

}  // namespace

Result<std::unique_ptr<RegisterReader>> OpenDumpXml(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenFileSource(path));
  return MakeReader(std::move(source), path);
}

Result<std::unique_ptr<RegisterReader>> DumpXmlFromString(std::string data, std::string name) {
  return MakeReader(MakeStringSource(std::move(data)), std::move(name));
}

}  // namespace interdict
