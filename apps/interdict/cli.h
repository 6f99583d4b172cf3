// Shared pieces of the `interdict` command line: the global options, the registry it opens,
// and output in text or JSON. Each command group lives in its own cmd_*.cc and registers itself
// on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/fwd.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "io/model_json.h"
#include "registry/registry.h"
#include "store/store.h"

namespace interdict::cli {

// Exit codes: 0 success (check: blocked), 1 check: not blocked, 2 error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;
inline constexpr int kExitError = 2;

struct Globals {
  std::string db;     // --db, $INTERDICT_DB, ./var/interdict.db
  std::string actor;  // --actor, $INTERDICT_ACTOR, $USER
  bool json = false;  // --json
  // --log-key, $INTERDICT_LOG_KEY: a secret key file; with it every change signs the
  // transparency log's new head (registry/transparency.h).
  std::string log_key;
  // --bound-pairs, --bound-fraction, --bound-floor: RegistryOptions::bounds;
  // --address-max-age-days: RegistryOptions::address_target_max_age_seconds (in days).
  RegistryOptions::Bounds bounds;
  std::int64_t address_max_age_days = RegistryOptions{}.address_target_max_age_seconds / 86400;
};

// Opens the registry on first use. The clock is the system clock unless $INTERDICT_NOW holds an
// RFC 3339 time (for tests and demonstrations of expiry).
class Context {
 public:
  explicit Context(Globals& globals) : globals_(globals) {}
  const Globals& globals() const { return globals_; }
  bool json() const { return globals_.json; }
  const std::string& actor() const { return globals_.actor; }

  // Opens the store and runs the expiry sweep (unless sweep is false).
  Result<Registry*> Open(bool sweep = true);
  // The transparency log's key when none was given globally (serve's --sign-key); before Open.
  void DefaultLogKey(const std::string& path) {
    if (globals_.log_key.empty()) globals_.log_key = path;
  }

 private:
  Globals& globals_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
};

// A command's body: returns the exit code, or an error (printed by main, exit 2).
using Action = std::function<Result<int>()>;

// Adds `action` as the callback of `cmd`. Its exit code (2 after printing an error) is kept for
// main to return.
void SetAction(CLI::App* cmd, Action action);
int ExitCode();

// Prints a JSON value on stdout followed by a newline.
void PrintJson(const boost::json::value& v);

// JSON renderings of model values: ToJson (io/model_json.h), shared with the HTTP API.

// Prints the registry's counts and serial (text or JSON).
Result<int> PrintSummary(Context& ctx, Registry& reg);

// Parses targets written by a person, naming the bad one.
Result<std::vector<Target>> ParseTargets(const std::vector<std::string>& values);

// Command groups.
void AddRegistryCommands(CLI::App& app,
                         Context& ctx);  // init, org, summary, sweep, serial, audit, demo
void AddWorkflowCommands(CLI::App& app, Context& ctx);  // refer, review, order
void AddQueryCommands(CLI::App& app, Context& ctx);     // targets, check
void AddTransferCommands(CLI::App& app, Context& ctx);  // import, export
void AddDemoCommand(CLI::App& app, Context& ctx);       // demo
void AddKeysCommands(CLI::App& app, Context& ctx);      // keys, sign, verify
void AddServeCommand(CLI::App& app, Context& ctx);      // serve
void AddAppealCommands(CLI::App& app, Context& ctx);    // appeal
// `audit run`, the compliance probe, under the `audit` command (cmd_audit_run.cc).
void AddAuditRunCommand(CLI::App& audit, Context& ctx);
// audit report, audit submit, audit runs: compliance probes' results (cmd_audit.cc), added to
// the `audit` command by AddRegistryCommands.
void AddComplianceCommands(CLI::App& audit, Context& ctx);

}  // namespace interdict::cli
