#include "cli.h"

#include <boost/json.hpp>
#include <iostream>

#include "sign/signing.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

int g_exit_code = kExitOk;

}  // namespace

Result<Registry*> Context::Open(bool sweep) {
  if (!registry_) {
    // Read once at start-up, before any thread exists.
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    if (const char* now = std::getenv("INTERDICT_NOW"); now != nullptr && *now != '\0') {
      Result<UnixTime> t = ParseTime(now);
      if (!t.ok()) return t.status().Prefixed("$INTERDICT_NOW");
      clock_ = std::make_unique<FakeClock>(*t);
    } else {
      clock_ = std::make_unique<SystemClock>();
    }
    RegistryOptions options;
    options.bounds = globals_.bounds;
    options.address_target_max_age_seconds = globals_.address_max_age_days * 86400;
    if (!globals_.log_key.empty()) {
      Result<SecretKey> key = ReadSecretKeyFile(globals_.log_key);
      if (!key.ok()) return key.status().Prefixed("--log-key");
      options.log_key = std::make_shared<const SecretKey>(std::move(key).value());
    }
    ASSIGN_OR_RETURN(store_, OpenSqliteStore(globals_.db));
    registry_ = std::make_unique<Registry>(*store_, *clock_, options);
  }
  if (sweep) {
    Result<SweepReport> swept = registry_->Sweep(globals_.actor);
    if (!swept.ok()) return swept.status().Prefixed("expiry sweep");
    if (!globals_.json &&
        (!swept->expired.empty() || !swept->activated.empty() || !swept->lapsed.empty())) {
      std::cerr << "note: " << swept->expired.size() << " order(s) expired, "
                << swept->activated.size() << " became effective and " << swept->lapsed.size()
                << " address target(s) lapsed (serial " << swept->serial << ")\n";
    }
  }
  return registry_.get();
}

void SetAction(CLI::App* cmd, Action action) {
  cmd->callback([action = std::move(action)]() {
    Result<int> code = action();
    if (!code.ok()) {
      std::cerr << "interdict: " << code.status().message() << "\n";
      g_exit_code = kExitError;
      return;
    }
    g_exit_code = *code;
  });
}

int ExitCode() {
  return g_exit_code;
}

void PrintJson(const json::value& v) {
  std::cout << json::serialize(v) << "\n";
}

Result<std::vector<Target>> ParseTargets(const std::vector<std::string>& values) {
  std::vector<Target> out;
  out.reserve(values.size());
  for (const std::string& v : values) {
    Result<Target> t = ParseTarget(v);
    if (!t.ok()) return t.status().Prefixed("--target \"" + v.substr(0, 80) + "\"");
    out.push_back(std::move(t).value());
  }
  return out;
}

}  // namespace interdict::cli
