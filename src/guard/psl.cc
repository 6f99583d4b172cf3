// PublicSuffixList over libpsl, plus an index of the list's rule names (read from the .dat text)
// for SuffixesBelow, which libpsl cannot answer.
#include "guard/psl.h"

#include <libpsl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "io/byte_source.h"
#include "model/target.h"

namespace interdict::guard {

struct PublicSuffixList::State {
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (owned) psl_free(ctx);
  }

  psl_ctx_t* ctx = nullptr;
  bool owned = false;  // false for libpsl's built-in context, which must not be freed
  bool from_text = false;
  std::string source;
  std::size_t rules = 0;
  // The rules' names, each reversed character by character ("moc.swanozama.3s"), sorted, so
  // that the names below "amazonaws.com" are the ones starting with "moc.swanozama.".
  std::vector<std::string> reversed_rules;
};

namespace {

constexpr std::uint64_t kMaxListBytes = std::uint64_t{64} << 20;
constexpr std::string_view kDafsaMagic = ".DAFSA@PSL_";

std::string Reversed(std::string_view s) {
  return {s.rbegin(), s.rend()};
}

// The names of the rules of a public_suffix_list.dat text, in A-label form, reversed and sorted.
// Exception rules ("!www.ck") name registrable domains and are left out; a wildcard rule
// ("*.ck") stays "*.ck"; a rule that does not normalize is left out (libpsl decides what it
// means; this index only feeds SuffixesBelow).
std::vector<std::string> RuleNames(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    // A rule is the line's first whitespace-delimited word.
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    line = line.substr(0, line.find_first_of(" \t\r"));
    if (line.empty() || line.substr(0, 2) == "//" || line.front() == '!') continue;
    const bool wildcard = line.substr(0, 2) == "*.";
    if (wildcard) line.remove_prefix(2);
    Result<std::string> name = NormalizeDomain(line);
    if (!name.ok()) continue;
    out.push_back(Reversed(wildcard ? "*." + *name : *name));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct FileCloser {
  void operator()(std::FILE* f) const { static_cast<void>(std::fclose(f)); }
};

}  // namespace

Result<PublicSuffixList> PublicSuffixList::FromText(std::string_view text,
                                                    const std::string& source) {
  if (text.empty()) return Status::InvalidArgument(source + ": the public suffix list is empty");
  if (text.substr(0, kDafsaMagic.size()) == kDafsaMagic) {
    return Status::InvalidArgument(source +
                                   ": a DAFSA file; give the list's text (public_suffix_list.dat)");
  }
  // libpsl reads lines with fgets from a FILE*; fmemopen gives it one over our bytes without a
  // copy. "r" mode never writes to the buffer.
  std::unique_ptr<std::FILE, FileCloser> file(
      fmemopen(const_cast<char*>(text.data()), text.size(), "r"));  // NOLINT(*-const-cast)
  if (file == nullptr) return Status::IOError(source + ": fmemopen: " + ErrnoText(errno));
  auto state = std::make_shared<State>();
  state->ctx = psl_load_fp(file.get());
  if (state->ctx == nullptr) {
    return Status::InvalidArgument(source + ": libpsl could not read the public suffix list");
  }
  state->owned = true;
  const int count = psl_suffix_count(state->ctx);
  if (count <= 0) {
    return Status::InvalidArgument(source + ": the public suffix list has no rules");
  }
  state->rules = static_cast<std::size_t>(count);
  state->from_text = true;
  state->reversed_rules = RuleNames(text);
  state->source = source + " (" + std::to_string(count) + " rules)";
  return PublicSuffixList(std::move(state));
}

Result<PublicSuffixList> PublicSuffixList::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxListBytes));
  return FromText(text, "file " + path);
}

Result<PublicSuffixList> PublicSuffixList::Builtin() {
  const psl_ctx_t* builtin = psl_builtin();
  if (builtin == nullptr) {
    return Status::FailedPrecondition("libpsl was built without a built-in public suffix list");
  }
  auto state = std::make_shared<State>();
  state->ctx = const_cast<psl_ctx_t*>(builtin);  // NOLINT(*-const-cast): only read, never freed
  const int count = psl_suffix_count(builtin);
  state->rules = count > 0 ? static_cast<std::size_t>(count) : 0;
  state->source = "libpsl built-in list (" + std::to_string(state->rules) + " rules";
  if (const std::time_t t = psl_builtin_file_time(); t > 0) {
    state->source += ", from a list of " + FormatDate(static_cast<UnixTime>(t));
  }
  state->source += ")";
  return PublicSuffixList(std::move(state));
}

Result<PublicSuffixList> PublicSuffixList::System(const std::string& path) {
  if (std::FILE* f = std::fopen(path.c_str(), "rb"); f != nullptr) {
    static_cast<void>(std::fclose(f));
    return FromFile(path);
  }
  return Builtin();
}

const std::string& PublicSuffixList::source() const {
  return state_->source;
}
bool PublicSuffixList::from_text() const {
  return state_->from_text;
}
std::size_t PublicSuffixList::rule_count() const {
  return state_->rules;
}

bool PublicSuffixList::IsPublicSuffix(std::string_view name) const {
  const std::string z(name);
  return psl_is_public_suffix(state_->ctx, z.c_str()) != 0;
}

std::string_view PublicSuffixList::RegistrableDomain(std::string_view name) const {
  const std::string z(name);
  const char* r = psl_registrable_domain(state_->ctx, z.c_str());
  if (r == nullptr) return {};
  // r points into z, at the start of a label.
  const auto offset = static_cast<std::size_t>(r - z.c_str());
  if (offset > name.size()) return {};
  return name.substr(offset);
}

std::vector<std::string> PublicSuffixList::SuffixesBelow(std::string_view name, std::size_t max,
                                                         std::size_t* total) const {
  const std::vector<std::string>& rules = state_->reversed_rules;
  const std::string prefix = Reversed(name) + ".";
  // Below the names starting with "<reversed>." come those starting with "<reversed>/" ('/'
  // follows '.' in ASCII).
  std::string end = prefix;
  end.back() = '/';
  const auto first = std::lower_bound(rules.begin(), rules.end(), prefix);
  const auto last = std::lower_bound(first, rules.end(), end);
  *total = static_cast<std::size_t>(last - first);
  std::vector<std::string> out;
  for (auto it = first; it != last && out.size() < max; ++it) out.push_back(Reversed(*it));
  return out;
}

}  // namespace interdict::guard
