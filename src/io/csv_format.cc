#include "io/csv_format.h"

#include <array>
#include <optional>
#include <unordered_map>

namespace interdict {
namespace {

constexpr std::array<std::string_view, 12> kColumns = {
    "kind",   "value",     "order_id", "body",  "order_kind", "reference",
    "issued", "effective", "expires",  "scope", "categories", "dynamic"};
constexpr std::array<std::string_view, 7> kRequired = {
    "kind", "value", "body", "order_kind", "reference", "issued", "expires"};
constexpr std::size_t kMaxFields = 64;

// RFC 4180 field: quoted when it holds a comma, quote or line break.
std::string Field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Splits RFC 4180 text into records of fields, remembering the line each record starts on.
class CsvScanner {
 public:
  explicit CsvScanner(std::string_view text) : text_(text) {}

  // Reads the next record; false at the end. A malformed record sets *error.
  bool Next(std::vector<std::string>* fields, std::size_t* line, std::string* error) {
    fields->clear();
    error->clear();
    if (pos_ >= text_.size()) return false;
    *line = line_;
    std::string cur;
    bool quoted = false;
    bool was_quoted = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (quoted) {
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            cur.push_back('"');
            ++pos_;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line_;
          cur.push_back(c);
        }
        continue;
      }
      if (c == '"' && cur.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        Push(fields, &cur, error);
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        break;
      } else if (was_quoted) {
        if (error->empty()) *error = "text after a closing quote";
      } else {
        cur.push_back(c);
      }
    }
    if (quoted && error->empty()) *error = "a quoted field is not closed";
    Push(fields, &cur, error);
    return true;
  }

 private:
  static void Push(std::vector<std::string>* fields, std::string* cur, std::string* error) {
    if (fields->size() >= kMaxFields) {
      if (error->empty()) *error = "more than " + std::to_string(kMaxFields) + " fields";
    } else {
      fields->push_back(std::move(*cur));
    }
    cur->clear();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// Reads one data line into a one-target order header.
Status ReadLine(const std::vector<std::string>& f,
                const std::unordered_map<std::string_view, std::size_t>& col, OrderRequest* r) {
  const auto get = [&](std::string_view name) -> std::optional<std::string_view> {
    const auto it = col.find(name);
    if (it == col.end() || it->second >= f.size()) return std::nullopt;
    return std::string_view(f[it->second]);
  };
  const auto need = [&](std::string_view name) -> Result<std::string_view> {
    std::optional<std::string_view> v = get(name);
    if (!v || v->empty())
      return Status::InvalidArgument("column " + std::string(name) + " is empty");
    return *v;
  };
  ASSIGN_OR_RETURN(std::string_view kind, need("kind"));
  ASSIGN_OR_RETURN(std::string_view value, need("value"));
  Result<TargetKind> k = ParseTargetKind(kind);
  if (!k.ok()) return k.status().Prefixed("column kind");
  Result<Target> t = NormalizeTarget(*k, value);
  if (!t.ok()) return t.status().Prefixed("column value");
  r->targets.push_back(std::move(t).value());
  ASSIGN_OR_RETURN(std::string_view body, need("body"));
  ASSIGN_OR_RETURN(std::string_view order_kind, need("order_kind"));
  ASSIGN_OR_RETURN(std::string_view reference, need("reference"));
  r->body = std::string(body);
  r->reference = std::string(reference);
  Result<OrderKind> ok = ParseOrderKind(order_kind);
  if (!ok.ok()) return ok.status().Prefixed("column order_kind");
  r->kind = *ok;
  const auto time = [&](std::string_view name, bool required, UnixTime* out) -> Status {
    std::optional<std::string_view> v = get(name);
    if (!v || v->empty()) {
      return required ? Status::InvalidArgument("column " + std::string(name) + " is empty")
                      : Status::Ok();
    }
    Result<UnixTime> parsed = ParseTime(*v);
    if (!parsed.ok()) return parsed.status().Prefixed("column " + std::string(name));
    *out = *parsed;
    return Status::Ok();
  };
  RETURN_IF_ERROR(time("issued", true, &r->issued_at));
  r->effective_at = r->issued_at;
  RETURN_IF_ERROR(time("effective", false, &r->effective_at));
  RETURN_IF_ERROR(time("expires", true, &r->expires_at));
  const std::string_view scope = get("scope").value_or("");
  Result<ScopeSet> sc = ParseScopes(scope.empty() ? "isp" : scope);
  if (!sc.ok()) return sc.status().Prefixed("column scope");
  r->scope = *sc;
  Result<CategorySet> cats = ParseCategories(get("categories").value_or(""));
  if (!cats.ok()) return cats.status().Prefixed("column categories");
  r->categories = *cats;
  const std::string_view dynamic = get("dynamic").value_or("false");
  if (dynamic != "true" && dynamic != "false" && !dynamic.empty()) {
    return Status::InvalidArgument("column dynamic is \"" + std::string(dynamic.substr(0, 20)) +
                                   "\", not true or false");
  }
  r->dynamic = dynamic == "true";
  return Status::Ok();
}

}  // namespace

Result<std::vector<OrderRecord>> ParseCsvOrders(std::string_view text, const std::string& name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a spreadsheet's BOM
  CsvScanner scanner(text);
  std::vector<std::string> fields;
  std::size_t line = 0;
  std::string error;
  if (!scanner.Next(&fields, &line, &error) || !error.empty()) {
    return Status::InvalidArgument(name + ":1: expected a header line naming the columns");
  }
  std::unordered_map<std::string_view, std::size_t> col;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    for (std::string_view known : kColumns) {
      if (fields[i] == known) col.emplace(known, i);
    }
  }
  for (std::string_view required : kRequired) {
    if (!col.contains(required)) {
      return Status::InvalidArgument(name + ":1: the header has no column \"" +
                                     std::string(required) + "\"");
    }
  }
  std::vector<OrderRecord> out;
  while (scanner.Next(&fields, &line, &error)) {
    if (error.empty() && fields.size() == 1 && fields[0].empty()) continue;  // blank line
    OrderRecord rec;
    rec.location = name + ":" + std::to_string(line);
    if (!error.empty()) {
      rec.error = error;
    } else {
      Status st = ReadLine(fields, col, &rec.header);
      if (!st.ok()) rec.error = st.message();
    }
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::size_t> WriteCsvOrders(const InForceSnapshot& snap, std::ostream& out) {
  std::unordered_map<Id, const Order*> orders;
  for (const Order& o : snap.orders) orders[o.id] = &o;
  for (std::size_t i = 0; i < kColumns.size(); ++i) out << (i ? "," : "") << kColumns[i];
  out << '\n';
  std::size_t n = 0;
  for (const InForceEntry& e : snap.entries) {
    const auto it = orders.find(e.order_id);
    if (it == orders.end())
      return Status::Internal("snapshot lacks order " + std::to_string(e.order_id));
    const Order& o = *it->second;
    out << TargetKindName(e.target.kind) << ',' << Field(e.target.value) << ',' << o.id << ','
        << Field(o.body) << ',' << Name(o.kind) << ',' << Field(o.reference) << ','
        << FormatTime(o.issued_at) << ',' << FormatTime(o.effective_at) << ','
        << FormatTime(o.expires_at) << ',' << Field(FormatScopes(o.scope)) << ','
        << Field(FormatCategories(o.categories)) << ',' << (o.dynamic ? "true" : "false") << '\n';
    ++n;
  }
  if (!out) return Status::IOError("write failed");
  return n;
}

}  // namespace interdict
